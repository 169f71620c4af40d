// SQLite only: a commit that cannot take the write lock answers 500, never 200; the writer thread
// acknowledges only what another connection can already read; a writer thread that died fails what it
// held and is replaced; the batch commit itself, driven in-process. (Idempotency and atomicity, shared
// by both stores, are in test/inbox/behaviour.test.ts.)
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, type NewEvent } from '../../server/inbox/inbox.js';
import { commitBatch, probeCommit } from '../../server/inbox/sqlite-commit.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { INSERT_SQL, migrate, openDatabase, toRow } from '../../server/inbox/sqlite-schema.js';
import { storeErrorCode } from '../../server/inbox/store-errors.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer } from '../support/server.js';

const newFile = () => join(mkdtempSync(join(tmpdir(), 'ipk-commit-')), 'inbox.sqlite');

describe("the SQLite store's commit", () => {
  it('answers 500 (never 200) when the commit cannot take the write lock, and 200 once it can', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file, busyTimeoutMs: 50 });
    const s = await startTestServer({ inbox });
    // Another connection holds the write lock longer than the busy timeout allows: BEGIN IMMEDIATE fails.
    const blocker = new Database(file, { timeout: 0 });
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const r = await push(s.url, textDelivery('mid-locked'));
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ code: 'store_unavailable' });
      // SQLite's code crosses from the writer thread, for the log (store-health.ts).
      const failed = await inbox.append([event('mid-locked-direct')], new Date()).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(StoreUnavailableError);
      expect(storeErrorCode(failed)).toBe('SQLITE_BUSY');
      blocker.exec('ROLLBACK');
      expect((await inbox.list({ limit: 10 })).items).toEqual([]);
      expect((await push(s.url, textDelivery('mid-locked'))).status).toBe(200);
    } finally {
      blocker.close();
      await s.close();
      await inbox.close();
    }
  });

  it('acknowledges a delivery only once another connection can read it (the commit returned first)', async () => {
    const file = newFile();
    const inbox = new SqliteInbox({ file });
    const reader = new Database(file, { readonly: true });
    const count = reader.prepare('SELECT COUNT(*) AS n FROM events WHERE mid LIKE ?');
    try {
      // Large deliveries, so the commit writes enough to the WAL that an early answer would be seen.
      for (let round = 0; round < 20; round++) {
        const result = await inbox.append(bigDelivery(`r${round}`, 500), new Date());
        expect(result).toEqual({ stored: 500, duplicates: 0 });
        expect((count.get(`r${round}-%`) as { n: number }).n).toBe(500);
      }
    } finally {
      reader.close();
      await inbox.close();
    }
  });

  it('fails the deliveries a writer thread that died held with StoreUnavailableError, then writes again', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      await inbox.append(bigDelivery('warm', 1), new Date());
      const pending = [inbox.append(bigDelivery('a', 200), new Date()), inbox.append(bigDelivery('b', 1), new Date())];
      // Let the batch reach the thread, then end the thread before it can answer.
      await new Promise((r) => setImmediate(r));
      await (inbox as any).writer.client.thread.terminate();
      for (const p of pending) {
        await expect(p).rejects.toThrow(new StoreUnavailableError('the inbox writer stopped'));
        await expect(p).rejects.toMatchObject({ cause: { message: 'the writer thread exited with code 1' } });
      }
      expect(await inbox.append(bigDelivery('after', 1), new Date())).toEqual({ stored: 1, duplicates: 0 });
      expect((await inbox.list({ limit: 1000 })).items.map((i) => i.mid)).toContain('after-0');
    } finally {
      await inbox.close();
    }
  });

  it('fails what it asked a thread that reported an error, and starts a new thread for the next write', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      await inbox.append(bigDelivery('before', 1), new Date());
      const thread = (inbox as any).writer.client.thread;
      const pending = inbox.append(bigDelivery('held', 300), new Date());
      await new Promise((r) => setImmediate(r));
      // What Node emits when the thread throws: the pending request fails with that error as its cause.
      thread.emit('error', new Error('the thread threw'));
      await expect(pending).rejects.toMatchObject({ name: 'StoreUnavailableError', message: 'the inbox writer stopped', cause: { message: 'the thread threw' } });
      expect(await inbox.append(bigDelivery('after', 1), new Date())).toEqual({ stored: 1, duplicates: 0 });
      expect((inbox as any).writer.client.thread).not.toBe(thread);
      await thread.terminate();
    } finally {
      await inbox.close();
    }
  });

  it('refuses, storing nothing, a delivery whose event cannot be serialised', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      const bad = { ...bigDelivery('bad', 1)[0]!, event: { n: 1n } as unknown as Record<string, unknown> };
      await expect(inbox.append([bad], new Date())).rejects.toMatchObject({ name: 'StoreUnavailableError', message: 'the delivery could not be written', cause: { name: 'TypeError' } });
      expect((await inbox.list({ limit: 10 })).items).toEqual([]);
    } finally {
      await inbox.close();
    }
  });

  it('gives the newest events oldest first from tail, and the cursor after the newest', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    try {
      for (const tag of ['t1', 't2', 't3', 't4']) await inbox.append(bigDelivery(tag, 1), new Date());
      const page = await inbox.tail(3);
      expect(page.items.map((i) => i.mid)).toEqual(['t2-0', 't3-0', 't4-0']);
      expect(page.nextCursor).toBe(page.items.at(-1)!.id);
    } finally {
      await inbox.close();
    }
  });

  it('ends its writer thread when it closes, after committing what was queued', async () => {
    const inbox = new SqliteInbox({ file: newFile() });
    const thread = (inbox as any).writer.client.thread;
    const exited = new Promise((resolve) => thread.once('exit', () => resolve('exited')));
    const queued = inbox.append(bigDelivery('last', 50), new Date());
    await inbox.close();
    expect(await queued).toEqual({ stored: 50, duplicates: 0 });
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 2000))])).toBe('exited');
  });

  it('lets a process that appended and never closed its inbox exit: the idle writer thread holds nothing open', () => {
    const script = `import { SqliteInbox } from ${JSON.stringify(new URL('../../server/inbox/sqlite-inbox.ts', import.meta.url).href)};
      const inbox = new SqliteInbox({ file: ${JSON.stringify(newFile())} });
      const r = await inbox.append([{ channel: 'c', mid: 'm', entryId: null, entryTime: null, event: {}, dedupeKey: 'k' }], new Date());
      console.log(JSON.stringify(r));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('{"stored":1,"duplicates":0}');
  });
});

describe('one batch, committed in-process (what the writer thread runs)', () => {
  const open = () => {
    const db = openDatabase(newFile(), 50);
    migrate(db);
    return { db, insert: db.prepare(INSERT_SQL), mids: () => (db.prepare('SELECT mid FROM events ORDER BY id').all() as { mid: string }[]).map((r) => r.mid) };
  };
  const rows = (...mids: string[]) => bigDelivery('x', 0).concat(mids.map((mid) => event(mid))).map((e) => toRow(e, '2026-11-25T00:00:00.000Z'));

  it('answers each delivery with its own counts, in order, duplicates within and across deliveries included', () => {
    const { db, insert, mids } = open();
    expect(commitBatch(db, insert, [rows('a', 'b'), rows('b', 'c'), rows('a', 'a'), rows()])).toEqual([
      { stored: 2, duplicates: 0 },
      { stored: 1, duplicates: 1 },
      { stored: 0, duplicates: 2 },
      { stored: 0, duplicates: 0 },
    ]);
    expect(mids()).toEqual(['a', 'b', 'c']);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back only the delivery that failed, names why, and commits the rest', () => {
    const { db, insert, mids } = open();
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.mid = 'bad' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    expect(commitBatch(db, insert, [rows('a'), rows('b', 'bad'), rows('c')])).toEqual([{ stored: 1, duplicates: 0 }, { error: 'disk says no', code: 'SQLITE_CONSTRAINT_TRIGGER' }, { stored: 1, duplicates: 0 }]);
    expect(mids()).toEqual(['a', 'c']);
    // The savepoint is released: a second batch on the same connection commits normally.
    expect(commitBatch(db, insert, [rows('d')])).toEqual([{ stored: 1, duplicates: 0 }]);
    expect(mids()).toEqual(['a', 'c', 'd']);
  });

  it('throws, leaving nothing written and no transaction open, when the batch cannot commit', () => {
    const { db, insert, mids } = open();
    db.exec(`CREATE TABLE guard_parent (id INTEGER PRIMARY KEY);
             CREATE TABLE guard_child (parent INTEGER REFERENCES guard_parent (id) DEFERRABLE INITIALLY DEFERRED);
             CREATE TRIGGER guard AFTER INSERT ON events WHEN NEW.mid = 'bad' BEGIN INSERT INTO guard_child VALUES (42); END;`);
    db.pragma('foreign_keys = ON');
    expect(() => commitBatch(db, insert, [rows('a'), rows('bad')])).toThrow(/FOREIGN KEY/);
    expect(db.inTransaction).toBe(false);
    expect(mids()).toEqual([]);
  });

  it('throws the error that ended the transaction, not a second one, when a trigger rolled it back', () => {
    const { db, insert, mids } = open();
    db.exec(`CREATE TRIGGER undo BEFORE INSERT ON events WHEN NEW.mid = 'bad' BEGIN SELECT RAISE(ROLLBACK, 'undone'); END`);
    // RAISE(ROLLBACK) ends the whole transaction: its savepoint is gone, and so is anything to roll back.
    expect(() => commitBatch(db, insert, [rows('a'), rows('bad')])).toThrow(/^undone$/);
    expect(db.inTransaction).toBe(false);
    expect(mids()).toEqual([]);
  });

  it('throws SQLITE_FULL, writing nothing, when the file has no room, and writes again once it has room', () => {
    const { db, insert, mids } = open();
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = bigDelivery('full', 50).map((e) => toRow(e, '2026-11-25T00:00:00.000Z'));
    // SQLite ends the whole transaction on SQLITE_FULL: the batch fails with that code, not a later one.
    expect(() => commitBatch(db, insert, [rows('a'), big])).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    expect(mids()).toEqual([]);
    const wide = toRow({ ...event('probe'), event: { text: 'x'.repeat(50_000) } }, '2026-11-25T00:00:00.000Z');
    expect(() => probeCommit(db, insert, db.prepare('DELETE FROM events WHERE id = ?'), wide)).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    expect(db.inTransaction).toBe(false);
    db.pragma(`max_page_count = ${pages * 100}`);
    expect(commitBatch(db, insert, [big])).toEqual([{ stored: 50, duplicates: 0 }]);
    expect(mids()).toHaveLength(50);
  });

  it("probes the write path leaving no row behind, only a used id", () => {
    const { db, insert, mids } = open();
    commitBatch(db, insert, [rows('a')]);
    probeCommit(db, insert, db.prepare('DELETE FROM events WHERE id = ?'), rows('probe')[0]!);
    commitBatch(db, insert, [rows('b')]);
    expect(mids()).toEqual(['a', 'b']);
    expect((db.prepare('SELECT id FROM events ORDER BY id').all() as { id: number }[]).map((r) => r.id)).toEqual([1, 3]);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls a refused probe back, leaving no transaction open, so the next write commits', () => {
    const { db, insert, mids } = open();
    // RAISE(ABORT) undoes the statement only: the transaction stays open unless the probe ends it.
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'no room'); END`);
    expect(() => probeCommit(db, insert, db.prepare('DELETE FROM events WHERE id = ?'), rows('probe')[0]!)).toThrow(/no room/);
    expect(db.inTransaction).toBe(false);
    db.exec('DROP TRIGGER refuse');
    expect(commitBatch(db, insert, [rows('after')])).toEqual([{ stored: 1, duplicates: 0 }]);
    expect(mids()).toEqual(['after']);
  });

  it('throws before writing when another connection holds the write lock', () => {
    const { db, insert, mids } = open();
    const blocker = new Database(db.name, { timeout: 0 });
    blocker.exec('BEGIN IMMEDIATE');
    try {
      expect(() => commitBatch(db, insert, [rows('a')])).toThrow(/locked|busy/i);
      expect(db.inTransaction).toBe(false);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(mids()).toEqual([]);
  });
});

function event(mid: string): NewEvent {
  return { channel: 'chan-a', mid, entryId: '2', entryTime: 1, event: { message: { mid } }, dedupeKey: JSON.stringify(['m', 'chan-a', mid]) };
}

function bigDelivery(tag: string, events: number): NewEvent[] {
  return Array.from({ length: events }, (_, i) => {
    const mid = `${tag}-${i}`;
    const e = { sender: { id: '1' }, recipient: { id: '2' }, timestamp: 1, message: { mid, text: 'x'.repeat(900) } };
    return { channel: 'chan-a', mid, entryId: '2', entryTime: 1, event: e, dedupeKey: JSON.stringify(['m', 'chan-a', mid]) };
  });
}
