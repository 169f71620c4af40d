// Headers every answer carries. nosniff because the handshake echoes text the caller chose: no
// browser may ever read an answer of this server as anything but the type it declares.
import type { NextFunction, Request, Response } from 'express';

export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  };
}
