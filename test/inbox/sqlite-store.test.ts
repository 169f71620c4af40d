// What only the embedded SQLite store has to get right: its file (created where asked, reopened with its
// rows and schema as they were, upgraded from older schema versions), its group commit when a commit
// fails, closing with deliveries still queued, and the cursors it refuses. The behaviour both stores
// share is in behaviour.test.ts.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursorError, StoreUnavailableError, type NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { get } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const newFile = () => join(mkdtempSync(join(tmpdir(), 'ipk-sqlite-')), 'inbox.sqlite');
const event = (mid: string, extra: Record<string, unknown> = {}): NewEvent => ({
  channel: 'chan-a',
  mid,
  entryId: '17841400000000000',
  entryTime: 1732519200123,
  event: { message: { mid, text: 'hello', ...extra } },
  dedupeKey: JSON.stringify(['m', 'chan-a', mid]),
});
const mids = async (inbox: SqliteInbox) => (await inbox.list({ limit: 100_000 })).items.map((i) => i.mid);
/** The schema version the store keeps in the file (SQLite's user_version). */
const schemaVersion = (file: string) => {
  const side = new Database(file, { readonly: true });
  try {
    return side.pragma('user_version', { simple: true });
  } finally {
    side.close();
  }
};

/** The tables and indexes of a file, by name, as SQLite would create them anew. */
const schema = (file: string) => {
  const side = new Database(file, { readonly: true });
  try {
    return (side.prepare("SELECT name, type, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string; type: string; tbl_name: string }[]).map((r) => [r.name, r.type, r.tbl_name]);
  } finally {
    side.close();
  }
};

describe('appending', () => {
  it('answers how many events of a delivery it stored and how many it already had', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      expect(await inbox.append([event('r-1'), event('r-2')], new Date())).toEqual({ stored: 2, duplicates: 0 });
      expect(await inbox.append([event('r-2'), event('r-3'), event('r-1')], new Date())).toEqual({ stored: 1, duplicates: 2 });
      expect(await inbox.append([event('r-3'), event('r-3')], new Date())).toEqual({ stored: 0, duplicates: 2 });
      expect(await inbox.append([], new Date())).toEqual({ stored: 0, duplicates: 0 });
      expect(await mids(inbox)).toEqual(['r-1', 'r-2', 'r-3']);
    } finally {
      await inbox.close();
    }
  });

  it('stores each event with its entry, its time of receipt and its classification', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      const receivedAt = new Date('2026-11-25T10:00:00.123Z');
      await inbox.append([event('d-1', { is_echo: true }), { ...event('d-2'), entryId: null, entryTime: null }], receivedAt);
      const { items } = await inbox.list({ limit: 10 });
      expect(items).toEqual([
        { id: '1', channel: 'chan-a', mid: 'd-1', entryId: '17841400000000000', entryTime: 1732519200123, event: { message: { mid: 'd-1', text: 'hello', is_echo: true } }, receivedAt: '2026-11-25T10:00:00.123Z', kind: 'text', direction: 'echo' },
        { id: '2', channel: 'chan-a', mid: 'd-2', entryId: null, entryTime: null, event: { message: { mid: 'd-2', text: 'hello' } }, receivedAt: '2026-11-25T10:00:00.123Z', kind: 'text', direction: 'inbound' },
      ]);
    } finally {
      await inbox.close();
    }
  });
});

