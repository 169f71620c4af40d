// What an attempt's answer makes of a forward: delivered, dead at once, or retried later with
// exponential backoff and full jitter, honouring Retry-After, until the destination's maximum age.
// Pure functions: time and randomness are passed in.

/** What one attempt got back: a status and the start of the body, or no answer at all. */
export type SendResult =
  | { status: number; body: string; retryAfter: string | null; latencyMs: number }
  | { error: string; latencyMs: number };

export type Decision =
  | { state: 'delivered' }
  | { state: 'dead'; reason: string }
  | { state: 'retrying'; at: number; reason: string };

export interface RetryPolicy {
  /** First retry's ceiling; each later one doubles it. */
  baseMs: number;
  /** No backoff is longer than this. */
  capMs: number;
  /** A receiver's Retry-After is honoured up to this long (default one hour). */
  retryAfterMaxMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 600_000 };
const RETRY_AFTER_MAX_MS = 3_600_000;

/** Statuses a receiver of this contract answers when the same bytes can never be taken. */
export const REFUSALS: ReadonlySet<number> = new Set([400, 401, 404, 413, 415]);

/** How much of a receiver's answer or of an error is kept. */
export const ERROR_KEEP = 512;

export const cut = (text: string) => (text.length > ERROR_KEEP ? `${text.slice(0, ERROR_KEEP)}…` : text);

/** True when the body is the contract's acceptance, {"resultMsg":"200"}. */
export function isAccepted(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a primitive has no resultMsg, and null's throws into the catch: false either way
    return typeof parsed === 'object' && parsed !== null && (parsed as { resultMsg?: unknown }).resultMsg === '200';
  } catch {
    return false;
  }
}

/** Full jitter: uniformly random in [0, min(cap, base × 2^retry)). `retry` counts from 0. */
export function backoffMs(retry: number, policy: RetryPolicy, random: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 52));
  return Math.floor(random * ceiling);
}

/** Retry-After as milliseconds from `now`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface DecideContext {
  /** Attempts made before this one. */
  retry: number;
  /** When forwarding started: the maximum age counts from here. */
  createdAt: number;
  maxAgeMs: number;
  now: number;
  random: number;
  policy: RetryPolicy;
}

/** The forward's next state after one attempt. */
export function decide(result: SendResult, ctx: DecideContext): Decision {
  let reason: string;
  let floorMs = 0;
  if ('error' in result) {
    reason = result.error;
  } else if (result.status === 200 && isAccepted(result.body)) {
    return { state: 'delivered' };
  } else if (REFUSALS.has(result.status)) {
    return { state: 'dead', reason: `refused with ${result.status}: ${cut(result.body)}` };
  } else {
    reason = result.status === 200 ? `200 without the contract's body: ${cut(result.body)}` : `${result.status}: ${cut(result.body)}`;
    floorMs = Math.min(retryAfterMs(result.retryAfter, ctx.now) ?? 0, ctx.policy.retryAfterMaxMs ?? RETRY_AFTER_MAX_MS);
  }
  const wait = Math.max(floorMs, backoffMs(ctx.retry, ctx.policy, ctx.random));
  const at = ctx.now + wait;
  if (at > ctx.createdAt + ctx.maxAgeMs) return { state: 'dead', reason: `gave up after the maximum age; last: ${reason}` };
  return { state: 'retrying', at, reason };
}

/**
 * True when the answer says the destination is unwell (counts toward opening its circuit): anything
 * retried, and anything given up at the maximum age (a 503 then is as unwell as a reset). A refusal is
 * the receiver judging these bytes, not being down.
 */
export const isFailure = (result: SendResult, decision: Decision) =>
  decision.state === 'retrying' || (decision.state === 'dead' && !('status' in result && REFUSALS.has(result.status)));
