// contract/: the contract as this server holds it, below every stage. The bundled spec (spec.ts), the
// express-openapi-validator that holds the general path's requests and answers to it (validator.ts), the
// one error type every stage throws, an HTTP status with the spec's ErrorBody (here), and the other
// files the build puts beside the compiled server: the docs page rendered from the spec and the console
// bundle (assets.ts). The push hot path's own validators are compiled from this same spec (push/push-validator.ts).
//
// The one error type of the server: an HTTP status plus the spec's ErrorBody, rendered by http/error-handler.ts.
import type { ErrorBody, ErrorCode, ErrorDetail } from 'instagram-push-kit';

type StoreFailureBody = NonNullable<ErrorBody['storeFailure']>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly errors: ErrorDetail[];
  readonly headers: Record<string, string>;
  /** Why the store cannot take deliveries (readiness' 503 only). */
  storeFailure?: StoreFailureBody;

  constructor(status: number, code: ErrorCode, resultMsg: string, errors: ErrorDetail[] = [], headers: Record<string, string> = {}) {
    super(resultMsg);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.headers = headers;
  }

  body(requestId: string): ErrorBody {
    return { resultMsg: this.message, code: this.code, requestId, errors: this.errors, ...(this.storeFailure && { storeFailure: this.storeFailure }) };
  }
}

export const badRequest = (code: ErrorCode, msg: string, errors: ErrorDetail[] = []) => new ApiError(400, code, msg, errors);
export const unauthorized = (code: ErrorCode, msg: string, errors: ErrorDetail[] = []) => new ApiError(401, code, msg, errors);
export const notFound = (code: ErrorCode, msg: string, errors: ErrorDetail[] = []) => new ApiError(404, code, msg, errors);
/** 409: the resource is not in a state that allows the action (ErrorCode has no code of its own for it before the next major). */
export const conflict = (msg: string, errors: ErrorDetail[] = []) => new ApiError(409, 'bad_request', msg, errors);
export const internalError = (msg = 'The server failed to handle the request. Retry later; quote the requestId if it persists.') =>
  new ApiError(500, 'internal_error', msg);
