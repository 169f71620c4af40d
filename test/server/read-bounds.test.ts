// The read side's bounds over real HTTP: a page of GET /inbox/messages ends early at its byte budget
// with a cursor that reads on; the live feed's backlog has the same budget and says when it was cut; a
// feed reader that never reads makes the server read a bounded number of events for it, not the inbox;
// searches beyond the concurrency limit are answered 503 with Retry-After and the error body.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupeKey } from '../../server/inbox/delivery-events.js';
import type { Inbox, ListQuery, NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { DEFAULT_READ_LIMITS, readLimits } from '../../server/read/read-limits.js';
import { validateSchema } from '../support/contract.js';
import { get, push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A real store that counts the events it hands out, and can hold searches at a gate. */
function counting(inner: Inbox) {
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const stats = { read: 0, searchesWaiting: 0 };
  const inbox: Inbox = {
    append: (events, at) => inner.append(events, at),
    ready: () => inner.ready(),
    failure: () => inner.failure?.(),
    prune: (before, max) => inner.prune(before, max),
    close: () => inner.close(),
    async list(query: ListQuery) {
      if (query.q !== undefined && gate) {
        stats.searchesWaiting++;
        await gate;
        stats.searchesWaiting--;
      }
      const page = await inner.list(query);
      stats.read += page.items.length;
      return page;
    },
    async tail(limit, maxBytes) {
      const page = await inner.tail(limit, maxBytes);
      stats.read += page.items.length;
      return page;
    },
  };
  return {
    inbox,
    stats,
    hold: () => (gate = new Promise((r) => (release = r))),
    open: () => {
      gate = null;
      release?.();
    },
  };
}

function event(i: number, textBytes: number): NewEvent {
  const e = { sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid: `mid-${i}`, text: `${i} `.padEnd(textBytes, 'x') } };
  return { channel: 'chan-a', mid: `mid-${i}`, entryId: '17841400000000000', entryTime: 1732519200123, event: e, dedupeKey: dedupeKey('chan-a', e) };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a page and a feed backlog within a byte budget', () => {
  let server: TestServer;
  let dir: string;
  let store: SqliteInbox;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipk-read-bounds-'));
    store = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
    server = await startTestServer({ inbox: store, app: { pageMaxBytes: 64 * KiB, feedPollMs: 50 } });
    // Ten events of about 30 KiB: two fit in 64 KiB, a third would pass it.
    for (let i = 0; i < 10; i++) {
      expect((await push(server.url, textDelivery(`mid-big-${i}`, '17841400000000000', `${i}`.padEnd(30 * KiB, 'x')))).status).toBe(200);
    }
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a page early, truncated, with a cursor that reads on to every event once, in order', async () => {
    const mids: string[] = [];
    const sizes: number[] = [];
    let cursor = '';
    for (let pages = 0; pages < 20; pages++) {
      const r = await get(`${server.url}/inbox/messages?limit=100${cursor && `&cursor=${cursor}`}`);
      expect(r.status).toBe(200);
      expect(validateSchema('InboxPage', r.json).valid).toBe(true);
      mids.push(...r.json.items.map((i: { mid: string }) => i.mid));
      sizes.push(r.json.items.length);
      if (!r.json.truncated) break;
      cursor = r.json.nextCursor;
    }
    expect(sizes).toEqual([2, 2, 2, 2, 2]);
    expect(mids).toEqual(Array.from({ length: 10 }, (_, i) => `mid-big-${i}`));
  });

  it('replays a backlog within the budget and says in its ready message that it was cut', async () => {
    const cut = await openSse(`${server.url}/inbox/events?backlog=1000`);
    await cut.reader.waitFor((m) => m.event === 'ready', 5000);
    const accepted = cut.reader.messages.filter((m) => m.event === 'accepted').map((m) => JSON.parse(m.data).item.mid);
    expect(accepted).toEqual(['mid-big-8', 'mid-big-9']);
    expect(cut.reader.messages.find((m) => m.event === 'ready')!.data).toBe('{"truncated":true}');
    cut.reader.close();
    const whole = await openSse(`${server.url}/inbox/events?backlog=1`);
    await whole.reader.waitFor((m) => m.event === 'ready', 5000);
    expect(whole.reader.messages.find((m) => m.event === 'ready')!.data).toBe('{}');
    whole.reader.close();
  });
});