describe('the database file', () => {
  it('creates the folders it is asked to live in, and writes ahead (WAL) so readers never wait for the writer', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-sqlite-')), 'not', 'yet', 'there', 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    await inbox.append([event('f-1')], new Date());
    await inbox.close();
    const side = new Database(file, { readonly: true });
    try {
      expect(side.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      side.close();
    }
  });

  it('reopens a file with its events, ids and schema as they were, and appends after them', async () => {
    const file = newFile();
    const first = new SqliteInbox({ file });
    await first.append([event('o-1'), event('o-2')], new Date());
    const before = await first.list({ limit: 10 });
    await first.close();
    expect(schemaVersion(file)).toBe(4);

    for (let i = 0; i < 2; i++) {
      const again = new SqliteInbox({ file });
      try {
        expect(await again.list({ limit: 10, cursor: '0' })).toEqual(before);
        // What it stored before still counts as stored: a redelivery is a duplicate.
        expect(await again.append([event('o-2')], new Date())).toEqual({ stored: 0, duplicates: 1 });
      } finally {
        await again.close();
      }
      expect(schemaVersion(file)).toBe(4);
    }
    const last = new SqliteInbox({ file });
    try {
      await last.append([event('o-3')], new Date());
      const after = (await last.list({ limit: 10, cursor: before.nextCursor })).items;
      expect(after.map((i) => i.mid)).toEqual(['o-3']);
      expect(Number(after[0]!.id)).toBeGreaterThan(Number(before.nextCursor));
    } finally {
      await last.close();
    }
  });

  it('upgrades a schema version 1 file of more events than one pass reads, classifying every one, once', async () => {
    const file = newFile();
    const v1 = new Database(file);
    v1.exec(`CREATE TABLE events (
       id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, mid TEXT,
       entry_id TEXT, entry_time REAL, event TEXT NOT NULL, received_at TEXT NOT NULL);
     CREATE INDEX events_channel_id ON events (channel, id);
     CREATE INDEX events_received_at ON events (received_at);`);
    v1.pragma('user_version = 1');
    const insert = v1.prepare(`INSERT INTO events (dedupe_key, channel, mid, event, received_at) VALUES (?, 'old', ?, ?, '2026-01-01T00:00:00.000Z')`);
    const total = 12_003;
    v1.transaction(() => {
      for (let i = 1; i <= total; i++) {
        const e = i % 3 === 0 ? { reaction: { mid: `v1-${i}`, action: 'react', reaction: 'love' } } : { message: { mid: `v1-${i}`, text: 'hi', ...(i % 3 === 1 && { is_echo: true }) } };
        insert.run(JSON.stringify(['m', 'old', `v1-${i}`]), `v1-${i}`, JSON.stringify(e));
      }
    })();
    v1.close();

    const upgraded = new SqliteInbox({ file });
    try {
      expect(schemaVersion(file)).toBe(4);
      const { items } = await upgraded.list({ limit: total });
      expect(items).toHaveLength(total);
      const expected = (i: number) => (i % 3 === 0 ? ['reaction', 'inbound'] : i % 3 === 1 ? ['text', 'echo'] : ['text', 'inbound']);
      expect(items.map((item) => [item.kind, item.direction])).toEqual(Array.from({ length: total }, (_, i) => expected(i + 1)));
      expect((await upgraded.list({ limit: total, kind: 'reaction' })).items).toHaveLength(total / 3);
      expect((await upgraded.list({ limit: total, direction: 'echo' })).items).toHaveLength(total / 3);
      expect(await upgraded.append([event('v2-new')], new Date())).toEqual({ stored: 1, duplicates: 0 });
    } finally {
      await upgraded.close();
    }
    // The upgraded file has the schema a new one gets, indexes for the kind and direction filters included.
    const fresh = newFile();
    await new SqliteInbox({ file: fresh }).close();
    expect(schema(file)).toEqual(schema(fresh));
    expect(schema(file).map(([name]) => name)).toEqual(expect.arrayContaining(['events_kind_id', 'events_direction_id']));
    // Opened again, it is not upgraded twice: everything is there once.
    const reopened = new SqliteInbox({ file });
    try {
      const { items } = await reopened.list({ limit: total + 10 });
      expect(items).toHaveLength(total + 1);
      expect(items.at(-1)!.mid).toBe('v2-new');
    } finally {
      await reopened.close();
    }
  });
});

