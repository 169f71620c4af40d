// The relay's outbox under the inbox, on both stores: a forward per enabled destination written with the
// event, leases, outcomes and attempts, listing and status, replay, pause, and RETENTION keeping what is
// still pending. On PostgreSQL also: instances claiming at once never take the same forward, and an
// outcome is recorded only by the lease's holder.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import type { Destination } from '../../server/relay/destinations.js';
import { DISCARDED, type AttemptRecord, type ClaimedDelivery, type Outbox } from '../../server/relay/outbox.js';
import { PostgresOutbox } from '../../server/relay/postgres-outbox.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { ThreadedOutbox } from '../../server/relay/threaded-outbox.js';
import { postgresRelayStore, sqliteRelayStore } from '../../server/relay/relay-stores.js';
import { startRelay } from '../../server/relay/start-relay.js';
import { pruneOnce } from '../../server/run/retention.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';

const dest = (id: string, channel = 'a', enabled = true): Destination => ({ id, channel, url: 'http://127.0.0.1:9/', enabled, timeoutMs: 1000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20 });
const ev = (channel: string, mid: string, entryId = '1'): NewEvent => ({ channel, mid, entryId, entryTime: 2, event: { sender: { id: '1' }, message: { mid, text: 't' } }, dedupeKey: `${channel}/${mid}` });
/** One event per delivery, as before batching: a delivery's id is its event's. */
const ONE = { maxEvents: 1, maxBytes: 1 << 20 };
const ids = (claimed: ClaimedDelivery[]) => claimed.map((c) => c.id);
/** Claims every due forward of a destination one per delivery, and records the outcome given for each. */
async function settle(outbox: Outbox, destination: string, outcome: (eventId: number) => Omit<AttemptRecord, 'delivery' | 'destination' | 'lease'>): Promise<void> {
  const claimed = await outbox.claim(destination, 0, 0, 1000, ONE);
  await outbox.record(claimed.map((c) => ({ ...outcome(c.id), delivery: c.id, destination, lease: c.lease })));
}
const silent = pino({ level: 'silent' });
/** A logger whose lines are kept, parsed. */
function captured() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await sleep(20)) if (Date.now() > deadline) throw new Error('timed out');
}
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

interface Fixture {
  inbox: Inbox;
  outbox: Outbox;
  /** Another outbox on the same store, as a restart (or a second instance) with these destinations. */
  again(destinations: Destination[]): Outbox;
  /** The forwards and the attempts log as stored. */
  rows(): Promise<{ forwards: { event_id: number; state: string }[]; attempts: number }>;
}

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

/** A fresh SQLite store, its relay outboxes made by `outboxOn` (in this thread or in one of their own). */
async function sqliteStore(destinations: Destination[], outboxOn: (file: string, d: Destination[]) => Outbox): Promise<Fixture> {
  const file = join(mkdtempSync(join(tmpdir(), 'ipk-outbox-')), 'inbox.sqlite');
  const inbox = new SqliteInbox({ file });
  open.push(inbox);
  const again = (d: Destination[]) => {
    const o = outboxOn(file, d);
    open.push(o);
    return o;
  };
  const outbox = again(destinations);
  await outbox.open();
  return {
    inbox,
    outbox,
    again,
    async rows() {
      const db = new Database(file, { readonly: true });
      try {
        const forwards = db.prepare('SELECT event_id, state FROM relay_forwards ORDER BY event_id, destination').all() as { event_id: number; state: string }[];
        return { forwards, attempts: (db.prepare('SELECT COUNT(*) AS n FROM relay_attempts').get() as { n: number }).n };
      } finally {
        db.close();
      }
    },
  };
}

