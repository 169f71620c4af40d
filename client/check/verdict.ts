// Judging one answer: against the case's expectation (status, error code, exact body) and against the
// spec (status listed, content type, body schema), plus the time Meta allows. Pure: a deviation is a
// finding naming what the contract expects, what came back and where the spec says so, never a throw.
import type { Step } from './cases.js';
import { checkAgainstSpec, ERROR_CODE_SPEC, operationPointer, TIMING_SPEC, type Answer } from './spec.js';

/** What one request got: an answer, no answer within the budget, or no answer at all. */
export type Outcome =
  | { kind: 'answer'; answer: Answer; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'network'; ms: number; message: string };

/** One deviation from the contract. */
export interface Finding {
  /** The step of the case: `send`, `redelivery`, `by account ID`, `handshake`. */
  step: string;
  /** `POST /apiaccess/api/instagram/message/chan-a` */
  request: string;
  /** What the contract expects. */
  expected: string;
  /** What came back: status, content type and the first part of the body, or why nothing did. */
  got: string;
  /** The spec location that says so, a JSON pointer into the bundled spec. */
  spec: string;
  /** More on what is wrong, when there is more (the failing schema paths). */
  detail?: string;
}

/** How much of a body a report quotes. */
export const BODY_EXCERPT = 160;

/** Status, content type and the start of the body, on one line. */
export function describeAnswer(answer: Answer): string {
  const flat = answer.body.replace(/\s+/g, ' ').trim();
  const body = flat.length > BODY_EXCERPT ? `${flat.slice(0, BODY_EXCERPT)}…` : flat;
  return [String(answer.status), answer.contentType.split(';')[0]!.trim() || '(no content type)', body || '(empty body)'].join(' ');
}

function errorCode(body: string): unknown {
  try {
    return (JSON.parse(body) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
}

/** The findings for one step's outcome; none when the answer keeps the contract. */
export function judge(step: Step, outcome: Outcome, budgetMs: number): Finding[] {
  const base = { step: step.name, request: `${step.method} ${step.path.split('?')[0]}` };
  const e = step.expect;
  if (outcome.kind === 'timeout') {
    return [{ ...base, expected: `an answer within ${budgetMs} ms (Meta gives up then, and delivers again)`, got: `no answer within ${budgetMs} ms`, spec: TIMING_SPEC }];
  }
  if (outcome.kind === 'network') return [{ ...base, expected: e.describe, got: `no answer: ${outcome.message}`, spec: e.spec }];
  const { answer } = outcome;
  const got = describeAnswer(answer);
  const findings: Finding[] = [];
  if (answer.status !== e.status) {
    findings.push({ ...base, expected: e.describe, got, spec: e.spec });
  } else {
    const code = errorCode(answer.body);
    if (e.code !== undefined && code !== e.code) findings.push({ ...base, expected: `${e.status} with code ${e.code}`, got, spec: ERROR_CODE_SPEC });
    if (e.body !== undefined && answer.body !== e.body) findings.push({ ...base, expected: `the body ${JSON.stringify(e.body)}, exactly as sent`, got, spec: e.spec });
  }
  if (e.notEchoed !== undefined && answer.body.includes(e.notEchoed)) {
    findings.push({ ...base, expected: `the challenge ${JSON.stringify(e.notEchoed)} not echoed`, got, spec: `${operationPointer(step.method, step.route)}/description` });
  }
  for (const problem of checkAgainstSpec(step.method, step.route, answer)) {
    findings.push({ ...base, expected: problem.expected, got, spec: problem.spec, ...(problem.detail ? { detail: problem.detail } : {}) });
  }
  return findings;
}
