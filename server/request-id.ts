// Gives every request an ID (echoed as X-Request-Id, put in error bodies) and logs it when it ends.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

export function requestId(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    if (logger.isLevelEnabled('debug')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.debug({ requestId: id, method: req.method, path: req.path, status: res.statusCode, ms }, 'request');
      });
    }
    next();
  };
}
