// The app's metrics hooks: counting every response Express sends, counting refused pushes and store
// failures on their way to the error handler, GET /metrics behind the metrics token, and
// GET /inbox/rates (the console's per-minute chart, behind the inbox token like the rest of /inbox).
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { checkBearer } from '../http/bearer-guard.js';
import { metricsRealm } from '../http/token-realms.js';
import { unauthorized } from '../contract/errors.js';
import { toApiError } from '../http/error-handler.js';
import { StoreUnavailableError } from '../inbox/inbox.js';
import { pushTarget } from '../push/push-path.js';
import type { ServerMetrics } from './server-metrics.js';
import { RING_MINUTES } from './minute-ring.js';

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Counts each response by operation and status class once it is sent; one listener function for all
 * (`on`, not `once`, which would wrap it in a new closure per request; a response finishes once).
 */
export function countResponses(metrics: ServerMetrics, isWarmUp: (req: Request) => boolean) {
  function finished(this: ServerResponse) {
    const req = this.req as Request;
    metrics.requests.count(req.method, pathOf(req.originalUrl ?? req.url ?? ''), this.statusCode);
  }
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!isWarmUp(req)) res.on('finish', finished);
    next();
  };
}

/** Counts a refused push by its code and channel, and a store failure by cause; then lets it be rendered. */
export function countRefusals(metrics: ServerMetrics) {
  return (err: unknown, req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'POST') {
      const chanId = pushTarget(req.path);
      if (chanId !== undefined) metrics.push.refusedDelivery(toApiError(err).code, chanId === '' ? undefined : chanId);
    }
    if (err instanceof StoreUnavailableError) metrics.store.failed(err);
    next(err);
  };
}

/** GET /metrics on the main port: the Prometheus text format, for `Authorization: Bearer <metricsToken>`. */
export function metricsEndpoint(registry: Registry, token: string) {
  const realm = metricsRealm(token);
  return async (req: Request, res: Response): Promise<void> => {
    checkBearer(req, realm);
    const text = await registry.metrics();
    res.setHeader('content-type', registry.contentType);
    res.setHeader('cache-control', 'no-store');
    res.end(text);
  };
}

/** GET /inbox/rates: accepted and refused deliveries per minute over the last hour. */
export function inboxRates(metrics: ServerMetrics) {
  return (_req: Request, res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ minuteSeconds: 60, minutes: metrics.minutes.rates().slice(-RING_MINUTES) });
  };
}
