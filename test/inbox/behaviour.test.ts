// One behaviour suite, run unchanged against both inbox stores (embedded SQLite, shared PostgreSQL)
// through the real server over HTTP: idempotency, batch atomicity, paging, the feed's tail, pruning and
// bad input. Only the fixture differs: how to open a store and how to make one insert fail.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { get, push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Fixture {
  inbox: Inbox;
  /** Makes every insert of an event with this mid fail, as a full disk or a constraint would. */
  sabotage(mid: string): Promise<void>;
  repair(): Promise<void>;
  close(): Promise<void>;
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
});
