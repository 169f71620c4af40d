// An attempt's outcome in words, for the log and the status views: "connection refused", "timed out
// after 10000 ms", "HTTP 503: maintenance". Each cause has a key that stays the same while the
// destination keeps failing the same way (the receiver's varying body, e.g. a request id, is not in it).
import { REFUSALS, type SendResult } from './policy.js';

export interface Cause {
  /** Same key, same cause: a repeat, not news. */
  key: string;
  text: string;
}

/** Characters of a receiver's reason kept in a cause. */
export const REASON_KEEP = 200;

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset before an answer',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'DNS failure: host not found',
  EAI_AGAIN: 'DNS failure: lookup did not answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

const TLS = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY))/;

/** The receiver's short reason: the contract's `resultMsg` (or a `message`), else the body's text, on one line, cut. */
export function shortReason(body: string): string {
  let text = body;
  try {
    const parsed = JSON.parse(body) as { resultMsg?: unknown; message?: unknown };
    const said = parsed.resultMsg ?? parsed.message;
    if (typeof said === 'string') text = said;
  } catch {
    // not JSON: the text as it came
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > REASON_KEEP ? `${line.slice(0, REASON_KEEP)}…` : line;
}

/** The words for one attempt that was not delivered; `timeoutMs` is the destination's per-attempt timeout. */
export function causeOf(result: SendResult, timeoutMs: number): Cause {
  if ('error' in result) {
    if (result.error === 'timed out') return { key: 'timeout', text: `timed out after ${timeoutMs} ms` };
    const known = NETWORK[result.error];
    if (known) return { key: result.error, text: known };
    if (TLS.test(result.error)) return { key: result.error, text: `TLS failure: ${result.error}` };
    return { key: result.error, text: result.error };
  }
  const reason = shortReason(result.body);
  const status = result.status === 200 ? "HTTP 200 without the contract's body" : `HTTP ${result.status}`;
  const text = reason ? `${status}: ${reason}` : status;
  return { key: `HTTP ${result.status}`, text: REFUSALS.has(result.status) ? `refused with ${text}` : text };
}
