// Gives every request an ID (echoed as X-Request-Id, put in error bodies) and logs it when it ends.
// The push hot path runs in front of Express (push/fast-path.ts) and assigns the ID itself; a push it
// hands to Express keeps that ID, so the log and the answer name one request once.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

const assigned = new WeakMap<IncomingMessage, string>();

/** Assigns the request its ID once: sets X-Request-Id and, at debug level, logs the request when it ends. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse, logger: Logger): string {
  const known = assigned.get(req);
  if (known !== undefined) return known;
  const id = randomUUID();
  assigned.set(req, id);
  res.setHeader('X-Request-Id', id);
  if (logger.isLevelEnabled('debug')) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug({ requestId: id, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms }, 'request');
    });
  }
  return id;
}

export function requestId(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.requestId = assignRequestId(req, res, logger);
    next();
  };
}
