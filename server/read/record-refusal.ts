// What the refusal log keeps of a refused request: only requests aimed at the push operations are
// refused deliveries (the console's own reads, a browser's /robots.txt, any other path stay out of its
// timeline). The error handler renders and logs; this records.
import type { Request } from 'express';
import type { ApiError } from '../contract/errors.js';
import { channelInPath, isPushPath } from '../push/push-path.js';
import type { Refusal, RefusalLog } from './refusal-log.js';

const MAX_MODE = 64;

/**
 * What a refused subscription handshake (a GET on a push path) asked for, so the console can say so:
 * the mode, and whether a verify token came with it. Never the token itself, nor the challenge.
 */
export function handshakeAttempt(req: Request): Refusal['handshake'] {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !isPushPath(req.path)) return undefined;
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const mode = first(req.query['hub.mode']);
  return {
    mode: typeof mode === 'string' ? Array.from(mode).slice(0, MAX_MODE).join('') : null,
    verifyTokenSent: req.query['hub.verify_token'] !== undefined,
  };
}

/** Records a refused request (status below 500) in the refusal log when it was aimed at a push path. */
export function recordRefusal(refusals: RefusalLog, req: Request, refusal: ApiError, requestId: string): void {
  if (!isPushPath(req.path)) return;
  refusals.add({
    at: new Date().toISOString(),
    method: req.method,
    path: req.path,
    status: refusal.status,
    channel: channelInPath(req.path),
    error: refusal.body(requestId),
    body: req.rawBody ?? null,
    contentType: req.headers['content-type'] ?? null,
    handshake: handshakeAttempt(req),
  });
}
