// The relay's outbox in the embedded SQLite store (its tables: sqlite-relay-schema.ts). Triggers on the
// inbox's `events` table write a pending forward per enabled destination of the event's channel in the
// very transaction that commits the event, so an event acknowledged to Meta can never lose its
// forwarding, and keep RETENTION from deleting an event still pending somewhere. The forwarder's own
// writes go through this module's connection (synchronous=NORMAL: a process crash loses nothing in WAL
// mode; a power loss can at worst forget an outcome, which makes the event due again: at least once
// still holds).
import type Database from 'better-sqlite3';
import { openDatabase } from '../inbox/sqlite-schema.js';
import { OPEN_STATES } from './open-states.js';
import { DUE_FORWARDS, migrateRelaySchema } from './sqlite-relay-schema.js';
import { dueRowsFor, pickDeliveries, type DeliveryShape, type DueForward } from './batching.js';
import type { Destination } from './destinations.js';
import { countsOf, forwardView, heldDestinations, iso, RECENT_ATTEMPTS, type StoredAttempt, type StoredForward } from './forward-view.js';
import { DISCARDED, type AttemptRecord, type ClaimedDelivery, type ClaimedEvent, type DestinationStatus, type DiscardResult, type ForwardQuery, type ForwardState, type ForwardView, type Outbox, type ReplayQuery } from './outbox.js';

/** A forward's delivery: itself alone until its first claim groups it. */
const DELIVERY = 'COALESCE(delivery, event_id)';
/** What a claim writes on each forward it takes: due again only once the lease runs out, one attempt more. */
const LEASE = 'next_at = @leaseUntil, attempts = attempts + 1';

