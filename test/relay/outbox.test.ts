// The SQLite outbox under the inbox: a forward per enabled destination written with the event, leases,
// outcomes and attempts, listing and status, replay, pause, and RETENTION keeping what is still pending.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import type { Destination } from '../../server/relay/destinations.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { startRelay } from '../../server/relay/start-relay.js';
import { pruneOnce } from '../../server/run/retention.js';

const dest = (id: string, channel = 'a', enabled = true): Destination => ({ id, channel, url: 'http://127.0.0.1:9/', enabled, timeoutMs: 1000, maxAgeMs: 60_000, concurrency: 1 });
const ev = (channel: string, mid: string): NewEvent => ({ channel, mid, entryId: '1', entryTime: 2, event: { sender: { id: '1' }, message: { mid, text: 't' } }, dedupeKey: `${channel}/${mid}` });
const silent = pino({ level: 'silent' });
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function store(destinations: Destination[]) {
  const file = join(mkdtempSync(join(tmpdir(), 'ipk-outbox-')), 'inbox.sqlite');
  const inbox = new SqliteInbox({ file });
  const outbox = new SqliteOutbox(file, destinations);
  open.push(inbox, outbox);
  return { file, inbox, outbox };
}

describe('sqlite outbox', () => {
  it('writes one pending forward per enabled destination of the channel, in the event own commit', async () => {
    const { inbox, outbox } = store([dest('x'), dest('y'), dest('off', 'a', false), dest('z', 'b')]);
    await inbox.append([ev('a', 'm1'), ev('b', 'm2'), ev('c', 'm3')], new Date('2026-12-01T00:00:00Z'));
    await inbox.append([ev('a', 'm1')], new Date()); // a duplicate: stored once, forwarded once
    const all = await outbox.list({ limit: 10 });
    expect(all.map((f) => [f.eventId, f.destination, f.state, f.channel])).toEqual([
      ['2', 'z', 'pending', 'b'],
      ['1', 'x', 'pending', 'a'],
      ['1', 'y', 'pending', 'a'],
    ]);
    expect(all[0]!.createdAt).toBe('2026-12-01T00:00:00.000Z');
    expect((await outbox.list({ limit: 10, destination: 'x' })).map((f) => f.eventId)).toEqual(['1']);
    expect((await outbox.list({ limit: 10, channel: 'b', state: 'pending' })).map((f) => f.destination)).toEqual(['z']);
    expect(await outbox.list({ limit: 10, before: 1 })).toEqual([]);
  });

  it('leases claimed forwards oldest first until their outcome, records attempts, and replays', async () => {
    const { inbox, outbox } = store([dest('x')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2'), ev('a', 'm3')], new Date());
    const first = await outbox.claim('x', 1000, 5000, 2);
    expect(first.map((c) => [c.eventId, c.attempts, c.entryId, c.entryTime])).toEqual([
      [1, 0, '1', 2],
      [2, 0, '1', 2],
    ]);
    expect(JSON.parse(first[0]!.eventJson).message.mid).toBe('m1');
    // Leased: not claimed again before the lease ends; the third is.
    expect((await outbox.claim('x', 1001, 5000, 5)).map((c) => c.eventId)).toEqual([3]);
    expect(await outbox.claim('x', 1002, 5000, 5)).toEqual([]);
    await outbox.record([
      { eventId: 1, destination: 'x', at: 1500, status: 200, latencyMs: 4, error: null, state: 'delivered', nextAt: 0 },
      { eventId: 2, destination: 'x', at: 1500, status: 401, latencyMs: 5, error: 'refused with 401: no', state: 'dead', nextAt: 0 },
      { eventId: 3, destination: 'x', at: 1500, status: 503, latencyMs: 6, error: '503: later', state: 'retrying', nextAt: 9000 },
    ]);
    // After a crash the lease runs out and the event is due again, with its attempt counted.
    expect((await outbox.claim('x', 9000, 20_000, 5)).map((c) => [c.eventId, c.attempts])).toEqual([[3, 1]]);
    const [dead] = await outbox.list({ limit: 10, state: 'dead' });
    expect(dead).toMatchObject({ eventId: '2', attempts: 1, lastStatus: 401, lastError: 'refused with 401: no', nextAttemptAt: null });
    expect(dead!.recentAttempts).toEqual([{ at: new Date(1500).toISOString(), status: 401, latencyMs: 5, error: 'refused with 401: no' }]);
    const [status] = await outbox.status();
    expect(status).toMatchObject({ id: 'x', channel: 'a', paused: false, counts: { pending: 0, retrying: 1, delivered: 1, dead: 1 } });
    expect(status!.oldestPendingAt).not.toBeNull();

    expect(await outbox.replayDead({ destination: 'x', since: new Date(Date.now() + 60_000) }, 1)).toBe(0);
    expect(await outbox.replayDead({ destination: 'x', since: new Date(0), until: new Date(Date.now() + 60_000) }, 1)).toBe(1);
    expect(await outbox.replayEvent(1)).toBe(1);
    expect(await outbox.replayEvent(1, 'other')).toBe(0);
    expect((await outbox.claim('x', 9001, 20_000, 5)).map((c) => c.eventId)).toEqual([1, 2]);
  });

  it('makes a claimed forward due again when its lease ends unrecorded (a crash mid-send)', async () => {
    const { inbox, outbox } = store([dest('x')]);
    await inbox.append([ev('a', 'm1')], new Date());
    expect((await outbox.claim('x', 1000, 5000, 5)).map((c) => c.eventId)).toEqual([1]);
    expect(await outbox.claim('x', 4999, 9000, 5)).toEqual([]);
    expect((await outbox.claim('x', 5000, 9000, 5)).map((c) => [c.eventId, c.attempts])).toEqual([[1, 1]]);
  });

  it('pauses and resumes a destination, and knows no unknown one', async () => {
    const { outbox } = store([dest('x')]);
    expect(await outbox.paused('x')).toBe(false);
    expect(await outbox.setPaused('x', true)).toBe(true);
    expect(await outbox.paused('x')).toBe(true);
    expect(await outbox.setPaused('nope', true)).toBe(false);
    expect(await outbox.paused('nope')).toBe(false);
    await outbox.setPaused('x', false);
    expect((await outbox.status())[0]!.paused).toBe(false);
  });

  it('kills the open forwards of a destination removed from the configuration, and forgets it', async () => {
    const { file, inbox, outbox } = store([dest('x'), dest('y')]);
    await inbox.append([ev('a', 'm1')], new Date());
    const again = new SqliteOutbox(file, [dest('y')]);
    open.push(again);
    expect((await again.list({ limit: 10 })).map((f) => [f.destination, f.state, f.lastError])).toEqual([
      ['x', 'dead', 'the destination was removed from the configuration'],
      ['y', 'pending', null],
    ]);
    expect((await outbox.status()).map((s) => s.id)).toEqual(['y']);
  });

  it('RETENTION never deletes an event still pending for a destination, and deletes it with its forwards once settled', async () => {
    const { file, inbox, outbox } = store([dest('x')]);
    const old = new Date(Date.now() - 10 * 86_400_000);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2'), ev('quiet', 'm3')], old);
    await outbox.record([{ eventId: 1, destination: 'x', at: 1, status: 200, latencyMs: 1, error: null, state: 'delivered', nextAt: 0 }]);
    expect(await pruneOnce({ inbox, olderThanMs: 86_400_000, logger: silent })).toBe(2);
    expect((await inbox.list({ limit: 10 })).items.map((i) => i.mid)).toEqual(['m2']);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT event_id, state FROM relay_forwards').all()).toEqual([{ event_id: 2, state: 'pending' }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM relay_attempts').get()).toEqual({ n: 0 });
    db.close();
  });

  it('starts nothing without destinations, and tells a store that once had some that it has none', async () => {
    const { file, inbox, outbox } = store([dest('x')]);
    await outbox.close();
    open.splice(open.indexOf(outbox), 1);
    expect(startRelay({ destinations: [], sqliteFile: file, logger: silent })).toBeUndefined();
    await inbox.append([ev('a', 'm1')], new Date());
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM relay_forwards').get()).toEqual({ n: 0 });
    db.close();
    expect(startRelay({ destinations: [], sqliteFile: join(tmpdir(), 'ipk-none', 'inbox.sqlite'), logger: silent })).toBeUndefined();
    expect(() => startRelay({ destinations: [dest('x')], logger: silent })).toThrow(/SQLite/);
  });
});

