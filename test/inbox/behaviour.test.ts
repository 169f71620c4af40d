// One behaviour suite, run unchanged against both inbox stores (embedded SQLite, shared PostgreSQL)
// through the real server over HTTP: idempotency, batch atomicity, paging, the feed's tail, pruning and
// bad input. Only the fixture differs: how to open a store and how to make one insert fail.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import type { operations } from '../../client/types.js';
import { classifyEvent } from '../../server/events/classify.js';
import { dedupeKey, midOf } from '../../server/inbox/delivery-events.js';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../server/inbox/postgres-migrations.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { migrate as migrateSqlite, openDatabase } from '../../server/inbox/sqlite-schema.js';
import { get, push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Fixture {
  inbox: Inbox;
  /**
   * A store as schema version 1 left it (before kinds and directions), holding these events, then
   * opened by the current code: its migrations must classify them.
   */
  upgrade(events: Record<string, unknown>[]): Promise<{ inbox: Inbox; close(): Promise<void> }>;
  /**
   * A store as schema version 2 left it (dedupe keys stored raw, as delivery-events.ts makes them), holding these
   * events on `channel`, then opened by the current code: its migrations must digest those keys.
   */
  beforeDigest(channel: string, events: Record<string, unknown>[]): Promise<{ inbox: Inbox; close(): Promise<void> }>;
  /** Makes every insert of an event with this mid fail, as a full disk or a constraint would. */
  sabotage(mid: string): Promise<void>;
  repair(): Promise<void>;
  close(): Promise<void>;
}

/** The schemas as migration 1 left them, for the upgrade tests (the stores' own migration lists move on). */
const SQLITE_V1 = `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, mid TEXT,
     entry_id TEXT, entry_time REAL, event TEXT NOT NULL, received_at TEXT NOT NULL);
   CREATE INDEX events_channel_id ON events (channel, id);
   CREATE INDEX events_received_at ON events (received_at);`;
const POSTGRES_V1 = `CREATE TABLE inbox_events (
     id bigserial PRIMARY KEY, dedupe_key text NOT NULL UNIQUE, channel text NOT NULL, mid text, entry_id text,
     entry_time double precision, event json NOT NULL, received_at timestamptz NOT NULL,
     txid xid8 NOT NULL DEFAULT pg_current_xact_id());
   CREATE INDEX inbox_events_order ON inbox_events (txid, id);
   CREATE INDEX inbox_events_channel_order ON inbox_events (channel, txid, id);
   CREATE INDEX inbox_events_received_at ON inbox_events (received_at);
   CREATE TABLE inbox_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
   INSERT INTO inbox_migrations (version) VALUES (1);`;

type MessagesQuery = NonNullable<operations['listInboxMessages']['parameters']['query']>;

/** Deliveries of one event each, sent to the filter tests' channels. */
function delivery(event: Record<string, unknown>): object {
  return { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, ...event }] }] };
}

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const stores: { name: string; open: () => Promise<Fixture> }[] = [
  {
    name: 'SQLite',
    async open() {
      const file = join(mkdtempSync(join(tmpdir(), 'ipk-behaviour-')), 'inbox.sqlite');
      const inbox = new SqliteInbox({ file });
      const side = new Database(file);
      return {
        inbox,
        async upgrade(events) {
          const old = join(mkdtempSync(join(tmpdir(), 'ipk-behaviour-v1-')), 'inbox.sqlite');
          const v1 = new Database(old);
          v1.exec(SQLITE_V1);
          v1.pragma('user_version = 1');
          const insert = v1.prepare(`INSERT INTO events (dedupe_key, channel, mid, event, received_at) VALUES (?, 'old', NULL, ?, '2026-01-01T00:00:00.000Z')`);
          events.forEach((e, i) => insert.run(`v1-${i}`, JSON.stringify(e)));
          v1.close();
          const upgraded = new SqliteInbox({ file: old });
          return { inbox: upgraded, close: () => upgraded.close() };
        },
        async beforeDigest(channel, events) {
          const old = join(mkdtempSync(join(tmpdir(), 'ipk-behaviour-v2-')), 'inbox.sqlite');
          const v2 = openDatabase(old, 1000);
          migrateSqlite(v2, 2);
          const insert = v2.prepare(`INSERT INTO events (dedupe_key, channel, mid, event, received_at, kind, direction) VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z', ?, ?)`);
          for (const e of events) insert.run(dedupeKey(channel, e), channel, midOf(e), JSON.stringify(e), classifyEvent(e).kind, classifyEvent(e).direction);
          v2.close();
          const upgraded = new SqliteInbox({ file: old });
          return { inbox: upgraded, close: () => upgraded.close() };
        },
        async sabotage(mid) {
          side.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.mid = '${mid}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
        },
        async repair() {
          side.exec('DROP TRIGGER poison');
        },
        async close() {
          side.close();
          await inbox.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const url = await cluster.createDatabase();
      const inbox = new PostgresInbox({ connectionString: url });
      expect(await inbox.ready()).toBe(true);
      const side = new pg.Client({ connectionString: url });
      await side.connect();
      return {
        inbox,
        async upgrade(events) {
          const oldUrl = await cluster.createDatabase();
          const v1 = new pg.Client({ connectionString: oldUrl });
          await v1.connect();
          await v1.query(POSTGRES_V1);
          for (const [i, e] of events.entries()) {
            await v1.query(`INSERT INTO inbox_events (dedupe_key, channel, event, received_at) VALUES ($1, 'old', $2, now())`, [`v1-${i}`, JSON.stringify(e)]);
          }
          await v1.end();
          const upgraded = new PostgresInbox({ connectionString: oldUrl });
          return { inbox: upgraded, close: () => upgraded.close() };
        },
        async beforeDigest(channel, events) {
          const oldUrl = await cluster.createDatabase();
          const v2 = new pg.Client({ connectionString: oldUrl });
          await v2.connect();
          await v2.query('CREATE TABLE inbox_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
          for (const [v, migration] of POSTGRES_MIGRATIONS.slice(0, 2).entries()) {
            if (typeof migration === 'string') await v2.query(migration);
            else await migration(v2 as unknown as pg.PoolClient);
            await v2.query('INSERT INTO inbox_migrations (version) VALUES ($1)', [v + 1]);
          }
          for (const e of events) {
            await v2.query(`INSERT INTO inbox_events (dedupe_key, channel, mid, event, received_at, kind, direction) VALUES ($1, $2, $3, $4, now(), $5, $6)`, [
              dedupeKey(channel, e),
              channel,
              midOf(e),
              JSON.stringify(e),
              classifyEvent(e).kind,
              classifyEvent(e).direction,
            ]);
          }
          await v2.end();
          const upgraded = new PostgresInbox({ connectionString: oldUrl });
          return { inbox: upgraded, close: () => upgraded.close() };
        },
        async sabotage(mid) {
          await side.query(`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
                              BEGIN IF NEW.mid = '${mid}' THEN RAISE EXCEPTION 'disk says no'; END IF; RETURN NEW; END $$;
                            CREATE TRIGGER poison BEFORE INSERT ON inbox_events FOR EACH ROW EXECUTE FUNCTION poison();`);
        },
        async repair() {
          await side.query('DROP TRIGGER poison ON inbox_events; DROP FUNCTION poison();');
        },
        async close() {
          await side.end();
          await inbox.close();
        },
      };
    },
  },
];

describe.each(stores)('the $name inbox', ({ open }) => {
  let store: Fixture;
  let server: TestServer;
  beforeAll(async () => {
    store = await open();
    server = await startTestServer({ inbox: store.inbox });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  const all = async () => (await store.inbox.list({ limit: 1000 })).items;
  const count = async (mid: string) => (await all()).filter((i) => i.mid === mid).length;

  describe('idempotency', () => {
    it('stores a delivery sent three times once, and answers 200 each time', async () => {
      for (let i = 0; i < 3; i++) expect((await push(server.url, textDelivery('mid-thrice'))).status).toBe(200);
      expect(await count('mid-thrice')).toBe(1);
    });

    it('stores a delivery sent 20 times concurrently once', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => push(server.url, textDelivery('mid-race'))));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(await count('mid-race')).toBe(1);
    });

    it('keeps a deletion apart from the message it deletes, though they share the mid', async () => {
      const deletion = textDelivery('mid-del') as any;
      deletion.entry[0].messaging[0].message = { mid: 'mid-del', is_deleted: true };
      await push(server.url, textDelivery('mid-del'));
      await push(server.url, deletion);
      await push(server.url, deletion);
      expect(await count('mid-del')).toBe(2);
    });

    it('dedupes events without a mid by their content, whatever the key order', async () => {
      const read = (order: 'a' | 'b') =>
        order === 'a'
          ? `{"entry":[{"id":"1","messaging":[{"sender":{"id":"s"},"recipient":{"id":"r"},"timestamp":5,"read":{"mid":"mid-read"}}]}]}`
          : `{"entry":[{"id":"1","messaging":[{"read":{"mid":"mid-read"},"timestamp":5,"recipient":{"id":"r"},"sender":{"id":"s"}}]}]}`;
      await push(server.url, read('a'));
      await push(server.url, read('b'));
      expect(await count('mid-read')).toBe(1);
    });

    it('keeps the same mid on two channels apart', async () => {
      await push(server.url, textDelivery('mid-two-channels'), { chanId: 'x' });
      await push(server.url, textDelivery('mid-two-channels'), { chanId: 'y' });
      expect(await count('mid-two-channels')).toBe(2);
    });

    it('stores a batch whose events are partly known: the new ones only, and answers 200', async () => {
      await push(server.url, textDelivery('mid-known'));
      const batch = textDelivery('mid-known') as any;
      batch.entry[0].messaging.push({ message: { mid: 'mid-new-in-batch' } });
      expect((await push(server.url, batch)).status).toBe(200);
      expect(await count('mid-known')).toBe(1);
      expect(await count('mid-new-in-batch')).toBe(1);
    });

    it('stores text with characters a database may choke on exactly as sent', async () => {
      const text = 'NUL \u0000, emoji 😀, quote \' and backslash \\';
      expect((await push(server.url, textDelivery('mid\u0000odd', undefined, text))).status).toBe(200);
      const item = (await all()).find((i) => (i.event as any).message?.text === text);
      expect((item?.event as any).message.mid).toBe('mid\u0000odd');
    });
  });

  describe('long keys', () => {
    // Code points, as the contract counts them: 1 024 CJK characters are 3 072 bytes of UTF-8, 1 024
    // emoji 4 096; keyed raw, either passed PostgreSQL's b-tree entry limit (2 704 bytes).
    // Varied characters: PostgreSQL compresses an index entry first, so a repeated one would fit.
    const longest = (first: number, range: number, tag: string) =>
      tag + Array.from({ length: 1024 - tag.length }, (_, i) => String.fromCodePoint(first + ((i * 7919) % range))).join('');

    it.each([
      ['CJK', 0x4e00, 20_000, 'cjk'],
      ['emoji', 0x1f300, 0x350, 'emoji'],
      ['4-byte CJK', 0x20000, 40_000, 'cjk4'],
    ])('stores a message whose mid is 1 024 %s characters, once however often it comes', async (_name, first, range, tag) => {
      const mid = longest(first, range, `long-${tag}-`);
      expect(Array.from(mid)).toHaveLength(1024);
      for (let i = 0; i < 3; i++) {
        const r = await push(server.url, textDelivery(mid));
        expect(r.status, r.text).toBe(200);
      }
      // A deletion of it too (its own key, as long).
      const deletion = textDelivery(mid) as any;
      deletion.entry[0].messaging[0].message = { mid, is_deleted: true };
      expect((await push(server.url, deletion)).status).toBe(200);
      expect(await count(mid)).toBe(2);
    });

    it('keeps an event stored before the keys were digested a duplicate after migrating, and stores new ones', async () => {
      const event = (mid: string) => (textDelivery(mid) as any).entry[0].messaging[0] as Record<string, unknown>;
      const channel = 'before-digest';
      const upgraded = await store.beforeDigest(channel, [event('mid-stored-raw'), { read: { mid: 'mid-stored-raw' }, timestamp: 7 }]);
      const other = await startTestServer({ inbox: upgraded.inbox });
      try {
        expect((await push(other.url, textDelivery('mid-stored-raw'), { chanId: channel })).status).toBe(200);
        const read = { object: 'instagram', entry: [{ id: '1', messaging: [{ read: { mid: 'mid-stored-raw' }, timestamp: 7 }] }] };
        expect((await push(other.url, read, { chanId: channel })).status).toBe(200);
        expect((await push(other.url, textDelivery('mid-after-digest'), { chanId: channel })).status).toBe(200);
        const { items } = await upgraded.inbox.list({ limit: 10 });
        expect(items.map((i) => [i.kind, i.mid])).toEqual([
          ['text', 'mid-stored-raw'],
          ['read', 'mid-stored-raw'],
          ['text', 'mid-after-digest'],
        ]);
      } finally {
        await other.close();
        await upgraded.close();
      }
    });
  });

  describe('atomicity', () => {
    it('stores none of a batch when one event cannot be written, answers 500 store_unavailable, and takes the retry', async () => {
      await store.sabotage('mid-poison');
      const batch = textDelivery('mid-first-of-batch') as any;
      batch.entry[0].messaging.push({ message: { mid: 'mid-poison' } }, { message: { mid: 'mid-last-of-batch' } });
      const r = await push(server.url, batch);
      expect(r.status).toBe(500);
      expect(r.json.code).toBe('store_unavailable');
      expect(await count('mid-first-of-batch')).toBe(0);
      // Deliveries written at the same moment are unaffected.
      const [bad, good] = await Promise.all([push(server.url, batch), push(server.url, textDelivery('mid-neighbour'))]);
      expect([bad.status, good.status]).toEqual([500, 200]);
      await store.repair();
      expect((await push(server.url, batch)).status).toBe(200);
      for (const mid of ['mid-first-of-batch', 'mid-poison', 'mid-last-of-batch', 'mid-neighbour']) expect(await count(mid)).toBe(1);
    });

    it('answers each of the deliveries appended in one turn with its own outcome, a failing one included', async () => {
      await store.sabotage('mid-turn-poison');
      const event = (mid: string): NewEvent => ({ channel: 'chan-a', mid, entryId: '1', entryTime: 1, event: { message: { mid } }, dedupeKey: JSON.stringify(['m', 'chan-a', mid]) });
      // Appended synchronously, so both stores write them together (one commit, one statement).
      const outcomes = await Promise.allSettled([
        store.inbox.append([event('mid-turn-a'), event('mid-turn-b')], new Date()),
        store.inbox.append([event('mid-turn-c'), event('mid-turn-poison')], new Date()),
        store.inbox.append([event('mid-turn-b'), event('mid-turn-d')], new Date()),
      ]);
      await store.repair();
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { stored: 2, duplicates: 0 } });
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { name: 'StoreUnavailableError' } });
      expect(outcomes[2]).toEqual({ status: 'fulfilled', value: { stored: 1, duplicates: 1 } });
      for (const [mid, n] of [['mid-turn-a', 1], ['mid-turn-b', 1], ['mid-turn-c', 0], ['mid-turn-poison', 0], ['mid-turn-d', 1]] as const) expect(await count(mid)).toBe(n);
    });
  });

  describe('paging', () => {
    it('pages by cursor in a stable order, filters by channel, and waits at the end with the same cursor', async () => {
      for (let i = 0; i < 12; i++) await push(server.url, textDelivery(`mid-page-${i}`), { chanId: i % 2 ? 'odd' : 'even' });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.inbox.list({ channel: 'even', limit: 4, cursor });
        seen.push(...page.items.map((i) => i.mid!));
        if (page.items.length < 4) {
          expect((await store.inbox.list({ channel: 'even', limit: 4, cursor: page.nextCursor })).items).toEqual([]);
          break;
        }
        cursor = page.nextCursor;
      }
      expect(seen).toEqual([0, 2, 4, 6, 8, 10].map((i) => `mid-page-${i}`));
      const whole = await all();
      const ids = whole.map((i) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('answers 400 for a cursor it never handed out', async () => {
      const r = await get(`${server.url}/inbox/messages?cursor=not-a-cursor`);
      expect(r.status).toBe(400);
      expect(r.json.errors[0].path).toBe('/query/cursor');
    });

    it('tails the newest events and reads on from exactly there', async () => {
      const { items, nextCursor } = await store.inbox.tail(2);
      const every = await all();
      expect(items.map((i) => i.id)).toEqual(every.slice(-2).map((i) => i.id));
      expect((await store.inbox.list({ limit: 10, cursor: nextCursor })).items).toEqual([]);
      expect((await store.inbox.tail(0)).items).toEqual([]);
      await push(server.url, textDelivery('mid-after-tail'));
      expect((await store.inbox.list({ limit: 10, cursor: nextCursor })).items.map((i) => i.mid)).toEqual(['mid-after-tail']);
      const fromEmptyTail = await store.inbox.tail(0);
      await push(server.url, textDelivery('mid-after-empty-tail'));
      expect((await store.inbox.list({ limit: 10, cursor: fromEmptyTail.nextCursor })).items.map((i) => i.mid)).toEqual(['mid-after-empty-tail']);
    });
  });

  describe('byte budget', () => {
    const size = (item: { event: unknown }) => Buffer.byteLength(JSON.stringify(item.event));
    const big = (i: number) => textDelivery(`mid-big-${i}`, '17841400000000000', `${i}`.padEnd(20_000, 'x'));

    it('ends a page early, marked truncated, when the next event would pass the budget; its cursor reads on, forward and back', async () => {
      for (let i = 0; i < 5; i++) expect((await push(server.url, big(i), { chanId: 'big' })).status).toBe(200);
      const every = (await store.inbox.list({ channel: 'big', limit: 10 })).items;
      expect(every.map((i) => i.mid)).toEqual([0, 1, 2, 3, 4].map((i) => `mid-big-${i}`));
      const two = size(every[0]!) + size(every[1]!);
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        const shapes: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.inbox.list({ channel: 'big', limit: 10, order, cursor, maxBytes: two });
          seen.push(...page.items.map((i) => i.mid!));
          shapes.push(`${page.items.length}${page.truncated ? '+' : ''}`);
          if (!page.truncated) break;
          cursor = page.nextCursor;
        }
        // Exactly two fit (the budget is theirs to the byte); the last page is short and not truncated.
        expect(shapes).toEqual(['2+', '2+', '1']);
        expect(seen).toEqual(order === 'asc' ? every.map((i) => i.mid) : every.map((i) => i.mid).reverse());
      }
      const one = await store.inbox.list({ channel: 'big', limit: 10, maxBytes: two - 1 });
      expect([one.items.length, one.truncated]).toEqual([1, true]);
      // A single event larger than the budget still pages: one at a time.
      const tiny = await store.inbox.list({ channel: 'big', limit: 10, maxBytes: 10 });
      expect([tiny.items.map((i) => i.mid), tiny.truncated]).toEqual([['mid-big-0'], true]);
      expect((await store.inbox.list({ channel: 'big', limit: 10, cursor: tiny.nextCursor, maxBytes: 10 })).items.map((i) => i.mid)).toEqual(['mid-big-1']);
      // Within the budget, a page is as before: no truncated member.
      expect((await store.inbox.list({ channel: 'big', limit: 2 })).truncated).toBeUndefined();
    });

    it('tails the newest events within the budget, marked truncated, and reads on from the same place', async () => {
      const whole = await store.inbox.tail(3);
      expect(whole.items.map((i) => i.mid)).toEqual(['mid-big-2', 'mid-big-3', 'mid-big-4']);
      expect(whole.truncated).toBeUndefined();
      const cut = await store.inbox.tail(3, size(whole.items[2]!) + size(whole.items[1]!));
      expect(cut.items.map((i) => i.mid)).toEqual(['mid-big-3', 'mid-big-4']);
      expect(cut.truncated).toBe(true);
      expect(cut.nextCursor).toBe(whole.nextCursor);
      expect((await store.inbox.tail(3, 1)).items.map((i) => i.mid)).toEqual(['mid-big-4']);
    });
  });

  describe('filters, search and walking back, through the typed client', () => {
    const client = () => createPushClient({ baseUrl: server.url, retries: 0 });
    const read = async (query: MessagesQuery) => {
      const { data, response } = await client().raw.GET('/inbox/messages', { params: { query } });
      expect(response.status, JSON.stringify(query)).toBe(200);
      return data!;
    };
    const mids = async (query: MessagesQuery) => (await read({ limit: 1000, ...query })).items.map((i) => i.mid);

    beforeAll(async () => {
      const events: Array<[string, Record<string, unknown>]> = [
        ['flt-a', { message: { mid: 'f-text', text: 'Is the Blue Jacket in stock?' } }],
        ['flt-a', { message: { mid: 'f-echo', text: 'Yes, the BLUE jacket is here', is_echo: true } }],
        ['flt-a', { message: { mid: 'f-image', attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=42' } }] } }],
        ['flt-a', { reaction: { mid: 'f-text', action: 'react', reaction: 'love', emoji: '❤' } }],
        ['flt-b', { read: { mid: 'f-read' } }],
        ['flt-b', { message: { mid: 'f-wild', text: 'I am 100%_sure' } }],
        ['flt-b', { message: { mid: 'f-decoy', text: 'I am 100 percent sure, x_y' } }],
        ['flt-b', { message: { mid: 'f-text', is_deleted: true } }],
        ['flt-b', { message: { mid: 'f-echo-b', text: 'blue jacket, echoed', is_echo: true } }],
      ];
      for (const [chanId, event] of events) expect((await push(server.url, delivery(event), { chanId })).status).toBe(200);
    });

    it('stores each event with its kind and direction, and filters by them and by channel, alone and together', async () => {
      const page = await read({ channel: 'flt-a', limit: 100 });
      expect(page.items.map((i) => [i.mid, i.kind, i.direction])).toEqual([
        ['f-text', 'text', 'inbound'],
        ['f-echo', 'text', 'echo'],
        ['f-image', 'image', 'inbound'],
        ['f-text', 'reaction', 'inbound'],
      ]);
      expect(await mids({ channel: 'flt-b', kind: 'read' })).toEqual(['f-read']);
      expect(await mids({ channel: 'flt-b', kind: 'deletion' })).toEqual(['f-text']);
      expect(await mids({ kind: 'image', channel: 'flt-a' })).toEqual(['f-image']);
      expect(await mids({ direction: 'echo' })).toEqual(['f-echo', 'f-echo-b']);
      expect(await mids({ direction: 'echo', channel: 'flt-b' })).toEqual(['f-echo-b']);
      expect(await mids({ direction: 'inbound', kind: 'text', channel: 'flt-a' })).toEqual(['f-text']);
      for (const item of (await read({ kind: 'text', limit: 1000 })).items) expect(item.kind).toBe('text');
      // Spelled as kinds are (an attachment type Meta may add), a kind no event has finds nothing.
      expect(await mids({ kind: 'no_such_kind' })).toEqual([]);
    });

    it('answers 400 for a kind spelled otherwise than kinds are, naming the closest and every known kind', async () => {
      for (const [kind, closest] of [['story-mention', 'story_mention'], ['quick reply', 'quick_reply'], ['Text', 'text'], ['ig-reel', 'ig_reel']]) {
        const r = await get(`${server.url}/inbox/messages?kind=${encodeURIComponent(kind!)}`);
        expect(r.status, kind).toBe(400);
        expect(r.json).toMatchObject({ code: 'bad_request', resultMsg: `No event has the kind "${kind}" (did you mean "${closest}"?).` });
        expect(r.json.errors).toEqual([{ path: '/query/kind', message: expect.stringMatching(/^unknown kind; the known kinds are text, image, .*story_mention.*quick_reply.*, unknown, and other attachment types as sent, in lower-case snake_case$/) }]);
      }
      expect((await get(`${server.url}/inbox/messages?kind=story_mention`)).status).toBe(200);
    });

    it('searches the stored event for every word, in any order and ASCII case, with % and _ taken literally', async () => {
      expect(await mids({ q: 'blue JACKET' })).toEqual(['f-text', 'f-echo', 'f-echo-b']);
      expect(await mids({ q: 'jacket stock' })).toEqual(['f-text']);
      expect(await mids({ q: '  stock   BLUE ' })).toEqual(['f-text']);
      expect(await mids({ q: '100%' })).toEqual(['f-wild']);
      expect(await mids({ q: '100%_' })).toEqual(['f-wild']);
      expect(await mids({ q: 'x_y' })).toEqual(['f-decoy']);
      // The JSON text: keys and IDs are searched too.
      expect(await mids({ q: 'is_echo', channel: 'flt-b' })).toEqual(['f-echo-b']);
      expect(await mids({ q: 'asset_id=42' })).toEqual(['f-image']);
      expect(await mids({ q: 'blue', direction: 'echo', channel: 'flt-a' })).toEqual(['f-echo']);
      expect(await mids({ q: 'jacket', kind: 'image' })).toEqual([]);
      expect(await mids({ q: 'nowhere-at-all' })).toEqual([]);
    });

    it('walks back newest first, page by page, to the oldest; an item id starts the walk there', async () => {
      const forward = (await read({ limit: 1000 })).items.map((i) => i.id);
      const back: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await read({ order: 'desc', limit: 4, ...(cursor && { cursor }) });
        back.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        if (page.items.length < 4) break;
      }
      // Every event once, by id, newest first.
      expect(back).toEqual([...forward].sort((a, b) => Number(b) - Number(a)));
      const third = back[2]!;
      expect((await read({ order: 'desc', limit: 1000, cursor: third })).items.map((i) => i.id)).toEqual(back.slice(3));
      expect((await read({ order: 'desc', limit: 1000, cursor: back.at(-1)! })).items).toEqual([]);
      // Filtered, the walk holds only what matches, and ends with a short page.
      const echoes = await read({ order: 'desc', direction: 'echo', limit: 1 });
      expect(echoes.items.map((i) => i.mid)).toEqual(['f-echo-b']);
      const before = await read({ order: 'desc', direction: 'echo', limit: 1, cursor: echoes.nextCursor });
      expect(before.items.map((i) => i.mid)).toEqual(['f-echo']);
      expect((await read({ order: 'desc', direction: 'echo', limit: 1, cursor: before.nextCursor })).items).toEqual([]);
      const searched = await read({ order: 'desc', q: 'blue jacket', limit: 10 });
      expect(searched.items.map((i) => i.mid)).toEqual(['f-echo-b', 'f-echo', 'f-text']);
    });

    it('answers 400 for a filter outside the contract, naming it', async () => {
      const bad = async (query: string, path: string) => {
        const r = await get(`${server.url}/inbox/messages?${query}`);
        expect(r.status, query).toBe(400);
        expect(r.json.errors[0].path, query).toBe(path);
      };
      await bad(`q=${encodeURIComponent('one two three four five six seven eight nine')}`, '/query/q');
      await bad(`q=${'x'.repeat(201)}`, '/query/q');
      await bad('direction=sideways', '/query/direction');
      await bad('order=random', '/query/order');
      await bad(`kind=${'k'.repeat(65)}`, '/query/kind');
      await bad('order=desc&cursor=not-a-cursor', '/query/cursor');
      // Cursors past what the stores' columns hold are not theirs either (never a 500).
      await bad('order=desc&cursor=9999999999999999999', '/query/cursor');
      await bad('cursor=1.9999999999999999999', '/query/cursor');
      await bad('cursor=99999999999999999999.1', '/query/cursor');
      // A NUL cannot be in the JSON text (it is escaped there): nothing matches, nothing fails.
      expect((await get(`${server.url}/inbox/messages?q=a%00b`)).json.items).toEqual([]);
    });

    it('classifies the events stored before kinds existed, when it opens such a store', async () => {
      const upgraded = await store.upgrade([
        { message: { mid: 'old-1', text: 'hi' } },
        { message: { mid: 'old-2', text: 'hi', is_echo: true } },
        { message: { mid: 'old-3', attachments: [{ type: 'video', payload: { url: 'https://x' } }] } },
        { postback: { title: 'Go' } },
        { something: 'new' },
      ]);
      try {
        const { items } = await upgraded.inbox.list({ limit: 10 });
        expect(items.map((i) => [i.kind, i.direction])).toEqual([
          ['text', 'inbound'],
          ['text', 'echo'],
          ['video', 'inbound'],
          ['postback', 'inbound'],
          ['unknown', null],
        ]);
        expect((await upgraded.inbox.list({ limit: 10, kind: 'video' })).items.map((i) => (i.event.message as { mid: string }).mid)).toEqual(['old-3']);
      } finally {
        await upgraded.close();
      }
    });
  });

  describe('bad input', () => {
    it('stores nothing from a delivery it refuses', async () => {
      const before = (await all()).length;
      const bad = textDelivery('mid-bad') as any;
      bad.entry[0].messaging[0].timestamp = 'yesterday';
      expect((await push(server.url, bad)).status).toBe(400);
      expect((await push(server.url, '{"object": "instagram", "entry": [')).status).toBe(400);
      expect((await all()).length).toBe(before);
    });
  });

  describe('retention', () => {
    it('prunes events received before a date, at most `max` at a time, and keeps newer ones', async () => {
      const old = new Date('2020-01-01T00:00:00Z');
      const events: NewEvent[] = [1, 2, 3].map((n) => ({ channel: 'old', mid: `mid-old-${n}`, entryId: null, entryTime: null, event: { n }, dedupeKey: `old-${n}` }));
      await store.inbox.append(events, old);
      const total = (await all()).length;
      expect(await store.inbox.prune(new Date('2021-01-01T00:00:00Z'), 2)).toBe(2);
      expect(await store.inbox.prune(new Date('2021-01-01T00:00:00Z'), 2)).toBe(1);
      expect(await store.inbox.prune(new Date('2021-01-01T00:00:00Z'), 2)).toBe(0);
      expect((await all()).length).toBe(total - 3);
    });
  });

  describe('closing', () => {
    it('commits and answers every delivery appended before close, batches held back behind others included, then refuses', async () => {
      const { inbox, close } = await store.upgrade([]);
      try {
        const event = (mid: string): NewEvent => ({ channel: 'chan-a', mid, entryId: null, entryTime: null, event: { message: { mid } }, dedupeKey: `closing-${mid}` });
        const appends: Promise<unknown>[] = [];
        // Over several turns, so batches are in flight and others wait behind them when close is called.
        for (let turn = 0; turn < 6; turn++) {
          for (let n = 0; n < 3; n++) appends.push(inbox.append([event(`t${turn}-${n}`)], new Date()));
          await new Promise((r) => setImmediate(r));
        }
        const closing = inbox.close();
        const refused = inbox.append([event('after-close')], new Date()).then(() => 'stored', (err: unknown) => err);
        expect(await Promise.all(appends)).toEqual(appends.map(() => ({ stored: 1, duplicates: 0 })));
        await closing;
        expect(await refused).toMatchObject({ name: 'StoreUnavailableError', message: 'the inbox is closed' });
        expect(await inbox.ready()).toBe(false);
      } finally {
        await close().catch(() => {});
      }
    });
  });
});
