// Judging one answer: against the case's expectation (status, error code, exact body) and against the
// spec (status listed, content type, body schema), plus the time Meta allows. Pure: a deviation is one
// finding naming what the contract expects, what came back and where the spec says so (further
// mismatches of the same answer under it), never a throw.
import type { Expectation, Step } from './cases.js';
import { checkAgainstSpec, ERROR_CODE_SPEC, operationPointer, TIMING_SPEC, type Answer } from './spec.js';

/** What one request got: an answer, no answer within the budget, or no answer at all. */
export type Outcome =
  | { kind: 'answer'; answer: Answer; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'network'; ms: number; message: string };

/** One deviation from the contract: the main verdict, with any further mismatches of the same answer under it. */
export interface Finding {
  /** The step of the case: `send`, `redelivery`, `by account ID`, `handshake`, `still answering`. */
  step: string;
  /** `POST http://127.0.0.1:8080/apiaccess/api/instagram/message/chan-a`: the full URL requested. */
  request: string;
  /** What the contract expects. */
  expected: string;
  /** What came back: status, content type and the readable start of the body, or why nothing did. */
  got: string;
  /** The spec location that says so, a JSON pointer into the bundled spec. */
  spec: string;
  /** More on what is wrong, when there is more (the failing schema paths). */
  detail?: string;
  /** Further mismatches of the same answer (content type, body schema), each with its spec location. */
  also?: string[];
  /** What the answer most likely says about the receiver. */
  hint?: string;
}

/** How much of a body a report quotes. */
export const BODY_EXCERPT = 200;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", '#34': '"' };

/** A body as a reader wants it: HTML or XML reduced to its text, whitespace collapsed, the first 200 characters. */
export function readableBody(body: string, contentType = ''): string {
  let text = body;
  if (/html|xml/i.test(contentType) || /^\s*</.test(body)) {
    text = body
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<!doctype[^>]*>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&(#?\w+);/g, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m);
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > BODY_EXCERPT ? `${flat.slice(0, BODY_EXCERPT)}…` : flat;
}

/** Status, content type and the readable start of the body, on one line. */
export function describeAnswer(answer: Answer): string {
  return [String(answer.status), answer.contentType.split(';')[0]!.trim() || '(no content type)', readableBody(answer.body, answer.contentType) || '(empty body)'].join(' ');
}

function errorCode(body: string): unknown {
  try {
    return (JSON.parse(body) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
}

/** The request as reports show it: method and the full URL (the verify token masked). */
export const requestLine = (step: Step) => `${step.method} ${step.shown ?? step.url}`;

/** Whether a status meets the expectation: the very status, or any of its class under Meta's rules. */
export function statusMet(e: Expectation, status: number): boolean {
  return e.statusClass === undefined ? status === e.status : Math.floor(status / 100) === e.statusClass;
}

/** The finding for one step's outcome, or none when the answer keeps the contract. */
export function judge(step: Step, outcome: Outcome, budgetMs: number): Finding[] {
  const base = { step: step.name, request: requestLine(step) };
  const e = step.expect;
  if (outcome.kind === 'timeout') {
    return [{ ...base, expected: `an answer within ${budgetMs} ms (Meta gives up then, and delivers again)`, got: `no answer within ${budgetMs} ms`, spec: TIMING_SPEC }];
  }
  if (outcome.kind === 'network') return [{ ...base, expected: e.describe, got: `no answer: ${outcome.message}`, spec: e.spec }];
  const { answer } = outcome;
  const problems: { expected: string; spec: string; detail?: string }[] = [];
  const statusWrong = !statusMet(e, answer.status);
  if (statusWrong) {
    problems.push({ expected: e.describe, spec: e.spec });
  } else {
    const code = errorCode(answer.body);
    if (e.code !== undefined && !e.statusOnly && code !== e.code) problems.push({ expected: `${e.status} with code ${e.code}`, spec: ERROR_CODE_SPEC });
    if (e.body !== undefined && answer.body !== e.body) problems.push({ expected: `the body ${JSON.stringify(e.body)}, exactly as sent`, spec: e.spec });
  }
  if (e.notEchoed !== undefined && answer.body.includes(e.notEchoed)) {
    problems.push({ expected: `the challenge ${JSON.stringify(e.notEchoed)} not echoed`, spec: `${operationPointer(step.method, step.route)}/description` });
  }
  if (!e.statusOnly) problems.push(...checkAgainstSpec(step.method, step.route, answer));
  if (problems.length === 0) return [];
  const [main, ...rest] = problems;
  const finding: Finding = { ...base, expected: main!.expected, got: describeAnswer(answer), spec: main!.spec };
  if (main!.detail) finding.detail = main!.detail;
  if (rest.length) finding.also = rest.map((p) => `${p.expected}${p.detail ? ` (${p.detail})` : ''} (${p.spec})`);
  if (statusWrong && e.hint && answer.status >= 200 && answer.status < 300) finding.hint = e.hint;
  return [finding];
}