describe('when a commit fails', () => {
  it('refuses every delivery written with it, keeps none of them, and commits the next ones', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file });
    const side = new Database(file);
    try {
      // A deferred constraint is checked only at COMMIT: the inserts succeed, the commit does not.
      side.exec(`CREATE TABLE guard_parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE guard_child (parent INTEGER REFERENCES guard_parent (id) DEFERRABLE INITIALLY DEFERRED);
                 CREATE TRIGGER guard AFTER INSERT ON events WHEN NEW.mid = 'c-bad' BEGIN INSERT INTO guard_child VALUES (42); END;`);
      const outcomes = await Promise.allSettled([inbox.append([event('c-1')], new Date()), inbox.append([event('c-bad')], new Date()), inbox.append([event('c-2')], new Date())]);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(StoreUnavailableError);
        expect(reason.message).toBe('the inbox could not commit');
        expect(String(reason.cause)).toMatch(/FOREIGN KEY/);
      }
      expect(await mids(inbox)).toEqual([]);
      side.exec('DROP TRIGGER guard');
      expect(await inbox.append([event('c-1'), event('c-3')], new Date())).toEqual({ stored: 2, duplicates: 0 });
      expect(await mids(inbox)).toEqual(['c-1', 'c-3']);
    } finally {
      side.close();
      await inbox.close();
    }
  });

  it('refuses every delivery of a transaction a trigger rolled back, and commits the next ones', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file });
    const side = new Database(file);
    try {
      side.exec(`CREATE TRIGGER undo BEFORE INSERT ON events WHEN NEW.mid = 'u-bad' BEGIN SELECT RAISE(ROLLBACK, 'undone'); END;`);
      const outcomes = await Promise.allSettled([inbox.append([event('u-1')], new Date()), inbox.append([event('u-bad')], new Date())]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect(await mids(inbox)).toEqual([]);
      side.exec('DROP TRIGGER undo');
      expect(await inbox.append([event('u-1')], new Date())).toEqual({ stored: 1, duplicates: 0 });
    } finally {
      side.close();
      await inbox.close();
    }
  });

  it('names the cause when one delivery cannot be written, and commits the others of its turn', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file });
    const side = new Database(file);
    try {
      side.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.mid = 'p-bad' BEGIN SELECT RAISE(ABORT, 'disk says no'); END;`);
      const [good, bad] = await Promise.allSettled([inbox.append([event('p-1')], new Date()), inbox.append([event('p-2'), event('p-bad')], new Date())]);
      expect(good).toEqual({ status: 'fulfilled', value: { stored: 1, duplicates: 0 } });
      const reason = (bad as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(StoreUnavailableError);
      expect(reason.message).toBe('the delivery could not be written');
      expect(String(reason.cause)).toMatch(/disk says no/);
      expect(await mids(inbox)).toEqual(['p-1']);
    } finally {
      side.close();
      await inbox.close();
    }
  });
});

describe('closing', () => {
  it('settles the deliveries still queued before it closes the file, and they are there when it reopens', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file });
    expect(await inbox.ready()).toBe(true);
    const queued = [inbox.append([event('q-1'), event('q-2')], new Date()), inbox.append([event('q-2'), event('q-3')], new Date())];
    await inbox.close();
    expect(await Promise.all(queued)).toEqual([
      { stored: 2, duplicates: 0 },
      { stored: 1, duplicates: 1 },
    ]);
    const reopened = new SqliteInbox({ file });
    try {
      expect(await mids(reopened)).toEqual(['q-1', 'q-2', 'q-3']);
    } finally {
      await reopened.close();
    }
  });

  it('refuses appends once closed with StoreUnavailableError, is not ready, and closes twice quietly', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    await inbox.close();
    await expect(inbox.append([event('late')], new Date())).rejects.toThrow(StoreUnavailableError);
    await expect(inbox.append([event('late')], new Date())).rejects.toThrow('the inbox is closed');
    expect(await inbox.ready()).toBe(false);
    await expect(inbox.close()).resolves.toBeUndefined();
  });
});

describe('cursors', () => {
  let inbox: SqliteInbox;
  beforeAll(async () => {
    inbox = new SqliteInbox({ file: newFile() });
    await inbox.append([event('k-1'), event('k-2'), event('k-3')], new Date());
  });
  afterAll(() => inbox.close());

  it.each(['12abc', 'abc12', '', ' 1', '1 ', '-1', '+1', '1.5', '1e3', '0x10', '1234567890123456'])('refuses the cursor %j with InvalidCursorError, both ways', async (cursor) => {
    await expect(inbox.list({ limit: 10, cursor })).rejects.toThrow(InvalidCursorError);
    await expect(inbox.list({ limit: 10, cursor, order: 'desc' })).rejects.toThrow(InvalidCursorError);
  });

  it('takes any cursor of up to 15 digits, past the end or not', async () => {
    expect((await inbox.list({ limit: 10, cursor: '999999999999999' })).items).toEqual([]);
    expect((await inbox.list({ limit: 10, cursor: '000000000000001' })).items.map((i) => i.mid)).toEqual(['k-2', 'k-3']);
    expect((await inbox.list({ limit: 10, cursor: '999999999999999', order: 'desc' })).items.map((i) => i.mid)).toEqual(['k-3', 'k-2', 'k-1']);
  });

  it('keeps the cursor where it was when a search word holds a NUL and so matches nothing', async () => {
    expect(await inbox.list({ limit: 10, cursor: '2', q: 'hel\u0000lo' })).toEqual({ items: [], nextCursor: '2' });
    expect(await inbox.list({ limit: 10, q: 'hello \u0000' })).toEqual({ items: [], nextCursor: '0' });
  });

  it('prunes every event older than the date when no maximum is given', async () => {
    const other = new SqliteInbox({ file: newFile() });
    try {
      await other.append([event('old-1'), event('old-2')], new Date('2020-01-01T00:00:00Z'));
      await other.append([event('new-1')], new Date('2026-01-01T00:00:00Z'));
      expect(await other.prune(new Date('2021-01-01T00:00:00Z'))).toBe(2);
      expect(await mids(other)).toEqual(['new-1']);
    } finally {
      await other.close();
    }
  });
});

describe('cursors over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each(['12abc', '1234567890123456', '-1'])('answers 400 naming /query/cursor for the cursor %j, both ways', async (cursor) => {
    for (const order of ['asc', 'desc']) {
      const r = await get(`${server.url}/inbox/messages?order=${order}&cursor=${encodeURIComponent(cursor)}`);
      expect(r.status).toBe(400);
      expect(r.json.errors[0].path).toBe('/query/cursor');
    }
  });
});
