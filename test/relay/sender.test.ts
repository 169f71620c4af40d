// One attempt as the sender makes it, against scripted destinations on real ports: the request it sends
// (method, headers, the signature only when the destination has a secret, the bytes as given), and what
// it keeps of the answer (the status, Retry-After, at most the start of the body, read no further than
// that, no redirect followed) or of a failure (a timeout, a refused connection, an answer cut short, TLS
// spoken to an https URL) — both for the keep-alive sender and the one-shot `send`. Then what the
// keep-alive sender does with its connections: one reused from attempt to attempt, also after an answer
// that came whole, none reused after a timeout or a cut answer, a connection the destination closed not
// counted against the next attempt (unless it had begun to answer), at most the destination's
// concurrency of them, none left by close(), and none keeping the process alive.
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signature } from '../../server/relay/delivery.js';
import type { Destination } from '../../server/relay/destinations.js';
import { createHttpSender, send as oneShot, type Send } from '../../server/relay/sender.js';
import { accept, fail, faultDestination, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const to = (url: string, more: Partial<Destination> = {}): Destination => ({ id: 'd', channel: 'a', url, enabled: true, timeoutMs: 5000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20, ...more });
const bytes = Buffer.from('{"object":"instagram","entry":[]}');

async function destination(answer: Parameters<typeof faultDestination>[0]) {
  const dest = await faultDestination(answer);
  cleanups.push(() => dest.close());
  return dest;
}

/** A keep-alive sender, closed after the test. */
function keepAlive() {
  const sender = createHttpSender();
  cleanups.push(() => sender.close());
  return sender;
}

/** A destination that counts its connections: opened, open now, and most open at once. */
async function counting(answer: (n: number, res: ServerResponse, req: IncomingMessage) => void, setup: (server: Server) => void = () => {}) {
  let requests = 0;
  const sockets = new Set<Socket>();
  const stats = { connections: 0, open: 0, mostOpen: 0, requests: 0, connectionHeaders: [] as string[] };
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      stats.requests = ++requests;
      if (req.headers.connection) stats.connectionHeaders.push(req.headers.connection);
      answer(requests - 1, res, req);
    });
  });
  setup(server);
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    sockets.add(socket);
    stats.mostOpen = Math.max(stats.mostOpen, ++stats.open);
    socket.on('close', () => {
      sockets.delete(socket);
      stats.open--;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${port}/p`, stats };
}

describe.each([
  ['the keep-alive sender', () => keepAlive().send],
  ['the one-shot send', (): Send => oneShot],
])('%s', (_name, make) => {
  it('POSTs the bytes as JSON, signed with the destination secret, and keeps the status, Retry-After and body', async () => {
    const send = make();
    const dest = await destination((_n, res, req) => void fail(res, req.method === 'POST' ? 503 : 405, 'busy', { 'retry-after': '7' }));
    const before = performance.now();
    const result = await send(to(dest.url, { appSecret: 's3cret' }), bytes);
    const elapsed = performance.now() - before;
    expect(result).toMatchObject({ status: 503, body: 'busy', retryAfter: '7' });
    // The latency is the attempt's own: never more than the time the call took.
    expect('latencyMs' in result && result.latencyMs).toBeLessThanOrEqual(Math.ceil(elapsed));
    const [got] = dest.received;
    expect(got!.body.equals(bytes)).toBe(true);
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'instagram-push-kit-relay',
      'content-length': String(bytes.length),
      'x-hub-signature-256': signature('s3cret', bytes),
    });
  });

  it('sends no signature to a destination without a secret, and reads no Retry-After that is not there', async () => {
    const send = make();
    const dest = await destination((_n, res) => void accept(res));
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200, body: '{"resultMsg":"200"}', retryAfter: null });
    expect(dest.received[0]!.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('answers an empty body for a 204, and does not follow a redirect', async () => {
    const send = make();
    const empty = await destination((_n, res) => void res.writeHead(204).end());
    expect(await send(to(empty.url), bytes)).toMatchObject({ status: 204, body: '' });
    const moved = await destination((_n, res) => void res.writeHead(302, { location: empty.url }).end());
    expect(await send(to(moved.url), bytes)).toMatchObject({ status: 302, body: '' });
    expect(empty.received).toHaveLength(1);
  });

  it('reads at most the first 4 KiB of an answer, even one that never ends', async () => {
    const send = make();
    const big = await destination((_n, res) => void fail(res, 500, 'é'.repeat(5000)));
    const result = await send(to(big.url), bytes);
    expect('body' in result && Buffer.byteLength(result.body)).toBe(4096);
    const endless = await destination((_n, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
      res.on('close', () => clearInterval(timer));
    });
    // The timeout is long: the attempt ends on the 4 KiB read, not on it.
    expect(await send(to(endless.url, { timeoutMs: 20_000 }), bytes)).toMatchObject({ status: 500, body: 'x'.repeat(4096) });
  });

  it('says "timed out" when the destination does not answer in time, or stops in the middle of its answer, and names a refused connection', async () => {
    const send = make();
    const silent = await destination(() => {});
    expect(await send(to(silent.url, { timeoutMs: 100 }), bytes)).toMatchObject({ error: 'timed out' });
    // The timeout bounds the whole attempt, the start of the body included.
    const slow = await destination((_n, res) => void res.writeHead(200, { 'content-length': '100' }).write('{"resultMsg"'));
    expect(await send(to(slow.url, { timeoutMs: 150 }), bytes)).toMatchObject({ error: 'timed out' });
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const before = performance.now();
    const refused = await send(to(`http://127.0.0.1:${port}/p`), bytes);
    expect(refused).toMatchObject({ error: 'ECONNREFUSED' });
    expect(refused.latencyMs).toBeLessThanOrEqual(Math.ceil(performance.now() - before));
  });

  it('answers as soon as 4 KiB of the answer has come, without waiting for the rest', async () => {
    const send = make();
    // Exactly 4 KiB of a longer answer, then nothing: the attempt ends on the 4 KiB, well before its timeout.
    const dest = await destination((_n, res) => void res.writeHead(500, { 'content-length': '8192' }).write('x'.repeat(4096)));
    expect(await send(to(dest.url, { timeoutMs: 3000 }), bytes)).toMatchObject({ status: 500, body: 'x'.repeat(4096) });
  });

  it('keeps the first of a repeated Retry-After', async () => {
    const send = make();
    // Node's parser drops a repeated Retry-After (it never joins it): the answer is written raw to have two.
    const server = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nRetry-After: 9\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    expect(await send(to(`http://127.0.0.1:${port}/p`), bytes)).toMatchObject({ status: 503, body: 'busy', retryAfter: '7' });
  });

  it('speaks TLS to an https URL: a plain-HTTP destination behind one gets no request, and the attempt fails', async () => {
    const send = make();
    const dest = await destination((_n, res) => void accept(res));
    const result = await send(to(dest.url.replace(/^http:/, 'https:')), bytes);
    expect(result).toMatchObject({ error: 'EPROTO' });
    expect(dest.received).toHaveLength(0);
  });

  it('names a connection the destination drops in the middle of its answer', async () => {
    const send = make();
    const dest = await destination((_n, res) => {
      res.writeHead(200, { 'content-length': '100' }).write('{"resultMsg"');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    expect(await send(to(dest.url), bytes)).toMatchObject({ error: 'ECONNRESET' });
  });
});

