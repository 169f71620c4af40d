// Pipelined requests whose answers are never read: the server starts only a few answers per connection
// and leaves the rest of the requests waiting (or closes the connection past a cap), so a client that
// sends 40 KB of `GET /docs` and never reads cannot make it build a thousand copies of a 3 MB page; and
// a push from another client meanwhile is answered as usual. Structural facts only (how many answers
// the server started), never memory or time.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ReferenceApp } from '../../server/app.js';
import { createHttpServer, DEFAULT_HTTP_LIMITS } from '../../server/http/http-server.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { DEFAULT_PIPELINE_LIMITS, type PipelineLimits } from '../../server/http/pipelining.js';
import { PUSH_PATH } from '../support/http.js';

const dir = mkdtempSync(join(tmpdir(), 'ipk-pipelining-'));
const docsFile = join(dir, 'docs.html');
// Hex is text but compresses only about in half: the bound must hold whatever compression saves.
writeFileSync(docsFile, `<!doctype html><title>docs</title><pre>${randomBytes(1536 * 1024).toString('hex')}</pre>`);
const inbox = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
let app: ReferenceApp;
beforeAll(async () => {
  app = createApp({ inbox, logger: pino({ level: 'silent' }), docsFile: pathToFileURL(docsFile) });
  await app.warmUp();
});
afterAll(async () => {
  await inbox.close();
  rmSync(dir, { recursive: true, force: true });
});

let open: Server | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const s of clients.splice(0)) s.destroy();
  const server = open;
  open = undefined;
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Listens with `handler` behind the server's limits; `started()` counts the requests handed to it. */
async function listen(handler: RequestListener, pipelining?: PipelineLimits): Promise<{ url: string; port: number; started: () => number }> {
  let started = 0;
  const counted = (req: IncomingMessage, res: ServerResponse) => {
    started++;
    handler(req, res);
  };
  open = createHttpServer(counted, { limits: DEFAULT_HTTP_LIMITS, logger: pino({ level: 'silent' }), pipelining });
  await new Promise<void>((r) => open!.listen(0, '127.0.0.1', r));
  const { port } = open.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, port, started: () => started };
}

/** A client that sends `count` pipelined GETs of `path` at once and never reads. */
async function pipelineUnread(port: number, path: string, count: number): Promise<{ closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  clients.push(socket);
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  await new Promise((r) => socket.once('connect', r));
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(count));
  return { closed: () => closed };
}

/** Resolves once `value()` has not changed for `quietMs` (or after `maxMs`). */
async function settled(value: () => number, quietMs = 500, maxMs = 8000): Promise<number> {
  const until = Date.now() + maxMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < until && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 50));
    if (value() !== last) {
      last = value();
      since = Date.now();
    }
  }
  return last;
}

describe('pipelined answers that are never read', () => {
  it('starts at most a few answers on a connection that pipelines 1000 GET /docs and never reads, and a push from another client still gets 200', async () => {
    const server = await listen(app);
    await Promise.all([pipelineUnread(server.port, '/docs', 1000), pipelineUnread(server.port, '/docs', 1000)]);
    const started = await settled(server.started);
    // Without the bound every request read is answered at once: 2000 answers of 3 MB built in memory.
    expect(started).toBeLessThanOrEqual(2 * DEFAULT_PIPELINE_LIMITS.maxInFlight);
    const r = await fetch(`${server.url}${PUSH_PATH}/chan-a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ object: 'instagram', entry: [] }) });
    expect(r.status).toBe(200);
  });

  it('stops starting answers once the unsent bytes pass the bound, and keeps the connection while few requests wait', async () => {
    const page = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const server = await listen((_req, res) => res.end(page), { ...DEFAULT_PIPELINE_LIMITS, maxInFlight: 1000, maxWaiting: 1000 });
    const client = await pipelineUnread(server.port, '/', 100);
    const started = await settled(server.started);
    // Each answer is 4 MiB against a bound of 1 MiB: the first fills the socket, at most one more starts
    // while the kernel takes bytes off it.
    expect(started).toBeLessThanOrEqual(3);
    expect(client.closed()).toBe(false);
  });

  it('answers every pipelined request, in order, to a client that reads', async () => {
    const server = await listen((req, res) => res.end(req.url), { ...DEFAULT_PIPELINE_LIMITS, maxInFlight: 2 });
    const socket = connect(server.port, '127.0.0.1');
    clients.push(socket);
    let received = '';
    socket.on('data', (d) => (received += d));
    await new Promise((r) => socket.once('connect', r));
    socket.write(Array.from({ length: 50 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join(''));
    await settled(() => received.length);
    const bodies = received.split('HTTP/1.1 200 OK').slice(1).map((a) => a.split('\r\n\r\n')[1]);
    expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => `/${i}`));
    expect(server.started()).toBe(50);
  });

  it('closes a connection once more requests wait than the cap for all connections allows', async () => {
    const server = await listen((_req, _res) => {}, { ...DEFAULT_PIPELINE_LIMITS, maxInFlight: 1, maxWaiting: 1000, maxWaitingTotal: 10 });
    const first = await pipelineUnread(server.port, '/', 8);
    await settled(server.started);
    expect(first.closed()).toBe(false);
    const second = await pipelineUnread(server.port, '/', 8);
    await settled(() => Number(second.closed()));
    expect(second.closed()).toBe(true);
    expect(server.started()).toBe(2);
  });
});
