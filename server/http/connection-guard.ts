// Answers that leave a request body unread close the connection. Without this, Node keeps reading and
// discarding the rest of the body so that the connection can carry the next request: one client
// declaring a 10 GB Content-Length kept a core busy for as long as it kept sending. With
// `Connection: close`, the answer goes out, the server half-closes, and then discards what still
// arrives for a short, bounded time and byte count before closing (a lingering close, as nginx's
// lingering_time / lingering_timeout). Closing at once would make the kernel reset the connection over
// the unread bytes, and a client still sending (Node's fetch, at 12 MiB) would see EPIPE, not the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NextFunction, Request, Response } from 'express';

export interface LingerLimits {
  /** Longest the server discards what still arrives after the answer (ms), in all. */
  maxMs: number;
  /** Most bytes it discards before closing. */
  maxBytes: number;
  /** Closes sooner when nothing arrives for this long (ms). */
  idleMs: number;
}

export const DEFAULT_LINGER: Readonly<LingerLimits> = { maxMs: 5_000, maxBytes: 128 * 1024 * 1024, idleMs: 1_000 };

/** True when the request said it carries a body and that body has not been read to its end. */
export function bodyLeftUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Replaces the socket's close after the answer (Node calls destroySoon once a `Connection: close` answer
 * is written) by a lingering one: half-close, read and drop the rest of the body, close at its end or at
 * the first limit reached.
 */
export function lingerAfterAnswer(req: IncomingMessage, limits: LingerLimits): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = function lingeringClose() {
    let discarded = 0;
    const stop = () => {
      clearTimeout(total);
      clearTimeout(idle);
      socket.destroy();
    };
    const total = setTimeout(stop, limits.maxMs);
    const idle = setTimeout(stop, limits.idleMs);
    socket.once('close', stop);
    req.removeAllListeners('data');
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limits.maxBytes) stop();
      else idle.refresh();
    });
    // The whole body arrived: nothing more is owed to the client.
    req.once('end', stop);
    req.once('error', stop);
    socket.end();
    req.resume();
  };
}

/** Marks the answer `Connection: close` when it is about to be sent with the body unread, and lingers after it. */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse, linger: LingerLimits = DEFAULT_LINGER): void {
  if (!res.headersSent && bodyLeftUnread(req)) {
    res.setHeader('Connection', 'close');
    lingerAfterAnswer(req, linger);
  }
}

/**
 * Express middleware, first in the chain: every answer (refusal or not, from any route) is checked
 * just before its headers go out. Patching writeHead is the one hook every way of answering passes
 * through (res.json, res.send, res.end, res.writeHead itself).
 */
export function connectionGuard(linger: LingerLimits = DEFAULT_LINGER) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const writeHead = res.writeHead;
    res.writeHead = function guardedWriteHead(this: Response, ...args: unknown[]) {
      closeIfBodyUnread(req, res, linger);
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}