describe('the keep-alive sender', () => {
  it('sends attempt after attempt to a destination on one connection', async () => {
    const dest = await counting((_n, res) => void accept(res));
    const { send } = keepAlive();
    for (let i = 0; i < 5; i++) expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200, body: '{"resultMsg":"200"}' });
    expect(dest.stats).toMatchObject({ requests: 5, connections: 1 });
    expect(dest.stats.connectionHeaders.every((c) => c === 'keep-alive')).toBe(true);
  });

  it('keeps one pool per destination: two destinations at one origin do not share connections', async () => {
    const dest = await counting((_n, res) => void accept(res));
    const { send } = keepAlive();
    await send(to(dest.url, { id: 'one' }), bytes);
    await send(to(dest.url, { id: 'two' }), bytes);
    await send(to(dest.url, { id: 'one' }), bytes);
    expect(dest.stats).toMatchObject({ requests: 3, connections: 2 });
  });

  it('opens at most the destination concurrency of connections', async () => {
    const dest = await counting((_n, res) => void setTimeout(() => accept(res), 30));
    const { send } = keepAlive();
    const results = await Promise.all(Array.from({ length: 8 }, () => send(to(dest.url, { concurrency: 2 }), bytes)));
    expect(results.every((r) => 'status' in r && r.status === 200)).toBe(true);
    expect(dest.stats.requests).toBe(8);
    expect(dest.stats.connections).toBe(2);
    // A destination whose concurrency changes gets that many.
    await Promise.all(Array.from({ length: 8 }, () => send(to(dest.url, { concurrency: 3 }), bytes)));
    expect(dest.stats.connections).toBe(3);
  });

  it('does not count against the next attempt a connection the destination closed after answering', async () => {
    // Closed as soon as the answer is written: the next attempt may find it in the pool before it knows.
    const closing = await counting((_n, res, req) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}', () => req.socket.destroy()));
    const { send } = keepAlive();
    for (let i = 0; i < 5; i++) expect(await send(to(closing.url), bytes)).toMatchObject({ status: 200 });
    expect(closing.stats.requests).toBeGreaterThanOrEqual(5);
    // Closed after a short idle time (the destination's keep-alive timeout).
    const idle = await counting(
      (_n, res) => void accept(res),
      (server) => (server.keepAliveTimeout = 50),
    );
    expect(await send(to(idle.url), bytes)).toMatchObject({ status: 200 });
    await waitFor('the idle connection closed', () => (idle.stats.open === 0 ? true : undefined));
    expect(await send(to(idle.url), bytes)).toMatchObject({ status: 200 });
    expect(idle.stats).toMatchObject({ requests: 2, connections: 2 });
  });

  it('sends again on a new connection when a reused one is dropped under the request, before any answer', async () => {
    // The second request on a connection finds it closed: the race of a keep-alive timeout.
    const seen = new WeakMap<Socket, number>();
    const dest = await counting((_n, res, req) => {
      const count = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, count);
      if (count === 2) req.socket.destroy();
      else accept(res);
    });
    const { send } = keepAlive();
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    const before = performance.now();
    const second = await send(to(dest.url, { timeoutMs: 2000 }), bytes);
    expect(second).toMatchObject({ status: 200, body: '{"resultMsg":"200"}' });
    // One attempt: its latency runs from its start, across the connection that failed.
    expect(second.latencyMs).toBeLessThanOrEqual(Math.ceil(performance.now() - before));
    expect(dest.stats).toMatchObject({ requests: 3, connections: 2 });
  });

  it('does not send again on a new connection when a new one fails', async () => {
    const dest = await counting((_n, res, req) => void (_n === 0 ? accept(res) : req.socket.destroy()));
    const { send } = keepAlive();
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    // The reused connection fails, then the new one does too: that is the attempt's failure.
    expect(await send(to(dest.url), bytes)).toMatchObject({ error: 'ECONNRESET' });
    expect(dest.stats).toMatchObject({ requests: 3, connections: 2 });
  });

  it('does not send again when a reused connection is dropped in the middle of its answer', async () => {
    // An answer had begun: the destination read the request, so the failure is the attempt's own.
    const dest = await counting((n, res) => {
      if (n !== 1) return void accept(res);
      res.writeHead(200, { 'content-length': '100' }).write('{"resultMsg"', () => res.socket?.destroy());
    });
    const { send } = keepAlive();
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    expect(await send(to(dest.url), bytes)).toMatchObject({ error: 'ECONNRESET' });
    expect(dest.stats).toMatchObject({ requests: 2, connections: 1 });
  });

  it('keeps the connection of an answer of 4 KiB or more that came whole', async () => {
    // Cut to 4 KiB, but nothing was left unread: the connection goes back to the pool.
    const dest = await counting((_n, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(5000)));
    const { send } = keepAlive();
    for (let i = 0; i < 3; i++) expect(await send(to(dest.url), bytes)).toMatchObject({ status: 500, body: 'x'.repeat(4096) });
    expect(dest.stats).toMatchObject({ requests: 3, connections: 1 });
  });

  it('never reuses the connection of an attempt that timed out', async () => {
    const dest = await counting((n, res) => void (n === 0 ? undefined : accept(res)));
    const { send } = keepAlive();
    expect(await send(to(dest.url, { timeoutMs: 100 }), bytes)).toMatchObject({ error: 'timed out' });
    await waitFor('the timed-out connection closed', () => (dest.stats.open === 0 ? true : undefined));
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    expect(dest.stats).toMatchObject({ requests: 2, connections: 2 });
  });

  it('never reuses the connection of an answer cut at 4 KiB, and drops it at once', async () => {
    const dest = await counting((n, res) => {
      if (n > 0) return void accept(res);
      res.writeHead(500, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
      res.on('close', () => clearInterval(timer));
    });
    const { send } = keepAlive();
    expect(await send(to(dest.url, { timeoutMs: 20_000 }), bytes)).toMatchObject({ status: 500, body: 'x'.repeat(4096) });
    await waitFor('the cut connection closed', () => (dest.stats.open === 0 ? true : undefined), 1000);
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    expect(dest.stats).toMatchObject({ requests: 2, connections: 2 });
  });

  it('closes every connection on close(), and sends after it on one-shot connections', async () => {
    const dest = await counting((_n, res) => void accept(res));
    const sender = createHttpSender();
    await Promise.all([0, 1, 2].map(() => sender.send(to(dest.url, { concurrency: 3 }), bytes)));
    expect(dest.stats).toMatchObject({ connections: 3, open: 3 });
    sender.close();
    // Well before the idle timeout (4 s) would have closed them.
    await waitFor('the connections closed', () => (dest.stats.open === 0 ? true : undefined), 1000);
    expect(await sender.send(to(dest.url), bytes)).toMatchObject({ status: 200 });
    expect(dest.stats.connectionHeaders.at(-1)).toBe('close');
    await waitFor('the one-shot connection closed', () => (dest.stats.open === 0 ? true : undefined), 1000);
  });

  it('does not keep the process alive with its idle connections', async () => {
    const dest = await counting((_n, res) => void accept(res));
    // A process that sends, never closes the sender, and has nothing else to do: it exits at once, not
    // when the idle connection times out (4 s) or the destination closes it (5 s).
    const script = `
      import { createHttpSender } from ${JSON.stringify(new URL('../../server/relay/sender.ts', import.meta.url).pathname)};
      const sender = createHttpSender();
      const d = { id: 'd', channel: 'a', url: ${JSON.stringify(dest.url)}, enabled: true, timeoutMs: 5000, maxAgeMs: 60000, concurrency: 1 };
      const r = await sender.send(d, Buffer.from('{}'));
      const sent = performance.now();
      process.on('exit', () => console.log(JSON.stringify({ status: r.status, exitMs: performance.now() - sent })));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    const { status, exitMs } = JSON.parse(out) as { status: number; exitMs: number };
    expect(status).toBe(200);
    expect(exitMs).toBeLessThan(1000);
    // Its connection was kept alive, not closed after the answer.
    expect(dest.stats.connectionHeaders).toEqual(['keep-alive']);
  });
});

describe('a freshly loaded sender module', () => {
  it('says "timed out" when the destination does not answer in time', async () => {
    // Loaded inside the test, so the module's own constants are evaluated in it (where a mutation run
    // switching a mutant on for this test sees them), not once when the file was imported.
    vi.resetModules();
    const fresh = await import('../../server/relay/sender.js');
    const silent = await destination(() => {});
    expect(await fresh.send(to(silent.url, { timeoutMs: 100 }), bytes)).toMatchObject({ error: 'timed out' });
    const sender = fresh.createHttpSender();
    cleanups.push(() => sender.close());
    expect(await sender.send(to(silent.url, { timeoutMs: 100 }), bytes)).toMatchObject({ error: 'timed out' });
  });
});
