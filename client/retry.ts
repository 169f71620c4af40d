// Attempts, timeouts and retries, as the `fetch` openapi-fetch calls. They live here rather than in a
// middleware because only the fetch step sees every attempt: a middleware runs once per call, cannot
// re-send a body stream that was already read, and cannot give each attempt its own abort signal.
// Each attempt sends `request.clone()`, with a fresh timeout combined with the caller's signal.

import { describeNetworkError, FetchFailedAt, networkErrorMessage } from './network-error.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Base of the exponential backoff; each wait is a random time up to base × 2^attempt (full jitter). */
  retryDelayMs: number;
  /**
   * Limit of one attempt, from sending to the end of the answer. An event stream never ends, so for a
   * `text/event-stream` answer the limit ends once its headers have arrived.
   */
  timeoutMs: number;
  /** Longest wait honoured from a Retry-After header. */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Thrown when no attempt got an answer (network errors or timeouts); its message names the URL and the cause in words. */
export class NoAnswerError extends Error {
  constructor(
    readonly attempts: number,
    cause: unknown,
    readonly url?: string,
  ) {
    super(url ? networkErrorMessage(url, cause, attempts) : `no answer after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeNetworkError(cause).text}`, { cause });
    this.name = 'NoAnswerError';
  }
}

const attemptCount = new WeakMap<Response, number>();

/** How many attempts the client made to get this response. */
export function attemptsOf(response: Response): number {
  return attemptCount.get(response) ?? 1;
}

/** Network errors, 408, 429 and 5xx are worth another attempt; other answers are final. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  // Stryker disable next-line MethodExpression: Number() ignores the spaces the second trim() removes (the first is tested)
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  // Date.parse also reads '1.5', '-1' or 'soon 3' as days in 2001; every HTTP-date form holds hh:mm:ss.
  if (!/\d\d:\d\d:\d\d/.test(header)) return undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'retryDelayMs' | 'random'>): number {
  return Math.floor((policy.random ?? Math.random)() * policy.retryDelayMs * 2 ** attempt);
}

// Stryker disable next-line ArrowFunction: a module-level value the vitest runner cannot switch per test; applied by hand, options.test.ts ("waits the backoff retryDelayMs asks for") kills it
const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    // Stryker disable next-line ConditionalExpression,OptionalChaining: unreachable from retryingFetch, where cancelling the body of an aborted request already throws the reason; sleep is always given the request's signal
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    // Stryker disable next-line OptionalChaining: the signal is always given
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: `once` only frees the listener early; the abort fires once either way
      { once: true },
    );
  });

/**
 * Each answer's attempt request, held as long as the answer is. Node's fetch follows an attempt's signal
 * through a weak reference to its request (nodejs/node#55428): held by nothing else, the request can be
 * collected while the attempt waits for its answer or reads its body, and the timeout and the caller's
 * signal then abort nothing, so the push hangs for as long as the receiver does. While the fetch waits,
 * the attempt holds it (it is used once the answer comes); then the answer does.
 */
const requestOf = new WeakMap<Response, Request>();

export function retryingFetch(policy: RetryPolicy, baseFetch: (request: Request) => Promise<Response> = (r) => globalThis.fetch(r)) {
  const sleep = policy.sleep ?? defaultSleep;
  return async (request: Request): Promise<Response> => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= policy.retries; attempt++) {
      // A timer of our own rather than AbortSignal.timeout, so it can be cleared for event streams.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${policy.timeoutMs} ms`, 'TimeoutError')), policy.timeoutMs);
      // Stryker disable next-line OptionalChaining: Node's timers all have unref; it only lets a process exit while an attempt waits
      (timer as { unref?: () => void }).unref?.();
      const signal = AbortSignal.any([request.signal, timeout.signal]);
      const attemptRequest = new Request(request.clone(), { signal });
      let response: Response | undefined;
      try {
        response = await baseFetch(attemptRequest);
        requestOf.set(response, attemptRequest);
        if (response.headers.get('content-type')?.startsWith('text/event-stream')) clearTimeout(timer);
      } catch (err) {
        clearTimeout(timer);
        if (request.signal.aborted) throw err; // the caller gave up: no retry
        lastError = err;
      }
      const last = attempt === policy.retries;
      if (response && (!isRetryable(response.status) || last)) {
        attemptCount.set(response, attempt + 1);
        return response;
      }
      if (!response && last) break;
      const wait = response ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      // Stryker disable next-line OptionalChaining: a retryable status always has a body (the first `?.`, no response, shares the line; network-error tests cover it)
      await response?.body?.cancel();
      await sleep(wait !== undefined ? Math.min(wait, policy.maxRetryAfterMs ?? 60_000) : backoffMs(attempt, policy), request.signal);
    }
    throw new NoAnswerError(policy.retries + 1, lastError, lastError instanceof FetchFailedAt ? lastError.url : request.url);
  };
}