const stores: { name: string; store(destinations: Destination[]): Promise<Fixture> }[] = [
  { name: 'SQLite', store: (destinations) => sqliteStore(destinations, (file, d) => new SqliteOutbox(file, d)) },
  // As the relay runs it: every call in the outbox's own thread (threaded-outbox.ts).
  { name: 'SQLite in its thread', store: (destinations) => sqliteStore(destinations, (file, d) => new ThreadedOutbox({ file, destinations: d })) },
  {
    name: 'PostgreSQL',
    async store(destinations) {
      const connectionString = await cluster.createDatabase();
      const inbox = new PostgresInbox({ connectionString });
      const outboxOn = (d: Destination[]) => {
        const o = new PostgresOutbox({ connectionString, destinations: d, ensureSchema: () => inbox.ensureSchema() });
        open.push(o);
        return o;
      };
      open.push(inbox);
      const outbox = outboxOn(destinations);
      await outbox.open();
      return {
        inbox,
        outbox,
        again: outboxOn,
        async rows() {
          const client = new pg.Client({ connectionString });
          await client.connect();
          try {
            const forwards = (await client.query('SELECT event_id::int AS event_id, state FROM relay_forwards ORDER BY event_id, destination')).rows as { event_id: number; state: string }[];
            return { forwards, attempts: Number((await client.query('SELECT COUNT(*) AS n FROM relay_attempts')).rows[0].n) };
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];

describe.each(stores)('$name outbox', ({ store: open$ }) => {
  const store = (destinations: Destination[]) => open$(destinations);
  it('writes one pending forward per enabled destination of the channel, in the event own commit', async () => {
    const { inbox, outbox } = await store([dest('x'), dest('y'), dest('off', 'a', false), dest('z', 'b')]);
    await inbox.append([ev('a', 'm1'), ev('b', 'm2'), ev('c', 'm3')], new Date('2026-12-01T00:00:00Z'));
    await inbox.append([ev('a', 'm1')], new Date()); // a duplicate: stored once, forwarded once
    const all = await outbox.list({ limit: 10 });
    expect(all.map((f) => [f.eventId, f.destination, f.state, f.channel])).toEqual([
      ['2', 'z', 'pending', 'b'],
      ['1', 'x', 'pending', 'a'],
      ['1', 'y', 'pending', 'a'],
    ]);
    expect(all[0]!.createdAt).toBe('2026-12-01T00:00:00.000Z');
    // Not claimed yet: in no delivery.
    expect(all.map((f) => f.deliveryId)).toEqual([null, null, null]);
    expect((await outbox.list({ limit: 10, destination: 'x' })).map((f) => f.eventId)).toEqual(['1']);
    expect((await outbox.list({ limit: 10, channel: 'b', state: 'pending' })).map((f) => f.destination)).toEqual(['z']);
    expect(await outbox.list({ limit: 10, before: 1 })).toEqual([]);
  });

  it('lists the forwards of named events only, every destination of each, and none for an empty list', async () => {
    const { inbox, outbox } = await store([dest('x'), dest('y'), dest('z', 'b')]);
    await inbox.append([ev('a', 'm1'), ev('b', 'm2'), ev('a', 'm3')], new Date());
    const of = async (eventIds: number[], more = {}) => (await outbox.list({ limit: 10, eventIds, ...more })).map((f) => `${f.eventId}/${f.destination}`);
    expect(await of([3, 1])).toEqual(['3/x', '3/y', '1/x', '1/y']);
    expect(await of([2, 99])).toEqual(['2/z']);
    expect(await of([1, 3], { destination: 'y', limit: 1 })).toEqual(['3/y']);
    expect(await of([])).toEqual([]);
  });

  it('leases claimed forwards oldest first until their outcome, records attempts, and replays', async () => {
    const { inbox, outbox } = await store([dest('x')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2'), ev('a', 'm3')], new Date());
    const first = await outbox.claim('x', 1000, 5000, 2, ONE);
    expect(first.map((c) => [c.id, c.attempts, c.events.map((e) => [e.eventId, e.entryId, e.entryTime])])).toEqual([
      [1, 0, [[1, '1', 2]]],
      [2, 0, [[2, '1', 2]]],
    ]);
    expect(JSON.parse(first[0]!.events[0]!.eventJson).message.mid).toBe('m1');
    // Leased: not claimed again before the lease ends; the third is.
    const second = await outbox.claim('x', 1001, 5000, 5, ONE);
    expect(ids(second)).toEqual([3]);
    expect(await outbox.claim('x', 1002, 5000, 5, ONE)).toEqual([]);
    await outbox.record([
      { delivery: 1, destination: 'x', at: 1500, status: 200, latencyMs: 4, error: null, state: 'delivered', nextAt: 0, lease: first[0]!.lease },
      { delivery: 2, destination: 'x', at: 1500, status: 401, latencyMs: 5, error: 'refused with 401: no', state: 'dead', nextAt: 0, lease: first[1]!.lease },
      { delivery: 3, destination: 'x', at: 1500, status: 503, latencyMs: 6, error: '503: later', state: 'retrying', nextAt: 9000, lease: second[0]!.lease },
    ]);
    // After a crash the lease runs out and the event is due again, with its attempt counted.
    expect((await outbox.claim('x', 9000, 20_000, 5, ONE)).map((c) => [c.id, c.attempts])).toEqual([[3, 1]]);
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
    expect(ids(await outbox.claim('x', 9001, 20_000, 5, ONE))).toEqual([1, 2]);
  });

  it('makes a claimed forward due again when its lease ends unrecorded (a crash mid-send)', async () => {
    const { inbox, outbox } = await store([dest('x')]);
    await inbox.append([ev('a', 'm1')], new Date());
    expect(ids(await outbox.claim('x', 1000, 5000, 5, ONE))).toEqual([1]);
    expect(await outbox.claim('x', 4999, 9000, 5, ONE)).toEqual([]);
    expect((await outbox.claim('x', 5000, 9000, 5, ONE)).map((c) => [c.id, c.attempts])).toEqual([[1, 1]]);
  });

  it('pauses and resumes a destination, and knows no unknown one', async () => {
    const { outbox } = await store([dest('x')]);
    expect(await outbox.paused('x')).toBe(false);
    expect(await outbox.setPaused('x', true)).toBe(true);
    expect(await outbox.paused('x')).toBe(true);
    expect(await outbox.setPaused('nope', true)).toBe(false);
    expect(await outbox.paused('nope')).toBe(false);
    await outbox.setPaused('x', false);
    expect((await outbox.status())[0]!.paused).toBe(false);
  });

  it('keeps the open forwards of a destination removed from the configuration, held, and sends them once it is back', async () => {
    const { inbox, outbox, again } = await store([dest('x'), dest('y')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], new Date());
    await settle(outbox, 'x', (id) => (id === 1 ? { at: 1, status: 503, latencyMs: 1, error: 'later', state: 'retrying', nextAt: 0 } : { at: 1, status: 200, latencyMs: 1, error: null, state: 'delivered', nextAt: 0 }));
    await outbox.close(); // a restart whose configuration lacks x
    const without = again([dest('y')]);
    await without.open();
    const forwards = async (o: Outbox) => (await o.list({ limit: 10 })).map((f) => [f.eventId, f.destination, f.state, f.held, f.lastError]);
    expect(await forwards(without)).toEqual([
      ['2', 'x', 'delivered', false, null],
      ['2', 'y', 'pending', false, null],
      ['1', 'x', 'retrying', true, 'later'],
      ['1', 'y', 'pending', false, null],
    ]);
    expect((await without.status()).map((d) => [d.id, d.channel, d.configured, d.counts.retrying, d.oldestPendingAt === null])).toEqual([
      ['x', 'a', false, 1, false],
      ['y', 'a', true, 0, false],
    ]);
    // Not a destination any more: new events get no forward to it; pause and claims see nothing to do.
    await inbox.append([ev('a', 'm3')], new Date());
    expect((await without.list({ limit: 10, destination: 'x' })).map((f) => f.eventId)).toEqual(['2', '1']);
    expect(await without.setPaused('x', true)).toBe(false);
    await without.close();
    const back = again([dest('x'), dest('y')]);
    await back.open();
    expect((await back.status()).map((d) => [d.id, d.configured])).toEqual([['x', true], ['y', true]]);
    expect(ids(await back.claim('x', 10, 20, 10, ONE))).toEqual([1]);
    expect((await back.list({ limit: 10, destination: 'x' })).map((f) => f.held)).toEqual([false, false]);
  });

  it('ends a removed destination held forwards only when an operator discards them, never a configured one', async () => {
    const { inbox, outbox, again } = await store([dest('x'), dest('y')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], new Date());
    expect(await outbox.discard('x')).toEqual({ configured: true });
    expect((await outbox.list({ limit: 10, destination: 'x' })).map((f) => f.state)).toEqual(['pending', 'pending']);
    await outbox.close();
    const without = again([dest('y')]);
    await without.open();
    expect(await without.discard('x')).toEqual({ configured: false, discarded: 2 });
    expect((await without.list({ limit: 10, destination: 'x' })).map((f) => [f.state, f.held, f.lastError])).toEqual([
      ['dead', false, DISCARDED],
      ['dead', false, DISCARDED],
    ]);
    // Nothing held any more: no longer listed; a second discard ends nothing; y's forwards untouched.
    expect((await without.status()).map((d) => d.id)).toEqual(['y']);
    expect(await without.discard('x')).toEqual({ configured: false, discarded: 0 });
    expect((await without.list({ limit: 10, destination: 'y' })).map((f) => f.state)).toEqual(['pending', 'pending']);
  });

  it('RETENTION never deletes an event still pending for a destination, and deletes it with its forwards once settled', async () => {
    const { inbox, outbox, rows } = await store([dest('x')]);
    const old = new Date(Date.now() - 10 * 86_400_000);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2'), ev('quiet', 'm3')], old);
    await settle(outbox, 'x', (id) => (id === 1 ? { at: 1, status: 200, latencyMs: 1, error: null, state: 'delivered', nextAt: 0 } : { at: 1, status: 503, latencyMs: 1, error: 'later', state: 'retrying', nextAt: 9 }));
    expect(await pruneOnce({ inbox, olderThanMs: 86_400_000, logger: silent })).toBe(2);
    expect((await inbox.list({ limit: 10 })).items.map((i) => i.mid)).toEqual(['m2']);
    expect(await rows()).toEqual({ forwards: [{ event_id: 2, state: 'retrying' }], attempts: 1 });
  });
});

describe.each(stores)('$name outbox, forwarded deliveries of several events', ({ store }) => {
  const claimed = (deliveries: ClaimedDelivery[]) => deliveries.map((d) => [d.id, d.events.map((e) => e.eventId)]);

  it('groups due forwards by account, oldest first, up to the events and bytes a delivery may hold', async () => {
    const { inbox, outbox } = await store([dest('x')]);
    // Accounts 1 and 2 interleaved; event 6 is large.
    await inbox.append([ev('a', 'm1', '1'), ev('a', 'm2', '2'), ev('a', 'm3', '1'), ev('a', 'm4', '1'), ev('a', 'm5', '2')], new Date());
    await inbox.append([{ ...ev('a', 'm6', '2'), event: { sender: { id: '1' }, message: { mid: 'm6', text: 'x'.repeat(3000) } } }], new Date());
    await inbox.append([ev('a', 'm7', '1')], new Date());
    const shape = { maxEvents: 2, maxBytes: 2048 };
    // Three deliveries at most, from the six oldest (3 × 2) due: account 1 fills up at two events.
    expect(claimed(await outbox.claim('x', 1000, 5000, 3, shape))).toEqual([
      [1, [1, 3]],
      [2, [2, 5]],
      [4, [4]],
    ]);
    // The large event travels alone, over the byte bound rather than never; account 1's next goes on.
    expect(claimed(await outbox.claim('x', 1000, 5000, 3, shape))).toEqual([
      [6, [6]],
      [7, [7]],
    ]);
    const listed = await outbox.list({ limit: 10 });
    expect(listed.map((f) => [f.eventId, f.deliveryId])).toEqual([
      ['7', '7'],
      ['6', '6'],
      ['5', '2'],
      ['4', '4'],
      ['3', '1'],
      ['2', '2'],
      ['1', '1'],
    ]);
  });

  it('sends a delivery whole on every attempt and replay, with one state and one attempt log for its events', async () => {
    const { inbox, outbox, rows } = await store([dest('x')]);
    const at = new Date('2026-12-01T00:00:00Z');
    await inbox.append([ev('a', 'm1'), ev('a', 'm2'), ev('a', 'm3')], at);
    const shape = { maxEvents: 10, maxBytes: 1 << 20 };
    const [first] = await outbox.claim('x', 1000, 5000, 5, shape);
    expect(first!.events.map((e) => e.eventId)).toEqual([1, 2, 3]);
    // Events stored meanwhile do not join a delivery already made: its retry sends what it sent.
    await inbox.append([ev('a', 'm4'), ev('a', 'm5')], at);
    await outbox.record([{ delivery: 1, destination: 'x', at: 1500, status: 503, latencyMs: 3, error: '503: busy', state: 'retrying', nextAt: 2000, lease: first!.lease }]);
    const retry = await outbox.claim('x', 2000, 9000, 1, shape);
    expect(claimed(retry)).toEqual([[1, [1, 2, 3]]]);
    expect(retry[0]!.attempts).toBe(1);
    expect(retry[0]!.events.map((e) => e.eventJson)).toEqual(first!.events.map((e) => e.eventJson));
    expect(claimed(await outbox.claim('x', 2000, 9000, 5, shape))).toEqual([[4, [4, 5]]]);
    await outbox.record([{ delivery: 1, destination: 'x', at: 2500, status: 401, latencyMs: 3, error: 'refused with 401: no', state: 'dead', nextAt: 0, lease: retry[0]!.lease }]);
    const dead = await outbox.list({ limit: 10, state: 'dead' });
    expect(dead.map((f) => [f.eventId, f.deliveryId, f.attempts, f.lastStatus])).toEqual([
      ['3', '1', 2, 401],
      ['2', '1', 2, 401],
      ['1', '1', 2, 401],
    ]);
    // Each event shows its delivery's attempts, logged once per attempt, not once per event.
    expect(dead.map((f) => f.recentAttempts.map((a) => a.status))).toEqual([[401, 503], [401, 503], [401, 503]]);
    expect((await rows()).attempts).toBe(2);
    // Replaying one event replays its delivery: the same three events again.
    expect(await outbox.replayEvent(2)).toBe(3);
    expect(claimed(await outbox.claim('x', 8000, 30_000, 5, shape))).toEqual([[1, [1, 2, 3]]]);
  });

  it('replays the dead deliveries of a window whole, and counts their forwards', async () => {
    const { inbox, outbox } = await store([dest('x')]);
    const early = new Date('2026-12-01T00:00:00Z');
    const late = new Date('2026-12-01T01:00:00Z');
    await inbox.append([ev('a', 'm1')], early);
    await inbox.append([ev('a', 'm2')], late);
    const [only] = await outbox.claim('x', 1000, 5000, 5, { maxEvents: 10, maxBytes: 1 << 20 });
    expect(only!.events.map((e) => e.eventId)).toEqual([1, 2]);
    await outbox.record([{ delivery: 1, destination: 'x', at: 1500, status: 400, latencyMs: 3, error: 'no', state: 'dead', nextAt: 0, lease: only!.lease }]);
    // Only event 2 is in the window; its delivery holds event 1 as well.
    expect(await outbox.replayDead({ destination: 'x', since: late }, 7000)).toBe(2);
    expect((await outbox.list({ limit: 10 })).map((f) => [f.eventId, f.state, f.createdAt])).toEqual([
      ['2', 'pending', new Date(7000).toISOString()],
      ['1', 'pending', new Date(7000).toISOString()],
    ]);
  });
});

describe('SQLite outbox in its thread', () => {
  it('keeps its pause switch right through a read sent before a change, and refuses calls once closed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-outbox-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    open.push(inbox);
    const outbox = new ThreadedOutbox({ file, destinations: [dest('x')] });
    const read = outbox.paused('x'); // sent before the change, answered before it too
    expect(await outbox.setPaused('x', true)).toBe(true);
    expect(await read).toBe(false);
    expect(await outbox.paused('x')).toBe(true);
    // Another connection sees the switch: it is stored, not only remembered.
    const other = new SqliteOutbox(file, [dest('x')]);
    expect(await other.paused('x')).toBe(true);
    await other.close();
    expect(await outbox.setPaused('nope', true)).toBe(false);
    expect(await outbox.paused('nope')).toBe(false);
    await outbox.close();
    await expect(outbox.paused('y')).rejects.toThrow(/closed/);
  });

  it('fails the start at once on a store it cannot open, as the embedded outbox does', () => {
    expect(() => new ThreadedOutbox({ file: join(tmpdir(), 'ipk-none', 'deeper', 'inbox.sqlite'), destinations: [dest('x')] })).toThrow();
  });
});

describe('SQLite relay start', () => {
  it('starts nothing without destinations, and tells a store that once had some that it has none', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-outbox-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const outbox = new SqliteOutbox(file, [dest('x')]);
    open.push(inbox, outbox);
    await outbox.close();
    open.splice(open.indexOf(outbox), 1);
    expect(startRelay({ destinations: [], store: sqliteRelayStore(file), logger: silent })).toBeUndefined();
    await inbox.append([ev('a', 'm1')], new Date());
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM relay_forwards').get()).toEqual({ n: 0 });
    db.close();
    expect(startRelay({ destinations: [], store: sqliteRelayStore(join(tmpdir(), 'ipk-none', 'inbox.sqlite')), logger: silent })).toBeUndefined();
  });

  it('says at start which destinations not configured here hold open forwards, how many, and what ends them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-outbox-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    open.push(inbox);
    await new SqliteOutbox(file, [dest('x'), dest('y')]).close();
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], new Date());
    const { logger, lines } = captured();
    const relay = startRelay({ destinations: [dest('y')], store: sqliteRelayStore(file), logger, forwarder: { pollMs: 60_000 } })!;
    open.push({ close: () => relay.stop() });
    // The forwarder may log y's own failures (it points nowhere) beside it: the held line is said once.
    const held = () => lines.filter((l) => 'held' in l);
    await waitUntil(() => held().length > 0);
    expect(held()).toEqual([expect.objectContaining({ level: 40, held: { x: 2 }, msg: expect.stringMatching(/not configured here: x \(2\)\. They are kept, not sent.*ig-push relay discard/) })]);
    // Without any destination the relay API is not served: the line says how to reach the command.
    await relay.stop();
    const none = captured();
    expect(startRelay({ destinations: [], store: sqliteRelayStore(file), logger: none.logger })).toBeUndefined();
    await waitUntil(() => none.lines.length > 0);
    expect(none.lines[0]).toMatchObject({ held: { x: 2, y: 2 }, msg: expect.stringMatching(/x \(2\), y \(2\).*at least one destination configured/) });
  });
});

describe('PostgreSQL outbox shared by instances', () => {
  const postgres = async (destinations: Destination[], instances: number) => {
    const connectionString = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString });
    open.push(inbox);
    const outboxes = Array.from({ length: instances }, () => {
      const o = new PostgresOutbox({ connectionString, destinations, ensureSchema: () => inbox.ensureSchema() });
      open.push(o);
      return o;
    });
    await Promise.all(outboxes.map((o) => o.open()));
    return { inbox, outboxes };
  };

  it('hands each forward to one instance only when three claim at once (FOR UPDATE SKIP LOCKED)', async () => {
    const { inbox, outboxes } = await postgres([dest('x')], 3);
    await inbox.append(Array.from({ length: 300 }, (_, i) => ev('a', `m${i}`)), new Date());
    const taken: number[][] = outboxes.map(() => []);
    await Promise.all(
      outboxes.map(async (o, n) => {
        // Bounded: 300 forwards take 43 claims of 7 among all three, unless forwards are handed out twice.
        for (let round = 0; round < 50; round++) {
          const claimed = await o.claim('x', 1000, 60_000, 7, ONE);
          if (claimed.length === 0) return;
          taken[n]!.push(...claimed.map((c) => c.id));
        }
      }),
    );
    const all = taken.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // Each instance got a share: none waited for another's lock to clear.
    expect(taken.filter((t) => t.length > 0).length).toBeGreaterThan(1);
  });

  it('records an outcome only for the lease holder: an instance that outlived its lease cannot overwrite the next', async () => {
    const { inbox, outboxes } = await postgres([dest('x')], 2);
    const [a, b] = outboxes as [PostgresOutbox, PostgresOutbox];
    await inbox.append([ev('a', 'm1')], new Date());
    const [stale] = await a.claim('x', 1000, 5000, 1, ONE);
    const [fresh] = await b.claim('x', 5000, 9000, 1, ONE); // a's lease ran out: b takes the event over
    expect(fresh!.lease).not.toBe(stale!.lease);
    await a.record([{ delivery: 1, destination: 'x', at: 6000, status: null, latencyMs: 10, error: 'timed out', state: 'dead', nextAt: 0, lease: stale!.lease }]);
    const [held] = await b.list({ limit: 1 });
    expect(held).toMatchObject({ state: 'pending', attempts: 2, nextAttemptAt: new Date(9000).toISOString() });
    expect(held!.recentAttempts.map((x) => x.error)).toEqual(['timed out']); // logged all the same
    await b.record([{ delivery: 1, destination: 'x', at: 6100, status: 200, latencyMs: 3, error: null, state: 'delivered', nextAt: 0, lease: fresh!.lease }]);
    expect((await a.list({ limit: 1 }))[0]).toMatchObject({ state: 'delivered', lastStatus: 200 });
  });

  /** An outbox on the store, as one more instance with these destinations, its log kept. */
  const instance = (connectionString: string, inbox: PostgresInbox, destinations: Destination[], heartbeatMs = 60_000) => {
    const log: { level: 'warn' | 'info'; msg: string; obj: object }[] = [];
    const logger = { warn: (obj: object, msg: string) => log.push({ level: 'warn', msg, obj }), info: (obj: object, msg: string) => log.push({ level: 'info', msg, obj }) };
    const o = new PostgresOutbox({ connectionString, destinations, ensureSchema: () => inbox.ensureSchema(), logger: logger as never, heartbeatMs, instanceTtlMs: 10_000 });
    open.push(o);
    return { outbox: o, log };
  };
  const at = (id: string, url: string) => ({ ...dest(id), url });

  it('keeps a destination while any live instance configures it, and holds its forwards once the last one is gone', async () => {
    const connectionString = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString });
    open.push(inbox);
    const a = instance(connectionString, inbox, [dest('x'), dest('y')]).outbox;
    await a.open();
    // A rolling deploy: b starts without x while a still forwards it.
    const b = instance(connectionString, inbox, [dest('y')]).outbox;
    await b.open();
    await inbox.append([ev('a', 'm1')], new Date());
    expect((await b.status()).map((d) => [d.id, d.configured])).toEqual([['x', true], ['y', true]]);
    expect((await b.list({ limit: 10 })).map((f) => [f.destination, f.held])).toEqual([['x', false], ['y', false]]);
    expect(await b.discard('x')).toEqual({ configured: true });
    // a stops: x is configured nowhere, its forward held, and b may end it.
    await a.close();
    expect(await b.discard('x')).toEqual({ configured: false, discarded: 1 });
    // An instance that died without stopping ages out: its registration no longer keeps x configured.
    const c = instance(connectionString, inbox, [dest('x'), dest('y')], 60_000).outbox;
    await c.open();
    await inbox.append([ev('a', 'm2')], new Date());
    const db = new pg.Client({ connectionString });
    await db.connect();
    try {
      await db.query('UPDATE relay_instances SET seen_at = 0 WHERE id = $1', [c.instance]);
    } finally {
      await db.end();
    }
    expect(await b.discard('x')).toEqual({ configured: false, discarded: 1 });
  });

  it('says at start which destinations configured nowhere hold open forwards, as on SQLite', async () => {
    const connectionString = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString });
    open.push(inbox);
    const before = instance(connectionString, inbox, [dest('x'), dest('y')]).outbox;
    await before.open();
    await inbox.append([ev('a', 'm1')], new Date());
    await before.close();
    const { logger, lines } = captured();
    const relay = startRelay({ destinations: [dest('y')], store: postgresRelayStore({ connectionString, ensureSchema: () => inbox.ensureSchema() }), logger, forwarder: { pollMs: 60_000 } })!;
    open.push({ close: () => relay.stop() });
    // The forwarder may log y's own failures (it points nowhere) beside it: the held line is said once.
    const held = () => lines.filter((l) => 'held' in l);
    await waitUntil(() => held().length > 0);
    expect(held()).toEqual([expect.objectContaining({ level: 40, held: { x: 1 }, msg: expect.stringMatching(/not configured here: x \(1\)\..*ig-push relay discard/) })]);
  });

  it('logs configuration drift between live instances once per change, naming IDs and never a URL', async () => {
    const connectionString = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString });
    open.push(inbox);
    const a = instance(connectionString, inbox, [at('x', 'https://one.example/hook'), dest('y')], 30);
    await a.outbox.open();
    expect(a.log).toEqual([]); // alone: nothing to differ from
    const b = instance(connectionString, inbox, [at('x', 'https://two.example/hook?token=s3cret'), dest('y'), dest('z')], 30);
    await b.outbox.open();
    await sleep(300); // ten heartbeats each: still one line per change
    const warned = (log: typeof a.log) => log.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warned(b.log)).toEqual([expect.stringMatching(/CONFIGURATION DRIFT.*has destinations other instances lack: z \(.+\).*another URL on other instances: x \(/)]);
    expect(warned(a.log)).toEqual([expect.stringMatching(/CONFIGURATION DRIFT.*lacks destinations other instances forward: z \(.+\).*another URL on other instances: x \(/)]);
    expect(JSON.stringify(b.log)).not.toMatch(/s3cret|two\.example|one\.example/);
    expect(a.log[0]!.obj).toMatchObject({ drift: { lacking: [{ id: 'z', instances: [b.outbox.instance] }], extra: [], urlDiffers: [{ id: 'x', instances: [b.outbox.instance] }] } });
    // b stops: a agrees with everyone left, says so once, and keeps forwarding what it has.
    await b.outbox.close();
    await waitUntil(() => a.log.some((l) => l.level === 'info'));
    await sleep(100);
    expect(a.log.map((l) => l.level)).toEqual(['warn', 'info']);
    expect((await a.outbox.status()).map((d) => [d.id, d.configured])).toEqual([['x', true], ['y', true]]);
  });

  it('has its tables and trigger from the inbox migrations, and waits for its destinations before an append', async () => {
    const connectionString = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString });
    open.push(inbox);
    // No destinations: events stored make no forwards, and nothing starts.
    expect(startRelay({ destinations: [], store: postgresRelayStore({ connectionString, ensureSchema: () => inbox.ensureSchema() }), logger: silent })).toBeUndefined();
    await inbox.append([ev('a', 'before')], new Date());
    const relay = startRelay({ destinations: [dest('x')], store: postgresRelayStore({ connectionString, ensureSchema: () => inbox.ensureSchema() }), logger: silent, forwarder: { pollMs: 60_000 } })!;
    open.push({ close: () => relay.stop() });
    await relay.outbox.setPaused('x', true);
    const wrapped = relay.wrap(inbox);
    expect(await wrapped.append([ev('a', 'after'), ev('b', 'other')], new Date())).toEqual({ stored: 2, duplicates: 0 });
    expect((await relay.outbox.list({ limit: 10 })).map((f) => [f.eventId, f.destination, f.state])).toEqual([['2', 'x', 'pending']]);
    expect(await wrapped.ready()).toBe(true);
  });

  it('refuses appends while its database is unreachable, instead of storing events without their forwards', async () => {
    const inbox = new PostgresInbox({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectTimeoutMs: 200 });
    open.push(inbox);
    const relay = startRelay({ destinations: [dest('x')], store: postgresRelayStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none', ensureSchema: () => inbox.ensureSchema() }), logger: silent, forwarder: { pollMs: 60_000 } })!;
    open.push({ close: () => relay.stop() });
    const wrapped = relay.wrap(inbox);
    await expect(wrapped.append([ev('a', 'm1')], new Date())).rejects.toThrow(/relay could not reach its database/);
    expect(await wrapped.ready()).toBe(false);
  });
});