describe('sqlite outbox, listing and replay', () => {
  it('lists the five newest attempts of a forward, newest first', async () => {
    const { inbox, outbox } = store([dest('x')]);
    await inbox.append([ev('a', 'm1')], new Date());
    for (let i = 1; i <= 6; i++) await outbox.record([{ eventId: 1, destination: 'x', at: i * 1000, status: 500, latencyMs: i, error: `try ${i}`, state: 'retrying', nextAt: i * 1000 + 1 }]);
    const [row] = await outbox.list({ limit: 1 });
    expect(row!.recentAttempts.map((a) => a.error)).toEqual(['try 6', 'try 5', 'try 4', 'try 3', 'try 2']);
    expect(row).toMatchObject({ state: 'retrying', nextAttemptAt: new Date(6001).toISOString(), lastError: 'try 6', lastStatus: 500 });
  });

  it('counts each destination own forwards, and dates only the open ones', async () => {
    const { inbox, outbox } = store([dest('x'), dest('y')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], new Date('2026-12-01T00:00:00Z'));
    await outbox.record([
      { eventId: 1, destination: 'x', at: 1, status: 200, latencyMs: 1, error: null, state: 'delivered', nextAt: 0 },
      { eventId: 2, destination: 'x', at: 1, status: 401, latencyMs: 1, error: 'no', state: 'dead', nextAt: 0 },
    ]);
    expect(await outbox.status()).toEqual([
      { id: 'x', channel: 'a', paused: false, counts: { pending: 0, retrying: 0, delivered: 1, dead: 1 }, oldestPendingAt: null },
      { id: 'y', channel: 'a', paused: false, counts: { pending: 2, retrying: 0, delivered: 0, dead: 0 }, oldestPendingAt: '2026-12-01T00:00:00.000Z' },
    ]);
    expect((await outbox.list({ limit: 10, state: 'delivered' })).map((f) => [f.destination, f.nextAttemptAt])).toEqual([['x', null]]);
  });

  it('replays with a fresh maximum age: one event from now, the dead of a window from the time given', async () => {
    const { inbox, outbox } = store([dest('x'), dest('y')]);
    const stored = new Date('2026-12-01T00:00:00Z');
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], stored);
    const dead = (eventId: number, destination: string) => ({ eventId, destination, at: 1, status: 401, latencyMs: 1, error: 'no', state: 'dead' as const, nextAt: 0 });
    await outbox.record([dead(1, 'x'), dead(2, 'x'), dead(1, 'y')]);
    expect(await outbox.replayDead({ destination: 'x', until: stored }, 5000)).toBe(0);
    expect(await outbox.replayDead({ destination: 'x', since: new Date(stored.getTime() + 1) }, 5000)).toBe(0);
    expect(await outbox.replayDead({ destination: 'x', since: stored, until: new Date(stored.getTime() + 1) }, 5000)).toBe(2);
    const x = await outbox.list({ limit: 10, destination: 'x' });
    expect(x.map((f) => [f.eventId, f.state, f.createdAt, f.nextAttemptAt])).toEqual([
      ['2', 'pending', new Date(5000).toISOString(), new Date(0).toISOString()],
      ['1', 'pending', new Date(5000).toISOString(), new Date(0).toISOString()],
    ]);
    const y1 = async () => (await outbox.list({ limit: 10, destination: 'y', before: 2 }))[0]!;
    expect((await y1()).state).toBe('dead');
    const before = Date.now();
    expect(await outbox.replayEvent(1, 'y')).toBe(1);
    const y = await y1();
    expect(y!.state).toBe('pending');
    expect(Date.parse(y!.createdAt)).toBeGreaterThanOrEqual(before);
    expect(await outbox.replayDead({ destination: 'y' }, 5000)).toBe(0);
  });
});
