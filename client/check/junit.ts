// A conformance run as JUnit XML, the report format CI systems read: one <testsuite> per group, one
// <testcase> per case, a <failure> with every finding for a deviation, <skipped> with the reason.
import { describeFinding, type CaseResult, type ConformanceReport } from './runner.js';

// Characters XML 1.0 cannot hold at all: a receiver's body may contain anything.
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function escape(text: string): string {
  return text.replace(INVALID, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const caseMs = (c: CaseResult) => c.requests.reduce((n, r) => n + r.ms, 0);

function testcase(c: CaseResult): string {
  const open = `    <testcase name="${escape(c.id)}" classname="ig-push check.${c.group}" time="${seconds(caseMs(c))}"`;
  const requests = c.requests.map((r) => `${r.step}: ${r.method} ${r.url} → ${r.status ?? r.error} (${r.ms} ms)`).join('\n');
  const out = requests ? `\n      <system-out>${escape(`${c.title}\n${requests}`)}</system-out>` : '';
  if (c.verdict === 'skip') return `${open}>\n      <skipped message="${escape(c.skipped ?? '')}"/>\n    </testcase>`;
  if (c.verdict === 'pass') return `${open}>${out}\n    </testcase>`;
  const first = c.findings[0]!;
  const message = `${first.step}: expected ${first.expected}, got ${first.got} (${first.spec})`;
  return `${open}>\n      <failure type="deviation" message="${escape(message)}">${escape(c.findings.map(describeFinding).join('\n'))}</failure>${out}\n    </testcase>`;
}

/** A run that reached nothing: one failed case naming the cause, so CI shows why. */
function unreachableSuite(report: ConformanceReport): string {
  return [
    `  <testsuite name="reachability" tests="1" failures="1" errors="0" skipped="0" time="${seconds(report.summary.durationMs)}" timestamp="${report.startedAt}">`,
    `    <testcase name="receiver answers" classname="ig-push check.reachability" time="${seconds(report.summary.durationMs)}">`,
    `      <failure type="unreachable" message="${escape(report.unreachable!)}">${escape(`${report.unreachable}\nURL given: ${report.url.given}`)}</failure>`,
    '    </testcase>',
    '  </testsuite>',
  ].join('\n');
}

/** The report as a JUnit XML document. */
export function toJUnit(report: ConformanceReport): string {
  if (report.unreachable) {
    return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="ig-push check" tests="1" failures="1" errors="0" skipped="0" time="${seconds(report.summary.durationMs)}">`, unreachableSuite(report), '</testsuites>', ''].join('\n');
  }
  const groups = [...new Set(report.cases.map((c) => c.group))];
  const count = (cases: CaseResult[], verdict: CaseResult['verdict']) => cases.filter((c) => c.verdict === verdict).length;
  const suites = groups.map((group) => {
    const cases = report.cases.filter((c) => c.group === group);
    const time = seconds(cases.reduce((n, c) => n + caseMs(c), 0));
    return [
      `  <testsuite name="${group}" tests="${cases.length}" failures="${count(cases, 'fail')}" errors="0" skipped="${count(cases, 'skip')}" time="${time}" timestamp="${report.startedAt}">`,
      '    <properties>',
      `      <property name="target" value="${escape(report.target)}"/>`,
      `      <property name="spec.version" value="${escape(report.specVersion)}"/>`,
      `      <property name="profile" value="${escape(report.profile)}"/>`,
      `      <property name="budget.ms" value="${report.summary.budgetMs}"/>`,
      '    </properties>',
      ...cases.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  const s = report.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ig-push check" tests="${s.cases}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${seconds(s.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
