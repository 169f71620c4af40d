// Answers that leave a request body unread close the connection. Without this, Node keeps reading and
// discarding the rest of the body so that the connection can carry the next request: one client
// declaring a 10 GB Content-Length kept a core busy for as long as it kept sending. With
// `Connection: close`, Node stops reading once the answer is flushed and closes the socket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** True when the request said it carries a body and that body has not been read to its end. */
export function bodyLeftUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Marks the answer `Connection: close` when it is about to be sent with the body unread. */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent && bodyLeftUnread(req)) res.setHeader('Connection', 'close');
}

/**
 * Express middleware, first in the chain: every answer (refusal or not, from any route) is checked
 * just before its headers go out. Patching writeHead is the one hook every way of answering passes
 * through (res.json, res.send, res.end, res.writeHead itself).
 */
export function connectionGuard() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const writeHead = res.writeHead;
    res.writeHead = function guardedWriteHead(this: Response, ...args: unknown[]) {
      closeIfBodyUnread(req, res);
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}
