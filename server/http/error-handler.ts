// Renders every failure, whatever raised it, as the spec's ErrorBody, and logs it; a refused delivery it
// hands to the refusal log (read/record-refusal.ts), which decides what is kept.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ErrorDetail } from 'instagram-push-kit';
import { malformedChanId } from '../push/channels.js';
import { ApiError, ERROR_BY_STATUS, internalError, namedError, schemaViolation, storeUnavailable } from '../contract/errors.js';
import { StoreUnavailableError } from '../inbox/inbox.js';
import type { RefusalLog } from '../read/refusal-log.js';
import { recordRefusal } from '../read/record-refusal.js';
import { describeStoreError } from '../inbox/store-errors.js';
import { refusalReporter } from '../read/refusal-summary.js';

interface ValidatorError {
  status?: number;
  message?: string;
  errors?: { path?: string; message?: string }[];
  headers?: Record<string, string>;
  type?: string;
}

const MAX_DETAILS = 100;

/** Turns anything thrown into an ApiError: ours as is, the validator's and body-parser's by status. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) {
    return storeUnavailable();
  }
  const e = err as ValidatorError;
  // Express's router could not decode a path parameter: the same answer the push hot path gives.
  if (e?.status === 400 && /^Failed to decode param/.test(e.message ?? '')) return malformedChanId();
  const status = typeof e?.status === 'number' ? e.status : 500;
  const name = ERROR_BY_STATUS[status];
  if (!name) return internalError();
  // Capped so a 1000-entry batch of wrong types cannot produce a megabyte of error body.
  const details: ErrorDetail[] = (e.errors ?? []).slice(0, MAX_DETAILS).map((d) => ({
    // The validator says /params/ where the contract's ErrorDetail says /path/.
    path: (d.path ?? '').replace(/^\/params\//, '/path/'),
    message: d.message ?? 'invalid',
  }));
  if (status === 400 && details.some((d) => d.path.startsWith('/body'))) {
    return schemaViolation(details);
  }
  const headers: Record<string, string> = {};
  if (status === 405 && e.headers?.Allow) headers.Allow = e.headers.Allow;
  return namedError(status === 400 && details.length ? 'parameterMismatch' : name, details, headers);
}

export interface ErrorHandlerDeps {
  logger: Logger;
  refusals: RefusalLog;
  /** Requests that must not be recorded (the app's own warm-up). */
  isWarmUp?: (req: Request) => boolean;
  /** Refusals are logged as the first of each reason, then a count per reason every this many ms (refusal-summary.ts). */
  refusalLogIntervalMs?: number;
}

export function errorHandler({ logger, refusals, isWarmUp, refusalLogIntervalMs }: ErrorHandlerDeps) {
  const reportRefusal = refusalReporter(logger, refusalLogIntervalMs);
  // Express recognises error handlers by their four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const apiError = toApiError(err);
    const requestId = res.locals.requestId as string;
    const warmUp = isWarmUp?.(req) ?? false;
    if (apiError.status === 503 && req.path === '/readyz') {
      // A balancer asks every few seconds; the store logged each cause once (store-health.ts).
      logger.debug({ requestId, status: 503, code: apiError.code }, 'not ready');
    } else if (apiError.status === 503) {
      // A limit the server keeps on purpose (too many feed streams): expected under load, not a fault.
      logger.warn({ requestId, status: 503, code: apiError.code }, 'request refused at a limit');
    } else if (apiError.status >= 500) {
      const validatorResponse = (err as ValidatorError)?.status === 500 && /response/i.test((err as Error)?.message ?? '');
      const store = err instanceof StoreUnavailableError ? describeStoreError(err) : undefined;
      logger.error(
        {
          requestId,
          err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
          responseBrokeSpec: validatorResponse,
          // The store's code (SQLITE_FULL, a SQLSTATE) and its meaning, never its message, which can quote event content.
          ...(store && { storeCode: store.code, storeReason: store.reason }),
        },
        validatorResponse ? 'response broke the spec; answered 500 instead' : store ? `request failed: the inbox store failed: ${store.reason} (${store.code})` : 'request failed',
      );
    } else if (!warmUp) {
      reportRefusal({ requestId, status: apiError.status, code: apiError.code });
    }
    if (apiError.status < 500 && !warmUp) recordRefusal(refusals, req, apiError, requestId);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(apiError.headers)) res.setHeader(k, v);
    // Written directly, not through res.json, so the response validator cannot throw while rendering an error.
    res.status(apiError.status).type('application/json').end(JSON.stringify(apiError.body(requestId)));
  };
}
