// createHttpServer: the limits on the node:http server itself, with a bare handler and limits small
// enough to watch them act (serve() refuses an idle timeout this short; see slow-clients.test.ts).
import type { RequestListener, Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectionsCheckingInterval, createHttpServer, DEFAULT_HTTP_LIMITS, type HttpServerLimits } from '../../server/http/http-server.js';

const limits: HttpServerLimits = { headersTimeoutMs: 100, requestTimeoutMs: 200, idleTimeoutMs: 400, maxConnections: 2 };
const quietLogger = () => ({ warn: vi.fn() }) as unknown as Logger & { warn: ReturnType<typeof vi.fn> };

let open: Server | undefined;
afterEach(async () => {
  const server = open;
  open = undefined;
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function listen(handler: RequestListener, logger: Logger = quietLogger(), l = limits): Promise<number> {
  open = createHttpServer(handler, { limits: l, logger });
  await new Promise<void>((r) => open!.listen(0, '127.0.0.1', r));
  return (open.address() as { port: number }).port;
}

/** Connects, sends `request`, and resolves with what came back and when the connection closed. */
async function exchange(port: number, request: string): Promise<{ socket: Socket; closed: Promise<{ received: string; afterMs: number }> }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  const started = Date.now();
  let received = '';
  socket.on('data', (d) => (received += d));
  const closed = new Promise<{ received: string; afterMs: number }>((r) => socket.on('close', () => r({ received, afterMs: Date.now() - started })));
  socket.write(request);
  return { socket, closed };
}

const GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('createHttpServer', () => {
  it('checks deadlines every quarter of the smallest limit, between 25 ms and 1 s', () => {
    expect(connectionsCheckingInterval(DEFAULT_HTTP_LIMITS)).toBe(1000);
    expect(connectionsCheckingInterval({ headersTimeoutMs: 300, requestTimeoutMs: 600 })).toBe(75);
    expect(connectionsCheckingInterval({ headersTimeoutMs: 40, requestTimeoutMs: 40 })).toBe(25);
  });

  it('closes a keep-alive connection that stays silent for the idle timeout after its answer', async () => {
    const port = await listen((_req, res) => res.end('ok'));
    const { closed } = await exchange(port, GET);
    const { received, afterMs } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(afterMs).toBeGreaterThanOrEqual(limits.idleTimeoutMs - 20);
    // Node 20.20 waits 1 s past the timeout it advertises, so a client honouring it never sends into a closing socket.
    expect(afterMs).toBeLessThan(limits.idleTimeoutMs + 1000 + 300);
  });

  it('lets an answer that keeps writing outlive the request and idle timeouts, as the live feed does', async () => {
    const port = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Writes every quarter of the idle timeout, for three idle timeouts.
      const beat = setInterval(() => res.write(': keep-alive\n\n'), limits.idleTimeoutMs / 4);
      setTimeout(() => {
        clearInterval(beat);
        res.end('event: done\ndata: {}\n\n');
      }, 3 * limits.idleTimeoutMs);
    });
    const { socket, closed } = await exchange(port, GET);
    let received = '';
    await new Promise<void>((resolve) => socket.on('data', (d) => (received += d) && received.includes('event: done') && resolve()));
    expect(received.match(/: keep-alive/g)!.length).toBeGreaterThanOrEqual(8);
    socket.destroy();
    await closed;
  });

  it('closes a connection whose answer stays silent for the idle timeout', async () => {
    const port = await listen(() => {
      /* never answers */
    });
    const { closed } = await exchange(port, GET);
    const { received, afterMs } = await closed;
    expect(received).toBe('');
    expect(afterMs).toBeGreaterThanOrEqual(limits.idleTimeoutMs - 20);
    expect(afterMs).toBeLessThan(limits.idleTimeoutMs + 300);
  });

  it('drops connections over the cap and warns once a minute, not once per connection', async () => {
    const logger = quietLogger();
    const port = await listen(() => {}, logger, { ...limits, requestTimeoutMs: 5000, headersTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const held = await Promise.all([exchange(port, GET), exchange(port, GET)]);
    await new Promise((r) => setTimeout(r, 50));
    const over = await Promise.all([1, 2, 3].map(() => exchange(port, GET)));
    for (const o of over) expect((await o.closed).received).toBe('');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toEqual({ dropped: 1, maxConnections: 2 });
    for (const h of held) h.socket.destroy();
  });
});

describe('requests that never reach the app', () => {
  const errorBody = (received: string) => JSON.parse(received.split('\r\n\r\n')[1] ?? '');
  it('answers bytes that are not HTTP with 400 and the contract error body, then closes', async () => {
    const port = await listen((_req, res) => res.end('ok'));
    const { closed } = await exchange(port, 'HELLO THERE\r\n\r\n');
    const { received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(received.toLowerCase()).toContain('\r\nconnection: close');
    expect(errorBody(received)).toMatchObject({ code: 'bad_request', errors: [], requestId: expect.any(String) });
  });
  it('answers headers larger than Node accepts with 431 and the error body', async () => {
    const port = await listen((_req, res) => res.end('ok'));
    const { closed } = await exchange(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const { received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 431 /);
    expect(errorBody(received).code).toBe('bad_request');
  });
});
