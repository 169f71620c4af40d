// The live feed's bounds (GET /inbox/events), so that readers cannot exhaust the server: `backlog=0`
// replays nothing; refusals are kept and sent by their escaped size and serialised once; at most
// `maxStreams` streams (503 too_many_streams beyond); a reader that stops reading is ended once more than
// 1 MiB waits for it, while the others read on; a stored event outside the contract is left out.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Response } from 'express';
import type { InboxItem } from 'instagram-push-kit';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { badRequest } from '../../server/contract/errors.js';
import { errorHandler } from '../../server/http/error-handler.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { RefusalLog } from '../../server/read/refusal-log.js';
import { requestId } from '../../server/http/request-id.js';
import { inboxFeed, type FeedDeps } from '../../server/routes/feed.js';
import { bearer, SECRET_A, testConfig } from '../support/channels.js';
import { validateSchema } from '../support/contract.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openSse, type SseMessage, type SseReader } from '../support/sse.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const item = (m: SseMessage) => JSON.parse(m.data);
const escapedSize = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;
/** A body of control characters: one byte each as received, six (\u0001) once escaped in JSON. */
const controlBody = (bytes: number) => Buffer.alloc(bytes, 0x01);

/** A stream read over a raw socket, so a test can stop reading it. */
interface RawStream {
  socket: Socket;
  /** The status line and headers. */
  head: Promise<string>;
  received(): number;
  /** Resolves when the server has ended the connection (and everything it sent was read). */
  ended: Promise<void>;
}

function openRaw(url: string, path: string, headers: Record<string, string> = {}): RawStream {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = 0;
  let text = '';
  let gotHead: (head: string) => void;
  const head = new Promise<string>((resolve) => (gotHead = resolve));
  const ended = new Promise<void>((resolve) => {
    socket.on('end', resolve);
    socket.on('close', resolve);
  });
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (text.length < 4096) {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) gotHead(text.slice(0, end));
    }
  });
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${lines}\r\n`);
  return { socket, head, received: () => received, ended };
}

// These bounds only tell a hang from progress: sized for two cores shared with other work (a CI run
// beside a mutation run missed a 2 s one), they say nothing about speed.
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /inbox/events on the reference app', () => {
  let server: TestServer;
  const feed = (query = '') => openSse(`${server.url}/inbox/events${query}`, bearer);
  const refuse = (body: Buffer | string) => push(server.url, body);
  beforeAll(async () => {
    server = await startTestServer({ config: testConfig, app: { feedPollMs: 50 } });
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  it('replays nothing with backlog=0, and sends what happens after', async () => {
    await push(server.url, textDelivery('bounds-before'), { secret: SECRET_A });
    for (let i = 0; i < 3; i++) expect((await refuse(`{"not json ${i}`)).status).toBe(400);
    const { reader } = await feed('?backlog=0');
    try {
      const ready = await reader.waitFor((m) => m.event === 'ready');
      expect(reader.messages.slice(0, reader.messages.indexOf(ready))).toEqual([]);
      const after = await refuse('{"after');
      await reader.waitFor((m) => m.event === 'refused' && item(m).refusal.error.requestId === after.json.requestId, 1000);
    } finally {
      reader.close();
    }
  });

  it('sends a body of control characters cut to 64 KiB once escaped, marked bodyTruncated', async () => {
    const { reader } = await feed('?backlog=0');
    try {
      await reader.waitFor((m) => m.event === 'ready');
      const big = await refuse(controlBody(MiB - 1));
      expect(big.json.code).toBe('invalid_json');
      const fits = await refuse(controlBody(10_000)); // 60,000 bytes escaped
      const sent = async (requestId: string) => {
        const m = await reader.waitFor((x) => x.event === 'refused' && item(x).refusal.error.requestId === requestId, 1000);
        expect(validateSchema('InboxFeedItem', item(m)).errors).toEqual([]);
        return { data: m.data, refusal: item(m).refusal };
      };
      const cut = await sent(big.json.requestId);
      expect(cut.refusal.bodyTruncated).toBe(true);
      expect(escapedSize(cut.refusal.body)).toBeLessThanOrEqual(64 * KiB);
      expect(escapedSize(cut.refusal.body)).toBeGreaterThan(64 * KiB - 6);
      expect(cut.refusal.body).toBe('\u0001'.repeat(cut.refusal.body.length));
      // Before the fix the frame was 393 KB: 64 KiB of raw bytes, six times larger once escaped.
      expect(Buffer.byteLength(cut.data)).toBeLessThan(66 * KiB);
      const whole = await sent(fits.json.requestId);
      expect(whole.refusal).toMatchObject({ body: '\u0001'.repeat(10_000), bodyTruncated: false });
    } finally {
      reader.close();
    }
  });

  it('serialises a refusal once, however many streams are open', async () => {
    const readers: SseReader[] = [];
    try {
      for (let i = 0; i < 3; i++) readers.push((await feed('?backlog=0')).reader);
      for (const r of readers) await r.waitFor((m) => m.event === 'ready');
      const stringify = vi.spyOn(JSON, 'stringify');
      const refused = await refuse(controlBody(5000));
      for (const r of readers) await r.waitFor((m) => m.event === 'refused' && item(m).refusal.error.requestId === refused.json.requestId, 1000);
      const ofRefusal = stringify.mock.calls.filter(([value]) => {
        const v = value as Record<string, unknown> | null;
        return typeof v === 'object' && v !== null && ('bodyTruncated' in v || 'refusal' in v);
      });
      expect(ofRefusal).toHaveLength(1);
    } finally {
      for (const r of readers) r.close();
    }
  });

  it('opens at most 100 streams; the next is answered 503 too_many_streams with Retry-After', async () => {
    const open: RawStream[] = [];
    try {
      for (let i = 0; i < 100; i++) open.push(openRaw(server.url, '/inbox/events?backlog=0', bearer));
      for (const s of open) expect(await within(s.head, 5000, 'a stream within the limit')).toMatch(/^HTTP\/1\.1 200 /);
      const refused = await fetch(`${server.url}/inbox/events?backlog=0`, { headers: bearer });
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(Number(refused.headers.get('retry-after')))).toBe(true);
      const body = await refused.json();
      expect(validateSchema('ErrorBody', body).errors).toEqual([]);
      expect(body).toMatchObject({ code: 'too_many_streams', errors: [] });
      // A refused reader is not a refused delivery: the console does not list it.
      expect(server.refusals.since().some((r) => r.error.requestId === body.requestId)).toBe(false);
      // A slot frees up once a reader leaves.
      open.pop()!.socket.destroy();
      const again = await retryUntilOpen(`${server.url}/inbox/events?backlog=0`);
      again.close();
    } finally {
      for (const s of open) s.socket.destroy();
    }
  });
});

