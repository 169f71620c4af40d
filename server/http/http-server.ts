// http/: the edge, the frame around the routes, in the order a request meets it: the node:http server
// and its limits on time and connections (here), answers for requests that never reach the app
// (client-errors.ts), then the app's first middleware: Connection: close when a body is left unread
// (connection-guard.ts), the headers every answer carries (security-headers.ts), the request ID
// (request-id.ts) and, for the open sandbox, the Host check (host-check.ts); and its last, the one
// error handler that renders every failure of every stage as the spec's ErrorBody (error-handler.ts).
// The push hot path (push/fast-path.ts) runs in front of Express and applies the same headers and ID itself.
//
// The node:http server the app runs in, with the limits that keep slow and endless clients from holding
// it: how long a request may take to arrive, how long a connection may sit silent, how many may be open.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import { answerClientError } from './client-errors.js';
import { boundPipelining, DEFAULT_PIPELINE_LIMITS, type PipelineLimits } from './pipelining.js';

export interface HttpServerLimits {
  /** The request line and headers must arrive within this (ms) of the request's first byte (or of the connection, for its first request); else 408 and close. */
  headersTimeoutMs: number;
  /**
   * The whole request, body included, must arrive within this (ms); else 408 and close. Node stops the clock
   * once the request is complete, so it never limits the answer: the live feed outlives it.
   */
  requestTimeoutMs: number;
  /**
   * A connection with no bytes either way for this long (ms) is closed: an idle keep-alive connection, a
   * client that stops reading its answer. Longer than the live feed's keep-alive comments, or feeds are cut.
   */
  idleTimeoutMs: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpServerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Above the 60 s idle timeout of common load balancers (AWS ALB, nginx): a balancer must never send a
  // request on a connection this server is closing at that moment, which the balancer reports as a 502.
  idleTimeoutMs: 65_000,
  maxConnections: 1024,
};

/** How often a warning about dropped connections may be logged (ms), so an attack does not flood the log. */
const DROP_WARNING_EVERY_MS = 60_000;

/**
 * How often Node looks for requests past their header or request deadline. Node's default (30 s) would let
 * a 10 s limit run to 40 s; a quarter of the smallest limit, between 25 ms and 1 s, keeps it prompt.
 */
export function connectionsCheckingInterval(limits: Pick<HttpServerLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): number {
  const smallest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return Math.min(1000, Math.max(25, Math.floor(smallest / 4)));
}

export interface HttpServerOptions {
  limits: HttpServerLimits;
  logger: Logger;
  /** What a connection may hold for answers its client is not reading (pipelining.ts). */
  pipelining?: PipelineLimits;
}

/** A node:http server answering with `handler`, not yet listening. */
export function createHttpServer(handler: RequestListener, { limits, logger, pipelining = DEFAULT_PIPELINE_LIMITS }: HttpServerOptions): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // Read once, when the server starts listening: setting the property later has no effect.
      connectionsCheckingInterval: connectionsCheckingInterval(limits),
    },
    boundPipelining(handler, pipelining),
  );
  // Socket inactivity while a request is in flight or an answer is being written (keepAliveTimeout covers
  // the wait between requests). Every write resets it, so a stream that writes is never idle.
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('clientError', answerClientError);
  let dropped = 0;
  let warnedAt = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - warnedAt < DROP_WARNING_EVERY_MS) return;
    logger.warn({ dropped, maxConnections: limits.maxConnections }, 'connection cap reached: new connections are closed unanswered (MAX_CONNECTIONS)');
    warnedAt = now;
    dropped = 0;
  });
  return server;
}