describe.each(stores)('$name outbox, listing and replay', ({ store }) => {
  it('lists the five newest attempts of a forward, newest first', async () => {
    const { inbox, outbox } = await store([dest('x')]);
    await inbox.append([ev('a', 'm1')], new Date());
    for (let i = 1; i <= 6; i++) await settle(outbox, 'x', () => ({ at: i * 1000, status: 500, latencyMs: i, error: `try ${i}`, state: 'retrying', nextAt: 0 }));
    const [row] = await outbox.list({ limit: 1 });
    expect(row!.recentAttempts.map((a) => a.error)).toEqual(['try 6', 'try 5', 'try 4', 'try 3', 'try 2']);
    expect(row).toMatchObject({ state: 'retrying', nextAttemptAt: new Date(0).toISOString(), lastError: 'try 6', lastStatus: 500, attempts: 6, deliveryId: '1' });
  });

  it('counts each destination own forwards, and dates only the open ones', async () => {
    const { inbox, outbox } = await store([dest('x'), dest('y')]);
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], new Date('2026-12-01T00:00:00Z'));
    await settle(outbox, 'x', (id) => ({ at: 1, status: id === 1 ? 200 : 401, latencyMs: 1, error: id === 1 ? null : 'no', state: id === 1 ? 'delivered' : 'dead', nextAt: 0 }));
    expect(await outbox.status()).toEqual([
      { id: 'x', channel: 'a', configured: true, paused: false, counts: { pending: 0, retrying: 0, delivered: 1, dead: 1 }, oldestPendingAt: null },
      { id: 'y', channel: 'a', configured: true, paused: false, counts: { pending: 2, retrying: 0, delivered: 0, dead: 0 }, oldestPendingAt: '2026-12-01T00:00:00.000Z' },
    ]);
    expect((await outbox.list({ limit: 10, state: 'delivered' })).map((f) => [f.destination, f.nextAttemptAt])).toEqual([['x', null]]);
  });

  it('replays with a fresh maximum age: one event from now, the dead of a window from the time given', async () => {
    const { inbox, outbox } = await store([dest('x'), dest('y')]);
    const stored = new Date('2026-12-01T00:00:00Z');
    await inbox.append([ev('a', 'm1'), ev('a', 'm2')], stored);
    const dead = () => ({ at: 1, status: 401, latencyMs: 1, error: 'no', state: 'dead' as const, nextAt: 0 });
    await settle(outbox, 'x', dead);
    await settle(outbox, 'y', (id) => (id === 1 ? dead() : { ...dead(), status: 200, error: null, state: 'delivered' }));
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