describe('a live feed reader that never reads', () => {
  it('makes the server read a bounded number of events for it, from the backlog and as events arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-read-stall-'));
    const store = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
    const { inbox, stats } = counting(store);
    const server = await startTestServer({ inbox, app: { feedPollMs: 50 } });
    try {
      // 150 events of 256 KiB (37.5 MiB), far beyond what the socket buffers of one connection hold.
      const size = 256 * KiB;
      for (let i = 0; i < 150; i += 10) await store.append(Array.from({ length: 10 }, (_, j) => event(i + j, size)), new Date());
      const { port } = new URL(server.url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      let received = 0;
      socket.on('data', (c: Buffer) => {
        received += c.length;
        // Reads the head only, then stops reading for good.
        socket.pause();
      });
      socket.write('GET /inbox/events?backlog=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until(() => received > 0, 5000, 'the stream starts');
      await sleep(1500);
      // The backlog: at most what the 4 MiB budget holds (16 such events), not the 150 stored.
      const budget = Math.floor(DEFAULT_READ_LIMITS.pageMaxBytes / size);
      expect(stats.read).toBeLessThanOrEqual(budget + 1);
      // New events: the feed reads more only while the socket drains; the socket buffers fill up and it stops.
      for (let i = 150; i < 250; i += 10) await store.append(Array.from({ length: 10 }, (_, j) => event(i + j, size)), new Date());
      await sleep(2000);
      const afterArrivals = stats.read;
      await sleep(1000);
      expect(stats.read).toBe(afterArrivals);
      // Socket buffers hold a few MiB at most; 100 events are 25 MiB.
      expect(stats.read).toBeLessThan(budget + 60);
      socket.destroy();
    } finally {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('searches beyond the concurrency limit', () => {
  it('answers 503 store_unavailable with Retry-After while the limit is taken; other pages, and searches later, are answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-read-search-'));
    const store = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
    const gated = counting(store);
    const server = await startTestServer({ inbox: gated.inbox, app: { searchConcurrency: 1 } });
    try {
      expect((await push(server.url, textDelivery('mid-search', '17841400000000000', 'blue jacket'))).status).toBe(200);
      gated.hold();
      const first = get(`${server.url}/inbox/messages?q=blue`);
      await until(() => gated.stats.searchesWaiting === 1, 5000, 'the first search runs');
      const refused = await get(`${server.url}/inbox/messages?q=jacket`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.json).toMatchObject({ code: 'store_unavailable', errors: [] });
      expect(validateSchema('ErrorBody', refused.json).valid).toBe(true);
      // A page without q is no search: it is answered meanwhile.
      expect((await get(`${server.url}/inbox/messages?limit=5`)).status).toBe(200);
      gated.open();
      const answered = await first;
      expect(answered.status).toBe(200);
      expect(answered.json.items.map((i: { mid: string }) => i.mid)).toEqual(['mid-search']);
      // The slot is free again, also after a search that failed (a bad cursor).
      expect((await get(`${server.url}/inbox/messages?q=blue&cursor=x`)).status).toBe(400);
      expect((await get(`${server.url}/inbox/messages?q=jacket`)).status).toBe(200);
    } finally {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the read limits from the environment', () => {
  it('takes the defaults, sizes with units, counts and durations, and refuses anything else', () => {
    expect(readLimits({})).toEqual(DEFAULT_READ_LIMITS);
    expect(DEFAULT_READ_LIMITS).toEqual({ pageMaxBytes: 4 * MiB, searchConcurrency: 1, readPoolSize: 2, readStatementTimeoutMs: 5000 });
    expect(readLimits({ PAGE_MAX_BYTES: '512kb', SEARCH_CONCURRENCY: '4', READ_POOL_SIZE: '1', READ_STATEMENT_TIMEOUT: '2s' })).toEqual({
      pageMaxBytes: 512 * KiB,
      searchConcurrency: 4,
      readPoolSize: 1,
      readStatementTimeoutMs: 2000,
    });
    expect(readLimits({ PAGE_MAX_BYTES: '1000', READ_STATEMENT_TIMEOUT: '750', SEARCH_CONCURRENCY: ' ' }).pageMaxBytes).toBe(1000);
    expect(readLimits({ READ_STATEMENT_TIMEOUT: '750ms' }).readStatementTimeoutMs).toBe(750);
    expect(readLimits({ PAGE_MAX_BYTES: '2MiB' }).pageMaxBytes).toBe(2 * MiB);
    expect(readLimits({ READ_STATEMENT_TIMEOUT: '5m' }).readStatementTimeoutMs).toBe(300_000);
    for (const [name, value] of [
      ['PAGE_MAX_BYTES', '0'],
      ['PAGE_MAX_BYTES', '2gb'],
      ['PAGE_MAX_BYTES', '-1'],
      ['SEARCH_CONCURRENCY', '1.5'],
      ['SEARCH_CONCURRENCY', '65'],
      ['READ_POOL_SIZE', '2x'],
      ['READ_STATEMENT_TIMEOUT', '2h'],
    ] as const) {
      expect(() => readLimits({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`^${name} "${value}" (must be above 0 and at most|is not a)`));
    }
  });
});