export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly statements: Record<string, Database.Statement>;

  /** Opens the store's file (already migrated by the inbox), installs the schema and syncs the destinations. */
  constructor(file: string, destinations: Destination[]) {
    this.db = openDatabase(file, 5000);
    this.db.pragma('synchronous = NORMAL');
    this.db.transaction(() => migrateRelaySchema(this.db)).immediate();
    this.sync(destinations);
    const db = this.db;
    this.statements = {
      // Only forwards never claimed and the first of each delivery: a delivery is claimed whole, by its first.
      // INDEXED BY, here and below: without statistics SQLite walks the primary key over every forward of
      // the destination, delivered ones included (measured: a third of the relay's CPU under load).
      due: db.prepare(`SELECT f.event_id AS eventId, f.delivery, e.entry_id AS entryId, length(CAST(e.event AS BLOB)) AS bytes
        FROM relay_forwards f INDEXED BY relay_forwards_due JOIN events e ON e.id = f.event_id
        WHERE f.destination = @destination AND ${DUE_FORWARDS} AND f.next_at <= @now ORDER BY f.event_id LIMIT @rows`),
      // A new delivery's forwards are grouped and leased in one write each.
      group: db.prepare(`UPDATE relay_forwards SET delivery = @delivery, ${LEASE}
        WHERE destination = @destination AND event_id IN (SELECT value FROM json_each(@members)) RETURNING event_id, created_at, attempts`),
      lease: db.prepare(`UPDATE relay_forwards INDEXED BY relay_forwards_delivery SET ${LEASE}
        WHERE destination = @destination AND delivery = @delivery RETURNING event_id, created_at, attempts`),
      events: db.prepare('SELECT id, entry_id, entry_time, event FROM events WHERE id IN (SELECT value FROM json_each(?))'),
      attempt: db.prepare('INSERT INTO relay_attempts (destination, event_id, at, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)'),
      outcome: db.prepare('UPDATE relay_forwards INDEXED BY relay_forwards_delivery SET state = ?, next_at = ?, last_status = ?, last_error = ? WHERE destination = ? AND delivery = ?'),
      paused: db.prepare('SELECT paused FROM relay_destinations WHERE id = ?'),
      setPaused: db.prepare('UPDATE relay_destinations SET paused = ? WHERE id = ?'),
      recent: db.prepare('SELECT at, status, latency_ms, error FROM relay_attempts WHERE destination = ? AND event_id = ? ORDER BY id DESC LIMIT ?'),
      counts: db.prepare('SELECT destination, state, COUNT(*) AS n FROM relay_forwards GROUP BY destination, state'),
      // A delivery's first is its oldest (its events were grouped after it), so the due index suffices.
      oldest: db.prepare(`SELECT MIN(created_at) AS at FROM relay_forwards INDEXED BY relay_forwards_due WHERE destination = ? AND ${DUE_FORWARDS}`),
      destinations: db.prepare('SELECT id, channel, paused FROM relay_destinations ORDER BY id'),
      configured: db.prepare('SELECT 1 FROM relay_destinations WHERE id = ?'),
      // A held destination's channel: its forwards' events'.
      channelOf: db.prepare('SELECT e.channel FROM relay_forwards f JOIN events e ON e.id = f.event_id WHERE f.destination = ? LIMIT 1'),
      discard: db.prepare(`UPDATE relay_forwards SET state = 'dead', next_at = 0, last_error = ? WHERE destination = ? AND ${OPEN_STATES}`),
    };
  }

  /**
   * Makes the table of destinations the configured ones, so new events get forwards only for those. A
   * removed destination's open forwards are kept as they are: held (never sent, never dead) until it is
   * configured again or an operator discards them; one wrong configuration file ends nothing.
   */
  private sync(destinations: Destination[]): void {
    const upsert = this.db.prepare(`INSERT INTO relay_destinations (id, channel, enabled) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, enabled = excluded.enabled`);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM relay_destinations WHERE id NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify(destinations.map((d) => d.id)));
      for (const d of destinations) upsert.run(d.id, d.channel, d.enabled ? 1 : 0);
    })();
  }

  /** Opened in the constructor, synchronously, before the server listens. */
  async open(): Promise<void> {}

  async claim(destination: string, now: number, leaseUntil: number, limit: number, shape: DeliveryShape): Promise<ClaimedDelivery[]> {
    return this.db.transaction(() => {
      const due = this.statements.due!.all({ destination, now, rows: dueRowsFor(limit, shape) }) as DueForward[];
      return pickDeliveries(due, limit, shape).flatMap(({ id, newMembers }) => {
        const rows = (
          newMembers.length > 0
            ? this.statements.group!.all({ delivery: id, destination, leaseUntil, members: JSON.stringify(newMembers) })
            : this.statements.lease!.all({ destination, leaseUntil, delivery: id })
        ) as { event_id: number; created_at: number; attempts: number }[];
        rows.sort((a, b) => a.event_id - b.event_id);
        const stored = new Map(
          (this.statements.events!.all(JSON.stringify(rows.map((r) => r.event_id))) as { id: number; entry_id: string | null; entry_time: number | null; event: string }[]).map((e) => [e.id, e]),
        );
        const events = rows.flatMap((r): ClaimedEvent[] => {
          const e = stored.get(r.event_id);
          // Stryker disable next-line ConditionalExpression: the relay_forget trigger deletes the forward with its event
          if (!e) return [];
          return [{ eventId: r.event_id, entryId: e.entry_id, entryTime: e.entry_time, eventJson: e.event, createdAt: r.created_at }];
        });
        // Stryker disable next-line ConditionalExpression: a delivery's first event is due only while its forward is stored
        if (events.length === 0) return [];
        return [{ id, destination, createdAt: Math.min(...rows.map((r) => r.created_at)), attempts: rows[0]!.attempts - 1, events }];
      });
      // IMMEDIATE: it reads, then writes; begun deferred, meeting the inbox's writer mid-commit it could not
      // wait for the lock (a read transaction cannot become a write one) and failed SQLITE_BUSY at once.
    }).immediate();
  }

  async record(records: AttemptRecord[]): Promise<void> {
    this.db.transaction(() => {
      for (const r of records) {
        this.statements.attempt!.run(r.destination, r.delivery, r.at, r.status, r.latencyMs, r.error);
        this.statements.outcome!.run(r.state, r.nextAt, r.status, r.error, r.destination, r.delivery);
      }
    })();
  }

  async paused(destination: string): Promise<boolean> {
    const row = this.statements.paused!.get(destination) as { paused: number } | undefined;
    return row?.paused === 1;
  }

  async setPaused(destination: string, paused: boolean): Promise<boolean> {
    return this.statements.setPaused!.run(paused ? 1 : 0, destination).changes === 1;
  }

  async replayEvent(eventId: number, destination?: string): Promise<number> {
    const which = destination === undefined ? 'event_id = ?' : 'event_id = ? AND destination = ?';
    const args = destination === undefined ? [eventId] : [eventId, destination];
    return this.replay(`SELECT destination, ${DELIVERY} FROM relay_forwards WHERE ${which}`, Date.now(), args);
  }

  async replayDead(query: ReplayQuery, now: number): Promise<number> {
    const where = ["destination = ?", "state = 'dead'"];
    const args: unknown[] = [query.destination];
    if (query.since) {
      where.push('event_id IN (SELECT id FROM events WHERE received_at >= ?)');
      args.push(query.since.toISOString());
    }
    if (query.until) {
      where.push('event_id IN (SELECT id FROM events WHERE received_at < ?)');
      args.push(query.until.toISOString());
    }
    return this.replay(`SELECT destination, ${DELIVERY} FROM relay_forwards WHERE ${where.join(' AND ')}`, now, args);
  }

  /** Makes due now, with a fresh maximum age, every forward of the deliveries the query names. */
  private replay(deliveries: string, now: number, args: unknown[]): number {
    return this.db.prepare(`UPDATE relay_forwards SET state = 'pending', next_at = 0, created_at = ? WHERE (destination, ${DELIVERY}) IN (${deliveries})`).run(now, ...args).changes;
  }

  async discard(destination: string): Promise<DiscardResult> {
    return this.db.transaction((): DiscardResult => {
      if (this.statements.configured!.get(destination) !== undefined) return { configured: true };
      return { configured: false, discarded: this.statements.discard!.run(DISCARDED, destination).changes };
    }).immediate();
  }

  async list(query: ForwardQuery): Promise<ForwardView[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const filters: [string, unknown][] = [['f.state', query.state], ['f.destination', query.destination], ['e.channel', query.channel]];
    for (const [column, value] of filters) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    if (query.before !== undefined) {
      where.push('f.event_id < ?');
      args.push(query.before);
    }
    if (query.eventIds !== undefined) {
      // SQLite reads `IN ()` as the empty set: an empty list matches none, as the interface says.
      where.push(`f.event_id IN (${query.eventIds.map(() => '?').join(', ')})`);
      args.push(...query.eventIds);
    }
    const sql = `SELECT f.*, e.channel, (f.${OPEN_STATES} AND f.destination NOT IN (SELECT id FROM relay_destinations)) AS held
      FROM relay_forwards f JOIN events e ON e.id = f.event_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY f.event_id DESC, f.destination LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, query.limit) as StoredForward[];
    return rows.map((r) => forwardView(r, this.statements.recent!.all(r.destination, r.delivery ?? r.event_id, RECENT_ATTEMPTS) as StoredAttempt[]));
  }

  async status(): Promise<DestinationStatus[]> {
    const counts = this.statements.counts!.all() as { destination: string; state: ForwardState; n: number }[];
    const oldest = (id: string) => (this.statements.oldest!.get(id) as { at: number | null }).at;
    const configured = (this.statements.destinations!.all() as { id: string; channel: string; paused: number }[]).map((d) => ({ id: d.id, channel: d.channel, configured: true, paused: d.paused === 1 }));
    const held = heldDestinations(counts, new Set(configured.map((d) => d.id))).map((id) => ({ id, channel: (this.statements.channelOf!.get(id) as { channel: string }).channel, configured: false, paused: false }));
    return [...configured, ...held]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((d) => {
        const at = oldest(d.id);
        return { ...d, counts: countsOf(counts, d.id), oldestPendingAt: at === null ? null : iso(at) };
      });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
