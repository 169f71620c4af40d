// Sends one forwarded delivery: POST with the exact bytes, signed for the destination, bounded by the
// destination's timeout, reading at most the start of the answer (a receiver's error body is kept cut short).
// node:http / node:https over one keep-alive Agent per destination (its id and its URL's origin), at most
// the destination's concurrency of sockets, idle ones unref'd (they never keep the process alive) and
// dropped after IDLE_MS; a socket whose attempt timed out or whose answer was cut short is destroyed, never
// reused. No redirect is ever followed.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { Destination } from './destinations.js';
import { signature } from './delivery.js';
import { cut, type SendResult } from './policy.js';

/** Bytes of an answer read at most; the rest is dropped unread. */
const READ_AT_MOST = 4096;
/** An idle keep-alive socket is closed after this long (or sooner when the destination's Keep-Alive says so). */
const IDLE_MS = 4000;

export type Send = (destination: Destination, bytes: Buffer) => Promise<SendResult>;

/** A sender with its connections: `send` reuses them per destination, `close()` destroys them all. */
export interface HttpSender {
  send: Send;
  /**
   * Destroys every connection (an attempt still in flight ends as a network error); later sends still
   * work, each on its own connection closed after it, as the one-shot `send` does.
   */
  close(): void;
}

/** Where a URL's requests go, parsed once. */
interface Target {
  https: boolean;
  origin: string;
  options: RequestOptions;
}

const TIMED_OUT = 'timed out';

function target(url: string): Target {
  const parsed = new URL(url);
  const options = urlToHttpOptions(parsed) as RequestOptions;
  return { https: parsed.protocol === 'https:', origin: parsed.origin, options };
}

const describe = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return cut(e.code ?? e.message ?? String(err));
};

/** What one request on one connection came to; `stale` marks a reused connection that failed before any answer. */
type Outcome = { result: SendResult; stale: boolean };

function once(t: Target, agent: HttpAgent | false, headers: Record<string, string>, bytes: Buffer, started: number, deadline: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let answered = false;
    let req: ClientRequest;
    const latencyMs = () => Math.round(performance.now() - started);
    const settle = (result: SendResult, stale = false) => {
      // Stryker disable next-line ConditionalExpression: a second settle only clears a cleared timer and resolves a resolved promise (the first result stands)
      if (settled) return;
      // Stryker disable next-line BooleanLiteral: every later settle is then a no-op as above, and the data handler's pushes after the answer are never read
      settled = true;
      clearTimeout(timer);
      resolve({ result, stale });
    };
    const fail = (err: unknown) => settle({ error: describe(err), latencyMs: latencyMs() }, !answered && req.reusedSocket);
    const timer = setTimeout(
      () => {
        settle({ error: TIMED_OUT, latencyMs: latencyMs() });
        req.destroy();
      },
      Math.max(0, deadline - performance.now()),
    );
    req = (t.https ? httpsRequest : httpRequest)({ ...t.options, method: 'POST', headers, agent }, (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () => settle({ status: res.statusCode!, body: Buffer.concat(chunks, size).subarray(0, READ_AT_MOST).toString('utf8'), retryAfter: header(res, 'retry-after'), latencyMs: latencyMs() });
      res.on('data', (chunk: Buffer) => {
        // Stryker disable next-line ConditionalExpression: chunks pushed after the attempt settled are never read, and settle again is a no-op
        if (settled) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size < READ_AT_MOST) return;
        answer();
        // The rest is not read: the connection goes with it, so an endless answer cannot hold it.
        if (!res.complete) req.destroy();
      });
      res.on('end', answer);
      // Stryker disable next-line StringLiteral: without this listener, 'close' below settles with res.errored, the same error
      res.on('error', fail);
      // A fallback: Node ends an unfinished answer with an ECONNRESET 'error', which settles before 'close' comes.
      // Stryker disable next-line StringLiteral,BlockStatement: the 'error' listener above has settled the attempt whenever this would
      res.on('close', () => {
        // Stryker disable next-line ConditionalExpression,BooleanLiteral,LogicalOperator,StringLiteral,ObjectLiteral: unsettled at 'close' never happens (see above), and fail after settle is a no-op
        if (!settled) fail(res.errored ?? Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', fail);
    req.end(bytes);
  });
}

function header(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  // Stryker disable next-line StringLiteral: only Retry-After is read, and Node keeps the first of a repeated one (a string, never an array)
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

function headersFor(destination: Destination, bytes: Buffer): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'instagram-push-kit-relay', 'content-length': String(bytes.length) };
  if (destination.appSecret) headers['x-hub-signature-256'] = signature(destination.appSecret, bytes);
  return headers;
}

/**
 * One attempt. A connection taken from the pool that the destination had already closed (it fails before
 * any answer) is not the attempt's failure: the request goes again on another connection, within the
 * same deadline. (As with any retry, a destination that read the request and dropped the connection
 * without answering may see it twice: deliveries are deduplicated by `mid` downstream.)
 */
async function attempt(t: Target, agent: HttpAgent | false, destination: Destination, bytes: Buffer): Promise<SendResult> {
  const headers = headersFor(destination, bytes);
  const started = performance.now();
  const deadline = started + destination.timeoutMs;
  for (;;) {
    const { result, stale } = await once(t, agent, headers, bytes, started, deadline);
    if (!stale) return result;
  }
}

export function createHttpSender(): HttpSender {
  const targets = new Map<string, Target>();
  const agents = new Map<string, HttpAgent>();
  let closed = false;

  const targetOf = (url: string): Target => {
    let t = targets.get(url);
    // Stryker disable next-line ConditionalExpression: the cache only saves parsing; target() of one URL always comes to the same
    if (!t) targets.set(url, (t = target(url)));
    return t;
  };

  const agentFor = (destination: Destination, t: Target): HttpAgent => {
    const key = `${destination.id}\n${t.origin}`;
    let agent = agents.get(key);
    if (!agent) {
      const options = { keepAlive: true, maxSockets: destination.concurrency, maxFreeSockets: destination.concurrency, timeout: IDLE_MS, scheduling: 'lifo' as const };
      agent = t.https ? new HttpsAgent(options) : new HttpAgent(options);
      agents.set(key, agent);
    } else if (
      // Stryker disable next-line ConditionalExpression: setting the limits to the values they already have changes nothing
      agent.maxSockets !== destination.concurrency
    ) {
      agent.maxSockets = destination.concurrency;
      agent.maxFreeSockets = destination.concurrency;
    }
    return agent;
  };

  return {
    send: async (destination, bytes) => {
      let t: Target;
      try {
        t = targetOf(destination.url);
      } catch (err) {
        return { error: describe(err), latencyMs: 0 };
      }
      return attempt(t, closed ? false : agentFor(destination, t), destination, bytes);
    },
    close() {
      closed = true;
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

/**
 * One-shot form: each call on its own connection, closed after the answer (`Connection: close`); it
 * holds nothing between calls and needs no close(). For tests and callers without a sender; the relay
 * uses `createHttpSender()`.
 */
export const send: Send = async (destination, bytes) => {
  let t: Target;
  try {
    t = target(destination.url);
  } catch (err) {
    return { error: describe(err), latencyMs: 0 };
  }
  return attempt(t, false, destination, bytes);
};
