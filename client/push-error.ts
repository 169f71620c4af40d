// The one error the client throws: the HTTP status (0 when no answer came), the contract's error body,
// how many attempts were made, and the underlying cause.
import type { ErrorBody, ErrorCode } from './types.js';

export class PushError extends Error {
  readonly status: number;
  readonly body: ErrorBody | undefined;
  readonly attempts: number;

  constructor(init: { status: number; body?: ErrorBody; attempts: number; cause?: unknown; message?: string }) {
    super(init.message ?? PushError.describe(init.status, init.body), { cause: init.cause });
    this.name = 'PushError';
    this.status = init.status;
    this.body = init.body;
    this.attempts = init.attempts;
  }

  /** The contract's error code, when the receiver answered with its error body. */
  get code(): ErrorCode | undefined {
    return this.body?.code;
  }

  private static describe(status: number, body: ErrorBody | undefined): string {
    if (!body) return status === 0 ? 'no answer from the receiver' : `the receiver answered ${status}`;
    const paths = body.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`);
    return `${status} ${body.code}: ${body.resultMsg}${paths.length ? ` (${paths.join('; ')})` : ''}`;
  }
}

/** Narrows an unknown thrown value to a PushError. */
export function isPushError(value: unknown): value is PushError {
  return value instanceof PushError;
}
