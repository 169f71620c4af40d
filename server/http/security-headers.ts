// Headers every answer carries. nosniff because the handshake echoes text the caller chose: no
// browser may ever read an answer of this server as anything but the type it declares.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    setSecurityHeaders(res);
    next();
  };
}
