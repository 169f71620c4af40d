// Operational routes outside the contract: liveness, readiness, the bundled spec and the docs page.
import { Router, type Request, type Response } from 'express';
import { ApiError } from '../contract/errors.js';
import type { Inbox } from '../inbox/inbox.js';
import type { StoreFailure } from '../inbox/store-health.js';
import type { OpenApiDocument } from '../contract/spec.js';
import { builtFileHandler, lazyAsset, sendAsset } from '../contract/static-asset.js';

/** Served pages load scripts, styles, images and data from this server only. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'";

export interface OpsDeps {
  inbox: Inbox;
  spec: OpenApiDocument;
  /** The built docs page (dist/docs/index.html); the route answers 503 until it is built. */
  docsFile: URL;
  /** Resolves once the app has been warmed up; /readyz is 503 before. */
  isWarm: () => boolean;
}

/** Readiness' 503: the spec's ErrorBody, never cached. */
const notReady = (code: 'internal_error' | 'store_unavailable', resultMsg: string) => new ApiError(503, code, resultMsg, [], { 'Cache-Control': 'no-store' });

/** Readiness' 503 for a store that cannot take deliveries: the cause in words, its code, and since when. */
function storeNotReady(failure: StoreFailure | undefined): ApiError {
  if (!failure) return notReady('store_unavailable', 'This instance cannot take deliveries now: its store cannot be reached or cannot write. Send them to another instance.');
  const since = failure.since.toISOString();
  const error = notReady('store_unavailable', `This instance cannot take deliveries now: its store failed: ${failure.reason} (${failure.code}) since ${since}. Send them to another instance.`);
  error.storeFailure = { code: failure.code, reason: failure.reason, action: failure.action, since };
  return error;
}

export function opsRoutes({ inbox, spec, docsFile, isWarm }: OpsDeps): Router {
  // Exact paths, as for the contract's: no trailing slash (but /docs/), no other letter case.
  const router = Router({ strict: true, caseSensitive: true });
  const specJson = lazyAsset(() => JSON.stringify(spec), 'application/json; charset=utf-8');
  router.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  // Not ready while warming up, while the store is unreachable, and while its writes fail (store-health.ts).
  router.get('/readyz', async (_req: Request, res: Response) => {
    if (!isWarm()) throw notReady('internal_error', 'This instance is still starting. Send deliveries to another instance.');
    if (!(await inbox.ready())) throw storeNotReady(inbox.failure?.());
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ready' });
  });
  router.get('/openapi.json', async (req: Request, res: Response) => {
    sendAsset(req, res, (await specJson())!, { 'Cache-Control': 'no-cache' });
  });
  // Belt and braces: the page may load nothing from off the machine, whatever Redoc tries.
  const docsHeaders = { 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-cache' };
  router.get(['/docs', '/docs/'], builtFileHandler(docsFile, 'text/html; charset=utf-8', 'The docs page is not built: run `npm run build` (or `npm run docs`).', docsHeaders));
  return router;
}
