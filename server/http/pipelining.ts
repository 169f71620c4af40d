// Bounds what a connection can make the server hold for answers its client is not reading. Node parses
// every request a client pipelines in one read and hands each to the app at once; the app builds each
// answer, and all but the first wait in memory for the ones before them: 400 pipelined `GET /docs`,
// about 16 KB sent and never read, made one connection hold a gigabyte. Here a request is started only
// while the connection's answers in progress are few and their unsent bytes small; later requests wait
// (a request object, not an answer) and start as the client reads (the socket's 'drain', an answer's
// end). Node itself stops reading a socket whose writes are waiting, so what waits is one read's worth,
// and it is capped: past the cap, per connection or in all, the connection is closed.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface PipelineLimits {
  /** A request starts only while the connection's answers in progress hold fewer unsent bytes than this. */
  maxUnsentBytes: number;
  /** Answers in progress on one connection at most; later requests wait. */
  maxInFlight: number;
  /** Requests waiting to start on one connection at most; one more closes the connection. */
  maxWaiting: number;
  /** Requests waiting to start on all connections at most; one more closes the connection it came on. */
  maxWaitingTotal: number;
}

export const DEFAULT_PIPELINE_LIMITS: Readonly<PipelineLimits> = {
  maxUnsentBytes: 1024 * 1024,
  maxInFlight: 16,
  maxWaiting: 128,
  maxWaitingTotal: 4096,
};

interface Connection {
  readonly socket: Socket;
  readonly inFlight: Set<ServerResponse>;
  readonly waiting: [IncomingMessage, ServerResponse][];
}

/** Bytes written and not yet handed to the kernel, over the answers in progress (a Node answer counts its socket's too). */
function unsentBytes(c: Connection): number {
  let total = 0;
  for (const res of c.inFlight) total += res.writableLength;
  return total;
}

/** `handler`, called for each request only when its connection is within `limits`. */
export function boundPipelining(handler: RequestListener, limits: PipelineLimits = DEFAULT_PIPELINE_LIMITS): RequestListener {
  const connections = new WeakMap<Socket, Connection>();
  let waitingTotal = 0;

  const canStart = (c: Connection) => c.inFlight.size < limits.maxInFlight && unsentBytes(c) < limits.maxUnsentBytes;

  const start = (c: Connection, req: IncomingMessage, res: ServerResponse) => {
    c.inFlight.add(res);
    // 'close' comes once the answer was flushed to the kernel, or the connection ended under it.
    res.once('close', () => {
      c.inFlight.delete(res);
      pump(c);
    });
    handler(req, res);
  };

  const pump = (c: Connection) => {
    while (c.waiting.length > 0 && !c.socket.destroyed && canStart(c)) {
      const [req, res] = c.waiting.shift()!;
      waitingTotal--;
      start(c, req, res);
    }
  };

  const connectionOf = (socket: Socket): Connection => {
    let c = connections.get(socket);
    if (c) return c;
    const created: Connection = { socket, inFlight: new Set(), waiting: [] };
    connections.set(socket, created);
    socket.on('drain', () => pump(created));
    socket.once('close', () => {
      waitingTotal -= created.waiting.length;
      created.waiting.length = 0;
    });
    return (c = created);
  };

  return (req, res) => {
    const c = connectionOf(req.socket);
    if (c.waiting.length === 0 && canStart(c)) {
      start(c, req, res);
      return;
    }
    if (c.waiting.length >= limits.maxWaiting || waitingTotal >= limits.maxWaitingTotal) {
      // The client sent this many requests without reading the answers: it has no use for them.
      req.socket.destroy();
      return;
    }
    c.waiting.push([req, res]);
    waitingTotal++;
  };
}
