// contract/: the contract as this server holds it, below every stage. The bundled spec (spec.ts), the
// express-openapi-validator that holds the general path's requests and answers to it (validator.ts), the
// one error type every stage throws, an HTTP status with the spec's ErrorBody (here), and the other
// files the build puts beside the compiled server: the docs page rendered from the spec and the console
// bundle (assets.ts). The push hot path's own validators are compiled from this same spec (push/push-validator.ts).
//
// The one error type of the server: an HTTP status plus the spec's ErrorBody, rendered by http/error-handler.ts;
// and the table of the errors raised in more than one place, each built from its row (like Fastify's lib/errors.js).
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

export interface ErrorRow {
  status: number;
  code: ErrorCode;
  /** The body's resultMsg, exactly: tests and clients read these sentences. */
  message: string;
}

/** The errors raised in more than one place (or by status, for the validator's), one row each. */
export const ERROR_TABLE = {
  schemaViolation: { status: 400, code: 'schema_violation', message: 'The request body does not match the schema.' },
  parameterMismatch: { status: 400, code: 'bad_request', message: 'A request parameter does not match the API contract.' },
  contractMismatch: { status: 400, code: 'bad_request', message: 'The request does not match the API contract.' },
  notAuthorized: { status: 401, code: 'unauthorized', message: 'The request is not authorized.' },
  noRoute: { status: 404, code: 'not_found', message: 'Nothing is served at this path. Check the request path.' },
  methodNotAllowed: { status: 405, code: 'method_not_allowed', message: 'This method is not allowed on this path.' },
  bodyTooLarge: { status: 413, code: 'payload_too_large', message: 'The request body is too large.' },
  notJson: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json (UTF-8).' },
  storeUnavailable: { status: 500, code: 'store_unavailable', message: 'The inbox could not store the delivery; nothing was stored. Retry later with the same bytes.' },
  internal: { status: 500, code: 'internal_error', message: 'The server failed to handle the request. Retry later; quote the requestId if it persists.' },
} as const satisfies Record<string, ErrorRow>;

export type ErrorName = keyof typeof ERROR_TABLE;

/** The error of a table row, with the details and headers of this occurrence. */
export function namedError(name: ErrorName, errors: ErrorDetail[] = [], headers: Record<string, string> = {}): ApiError {
  const row: ErrorRow = ERROR_TABLE[name];
  return new ApiError(row.status, row.code, row.message, errors, headers);
}

/** What a status the validator or body-parser raised answers when nothing more precise is known. */
export const ERROR_BY_STATUS: Readonly<Record<number, ErrorName>> = {
  400: 'contractMismatch',
  401: 'notAuthorized',
  404: 'noRoute',
  405: 'methodNotAllowed',
  413: 'bodyTooLarge',
  415: 'notJson',
};

export const schemaViolation = (errors: ErrorDetail[]) => namedError('schemaViolation', errors);
export const parameterMismatch = (errors: ErrorDetail[]) => namedError('parameterMismatch', errors);
export const notJson = (errors: ErrorDetail[] = []) => namedError('notJson', errors);
export const noRoute = () => namedError('noRoute');
export const storeUnavailable = () => namedError('storeUnavailable');
export const internalError = () => namedError('internal');
