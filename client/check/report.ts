// A conformance run for people: a line per case as it ends (findings spelled out under a failing one),
// then one summary line with the counts and the latency the receiver showed.
import { describeFinding, type CaseResult, type ConformanceReport } from './runner.js';

const MARK = { pass: 'ok', fail: 'fail', skip: 'skip' } as const;
// The longest case ID, so the timings line up.
const ID_WIDTH = 34;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The lines of one case: `ok    acceptance/text  2 requests, 3 ms`, or the findings under `fail`. */
export function caseLines(result: CaseResult): string[] {
  const head = `${MARK[result.verdict].padEnd(5)} ${result.id.padEnd(ID_WIDTH)}`;
  if (result.verdict === 'skip') return [`${head} ${result.skipped}`];
  const slowest = Math.max(0, ...result.requests.map((r) => r.ms));
  const line = `${head} ${plural(result.requests.length, 'request')}, ${slowest} ms`;
  if (result.verdict === 'pass') return [line];
  return [line, ...result.findings.flatMap((f) => describeFinding(f).split('\n').map((l) => `      ${l}`))];
}

/** `37 cases: 35 conform, 0 deviate, 2 skipped; 71 requests: p50 2 ms, p95 6 ms, max 48 ms, none over 5000 ms` */
export function summaryLine(report: ConformanceReport): string {
  const s = report.summary;
  const latency = s.p50Ms === null ? 'no answers' : `p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, max ${s.maxMs} ms`;
  const budget = s.overBudget === 0 ? `none over ${s.budgetMs} ms` : `${s.overBudget} over ${s.budgetMs} ms`;
  return `${plural(s.cases, 'case')}: ${s.passed} conform, ${s.failed} deviate, ${s.skipped} skipped; ${plural(s.requests, 'request')}: ${latency}, ${budget}`;
}

/** The table under the summary: cases by verdict, then the three most common causes of deviation. */
export function causeLines(report: ConformanceReport): string[] {
  const s = report.summary;
  if (s.failed === 0) return [];
  const width = String(Math.max(s.passed, s.failed, s.skipped)).length;
  return [
    '',
    'verdict   cases',
    `conform   ${String(s.passed).padStart(width)}`,
    `deviate   ${String(s.failed).padStart(width)}`,
    `skipped   ${String(s.skipped).padStart(width)}`,
    '',
    'most common causes:',
    ...s.causes.map((c) => `  ${plural(c.cases, 'case').padEnd(9)} ${c.cause}`),
  ];
}