/** Opens the feed, retrying a 503 for a moment (a slot frees up once the server sees the close). */
async function retryUntilOpen(url: string): Promise<SseReader> {
  const started = Date.now();
  for (;;) {
    const { status, reader } = await openSse(url, bearer);
    if (status === 200) return reader;
    expect(status).toBe(503);
    if (Date.now() - started > 2000) throw new Error('no slot freed up within 2 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The feed handler on a small app of its own, over a real port, so its limits can be set: the app's
 * request IDs and error handler, a route that refuses whatever it is sent (recording it as the app does),
 * and an inbox the test writes to.
 */
interface FeedServer {
  url: string;
  inbox: SqliteInbox;
  refusals: RefusalLog;
  streams: Set<Response>;
  refuse(body: Buffer | string): Promise<string>;
  accept(mid: string): Promise<void>;
  close(): Promise<void>;
}

async function startFeedServer(deps: Partial<FeedDeps> = {}): Promise<FeedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-feed-'));
  const inbox = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
  const refusals = new RefusalLog();
  const streams = new Set<Response>();
  const logger = pino({ level: 'silent' });
  const app = express();
  app.use(requestId(logger));
  app.get('/inbox/events', inboxFeed({ inbox, refusals, streams, pollMs: 20, logger, ...deps }));
  app.post('/apiaccess/api/instagram/message/refuse', express.raw({ type: () => true, limit: 2 * MiB }), (req, _res, next) => {
    req.rawBody = req.body as Buffer;
    next(badRequest('invalid_json', 'The request body is not valid JSON.'));
  });
  app.use(errorHandler({ logger, refusals }));
  const http: Server = createServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  let n = 0;
  return {
    url,
    inbox,
    refusals,
    streams,
    async refuse(body) {
      const r = await fetch(`${url}/apiaccess/api/instagram/message/refuse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body as BodyInit });
      expect(r.status).toBe(400);
      return ((await r.json()) as { requestId: string }).requestId;
    },
    async accept(mid) {
      const event = { sender: { id: '1' }, recipient: { id: '2' }, timestamp: 1732519199876, message: { mid, text: 'hi' } };
      await inbox.append([{ channel: 'chan-a', mid, entryId: '2', entryTime: 1732519200123, event, dedupeKey: `${mid}-${n++}` }], new Date());
    },
    async close() {
      for (const res of streams) res.destroy();
      await new Promise((resolve) => {
        http.close(resolve);
        http.closeAllConnections();
      });
      await inbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the feed handler, with its limits set', () => {
  it('answers 503 too_many_streams, with Retry-After, beyond maxStreams, and admits again once one leaves', async () => {
    const server = await startFeedServer({ maxStreams: 2, retryAfterS: 7 });
    const readers: SseReader[] = [];
    try {
      for (let i = 0; i < 2; i++) readers.push((await openSse(`${server.url}/inbox/events?backlog=0`)).reader);
      for (const r of readers) await r.waitFor((m) => m.event === 'ready');
      const third = await fetch(`${server.url}/inbox/events?backlog=0`);
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('7');
      expect(third.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await third.json()).toMatchObject({ code: 'too_many_streams', resultMsg: expect.any(String), requestId: expect.any(String), errors: [] });
      readers.shift()!.close();
      readers.push(await retryUntilOpen(`${server.url}/inbox/events?backlog=0`));
      await readers.at(-1)!.waitFor((m) => m.event === 'ready');
    } finally {
      for (const r of readers) r.close();
      await server.close();
    }
  });

  it('ends a stream whose reader stopped reading once 1 MiB waits for it; a reader that reads gets everything', async () => {
    const server = await startFeedServer();
    const flood = controlBody(11 * KiB); // a 64 KiB frame once escaped
    const healthy: SseReader[] = [];
    let stalled: RawStream | undefined;
    try {
      // A backlog larger than the bound: a reader that reads gets it whole.
      for (let i = 0; i < 40; i++) await server.refuse(flood);
      await server.accept('bounds-backlog');
      healthy.push((await openSse(`${server.url}/inbox/events?backlog=1000`)).reader);
      await healthy[0]!.waitFor((m) => m.event === 'ready', 5000);
      expect(healthy[0]!.messages.filter((m) => m.event === 'refused')).toHaveLength(40);

      stalled = openRaw(server.url, '/inbox/events?backlog=0');
      expect(await within(stalled.head, 10_000, 'the stalled stream')).toMatch(/^HTTP\/1\.1 200 /);
      stalled.socket.pause();
      await until(() => server.streams.size === 2, 10_000, 'both streams open');

      // The kernel's socket buffers take some megabytes before anything waits in the server.
      let sent = 0;
      let lastRefusal = '';
      while (server.streams.size === 2) {
        if (sent >= 64 * MiB) throw new Error('the stalled stream was never ended');
        lastRefusal = await server.refuse(flood);
        if (sent % (16 * 64 * KiB) === 0) await server.accept(`bounds-flood-${sent}`);
        sent += 64 * KiB;
      }
      // The reader that reads was not ended, got every refusal, and goes on getting new items.
      await healthy[0]!.waitFor((m) => m.event === 'refused' && item(m).refusal.error.requestId === lastRefusal, 5000);
      await server.accept('bounds-after');
      await healthy[0]!.waitFor((m) => m.event === 'accepted' && item(m).item.mid === 'bounds-after', 10_000);
      const after = await server.refuse('{"after');
      await healthy[0]!.waitFor((m) => m.event === 'refused' && item(m).refusal.error.requestId === after, 10_000);

      // The stalled reader, reading again, finds its stream ended, well short of what was sent.
      stalled.socket.resume();
      await within(stalled.ended, 5000, 'the end of the stalled stream');
      expect(stalled.received()).toBeLessThan(sent);
    } finally {
      stalled?.socket.destroy();
      for (const r of healthy) r.close();
      await server.close();
    }
  });

  it('ends a stream whose reader stopped reading during the backlog once 1 MiB of new refusals waits for it', async () => {
    const server = await startFeedServer();
    const flood = controlBody(11 * KiB);
    let stalled: RawStream | undefined;
    try {
      for (let i = 0; i < 120; i++) await server.refuse(flood);
      stalled = openRaw(server.url, '/inbox/events?backlog=1000');
      expect(await within(stalled.head, 10_000, 'the stalled stream')).toMatch(/^HTTP\/1\.1 200 /);
      stalled.socket.pause();
      await until(() => server.streams.size === 1, 10_000, 'the stream open');
      for (let sent = 0; server.streams.size === 1; sent += 64 * KiB) {
        if (sent >= 64 * MiB) throw new Error('the stalled stream was never ended');
        await server.refuse(flood);
      }
      stalled.socket.resume();
      await within(stalled.ended, 5000, 'the end of the stalled stream');
    } finally {
      stalled?.socket.destroy();
      await server.close();
    }
  });

  it('leaves out a stored event that cannot be served within the contract, in the backlog and live', async () => {
    const asked: string[] = [];
    const serveItem = (i: InboxItem) => {
      asked.push(i.mid ?? '');
      return !i.mid?.startsWith('bad-');
    };
    const server = await startFeedServer({ serveItem });
    try {
      for (const mid of ['good-1', 'bad-1', 'good-2']) await server.accept(mid);
      const { reader } = await openSse(`${server.url}/inbox/events`);
      try {
        await reader.waitFor((m) => m.event === 'ready');
        for (const mid of ['bad-2', 'good-3']) await server.accept(mid);
        await reader.waitFor((m) => m.event === 'accepted' && item(m).item.mid === 'good-3', 2000);
        const mids = reader.messages.filter((m) => m.event === 'accepted').map((m) => item(m).item.mid);
        expect(mids).toEqual(['good-1', 'good-2', 'good-3']);
        expect(asked).toEqual(expect.arrayContaining(['bad-1', 'bad-2']));
      } finally {
        reader.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('the refusal log', () => {
  const input = (body: Buffer | null) => ({
    at: new Date().toISOString(),
    method: 'POST',
    path: '/apiaccess/api/instagram/message',
    status: 400,
    channel: null,
    contentType: 'application/json',
    error: { resultMsg: 'The request body is not valid JSON.', code: 'invalid_json' as const, requestId: 'r', errors: [] },
    body,
  });

  it('keeps at most 8 MiB of JSON text and at most 500 refusals, the newest', () => {
    const log = new RefusalLog();
    for (let i = 0; i < 200; i++) log.add(input(controlBody(64 * KiB)));
    expect(log.bytes).toBeLessThanOrEqual(8 * MiB);
    expect(log.bytes).toBeGreaterThan(8 * MiB - 70 * KiB);
    expect(log.latest(1)[0]!.id).toBe(200);
    expect(log.latest(1000).reduce((n, r) => n + Buffer.byteLength(r.json), 0)).toBe(log.bytes);
    for (let i = 0; i < 600; i++) log.add(input(null));
    expect(log.size).toBe(500);
    expect(log.latest(0)).toEqual([]);
  });

  it('cuts a body by its escaped size, never inside a character', () => {
    const log = new RefusalLog({ maxBodyBytes: 12 });
    const kept = (body: string | Buffer) => log.add(input(Buffer.isBuffer(body) ? body : Buffer.from(body))).body;
    expect(kept('"\\"\\"\\"\\"\\')).toBe('"\\"\\"\\'); // two bytes each
    expect(kept('\u0001\u0002\u0003')).toBe('\u0001\u0002'); // six bytes each
    expect(kept('ab😀😀😀')).toBe('ab😀😀'); // four bytes a pair
    expect(kept(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]))).toBe('\ufffd\ufffd\ufffd\ufffd'); // three bytes each
    expect(kept('exactly12chr')).toBe('exactly12chr');
    expect(log.since().at(-1)!.bodyTruncated).toBe(false);
    const cut = log.add(input(Buffer.from('€'.repeat(4) + 'x')));
    expect(cut).toMatchObject({ body: '€€€€', bodyTruncated: true });
  });
});
