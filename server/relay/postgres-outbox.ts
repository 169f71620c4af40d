// The relay's outbox in the shared PostgreSQL store, for several instances forwarding together. Its
// tables and the trigger that writes a forward with each stored event are the inbox's migration 5
// (relay/postgres-relay-schema.ts, applied with the inbox's migrations), so they exist before any instance stores an event.
//
// Sharing the work: a claim takes due rows with FOR UPDATE SKIP LOCKED (two instances claiming at the
// same moment take different rows, neither waits) and leases them by moving next_at past the attempt's
// timeout, stamped with a token of its own. In normal operation no row is claimed twice: the lease
// outlives the attempt, which cannot outlast its timeout, so no heartbeat is needed. After a crash the
// lease runs out and another instance sends the event again. An outcome is recorded only by the lease's
// holder, so a worker that outlived its lease cannot overwrite the next holder's outcome. Leases are
// read against each instance's clock: instances on several hosts need synchronised clocks (NTP).
//
// Its own small pool, apart from the inbox's write and read pools, so forwarding never takes a
// connection a push is waiting for.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../inbox/inbox.js';
import { inTransaction } from '../inbox/pg-transaction.js';
import { RetriedSetup } from '../store/retried-setup.js';
import { OPEN_STATES } from './open-states.js';
import { countsOf, forwardView, heldDestinations, iso, RECENT_ATTEMPTS, type StoredAttempt, type StoredForward } from './forward-view.js';
import { dueRowsFor, pickDeliveries, type DeliveryShape } from './batching.js';
import type { Destination } from './destinations.js';
import { compareDestinations, describeDrift, type Peer } from './drift.js';
import { deregister, pruneGone, register, registered } from './instance-registry.js';
import { DISCARDED, type AttemptRecord, type ClaimedDelivery, type DestinationStatus, type DiscardResult, type ForwardQuery, type ForwardState, type ForwardView, type Outbox, type ReplayQuery } from './outbox.js';

/** A forward's delivery: itself alone until its first claim groups it. */
const DELIVERY = 'COALESCE(delivery, event_id)';

export interface PostgresOutboxOptions {
  connectionString: string;
  destinations: Destination[];
  /** Runs the inbox's migrations (the outbox's tables are one of them). */
  ensureSchema: () => Promise<void>;
  /** Connections (default 3): one lane's claim, the outcomes being recorded, and the API's reads. */
  poolSize?: number;
  onIdleError?: (err: Error) => void;
  /** Where configuration drift between instances is reported (warn), and its end (info). */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** How often this instance says it is alive and compares destinations with the others (default 15 s). */
  heartbeatMs?: number;
  /** An instance not heard from for this long is gone (default 45 s: three heartbeats). */
  instanceTtlMs?: number;
}

const HEARTBEAT_MS = 15_000;

type ForwardRow = StoredForward & { recent: StoredAttempt[] };

export class PostgresOutbox implements Outbox {
  private readonly pool: pg.Pool;
  private readonly opening = new RetriedSetup(() => this.sync(), (err) => new StoreUnavailableError('the relay could not reach its database', { cause: err }));
  /** This process's name among the instances sharing the store: host, pid and a random tail. */
  readonly instance = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private heartbeat: NodeJS.Timeout | undefined;
  /** The drift last reported (JSON), so each change is logged once. */
  private lastDrift = 'null';
  private heartbeatFailing = false;
  /** The heartbeat in flight: a stop waits for it, so it cannot register the instance again after it left. */
  private beating: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: PostgresOutboxOptions) {
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 3, connectionTimeoutMillis: 2000, query_timeout: 10_000, application_name: 'instagram-push-kit-relay' });
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  /**
   * The schema, and the table of destinations made the configured ones, once; tried again on the next
   * call while the database is unreachable. Every append waits for it (start-relay.ts), so no event is
   * stored before its destinations are known.
   */
  open(): Promise<void> {
    return this.opening.run();
  }

  /**
   * Registers this instance and its destinations (instance-registry.ts): the table of destinations
   * becomes the union of the live instances' ones. A destination configured nowhere any more keeps its
   * open forwards, held until it is configured again or an operator discards them; drift between the
   * instances is logged. Then the heartbeat that keeps the registration alive starts.
   */
  private async sync(): Promise<void> {
    await this.options.ensureSchema();
    const peers = await inTransaction(this.pool, (client) => register(client, this.registration(true)));
    this.reportDrift(peers);
    if (!this.heartbeat && !this.closing) {
      this.heartbeat = setInterval(() => {
        if (!this.closing) this.beating ??= this.beat().finally(() => (this.beating = undefined));
      }, this.options.heartbeatMs ?? HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  private registration(atStart: boolean) {
    return { instance: this.instance, destinations: this.options.destinations, ttlMs: this.ttlMs(), atStart };
  }

  private ttlMs(): number {
    return this.options.instanceTtlMs ?? 3 * (this.options.heartbeatMs ?? HEARTBEAT_MS);
  }

  /** One heartbeat: alive again, destinations put back if another instance dropped them, drift compared. */
  private async beat(): Promise<void> {
    try {
      const peers = await inTransaction(this.pool, (client) => register(client, this.registration(false)));
      this.heartbeatFailing = false;
      this.reportDrift(peers);
    } catch (err) {
      if (this.closing || this.heartbeatFailing) return;
      this.heartbeatFailing = true;
      this.options.logger?.warn({ err: String(err), instance: this.instance }, 'relay: could not renew this instance\'s registration in the database; other instances may take it for gone and drop destinations only it configures until it is back');
    }
  }

  /** Logs drift with the other live instances once per change, and once when it ends. */
  private reportDrift(peers: Peer[]): void {
    const drift = compareDestinations(registered(this.options.destinations), peers);
    const key = JSON.stringify(drift);
    if (key === this.lastDrift) return;
    this.lastDrift = key;
    if (drift) this.options.logger?.warn({ instance: this.instance, drift }, describeDrift(drift));
    else this.options.logger?.info({ instance: this.instance }, 'relay: the instances sharing this database now configure the same destinations');
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[], name?: string): Promise<R[]> {
    await this.open();
    return (await this.pool.query<R>({ text, values, name })).rows;
  }

  /**
   * One transaction: lock the due forwards that start a delivery (never claimed, or a delivery's first),
   * skipping those another instance holds; group the new ones (batching.ts); lease every forward of
   * the deliveries picked. A delivery's other forwards are only ever written by its first's holder.
   */
  async claim(destination: string, now: number, leaseUntil: number, limit: number, shape: DeliveryShape): Promise<ClaimedDelivery[]> {
    await this.open();
    const lease = randomUUID();
    const rows = await inTransaction(this.pool, async (client) => {
      const due = await client.query<{ event_id: string; delivery: string | null; entry_id: string | null; bytes: number }>({
        name: 'ipk_relay_due',
        text: `SELECT f.event_id, f.delivery, e.entry_id, octet_length(e.event::text) AS bytes
                 FROM relay_forwards f JOIN inbox_events e ON e.id = f.event_id
                WHERE f.destination = $1 AND f.${OPEN_STATES} AND f.next_at <= $2 AND (f.delivery IS NULL OR f.delivery = f.event_id)
                ORDER BY f.event_id LIMIT $3 FOR UPDATE OF f SKIP LOCKED`,
        values: [destination, now, dueRowsFor(limit, shape)],
      });
      const picked = pickDeliveries(
        due.rows.map((r) => ({ eventId: Number(r.event_id), delivery: r.delivery === null ? null : Number(r.delivery), entryId: r.entry_id, bytes: r.bytes })),
        limit,
        shape,
      );
      if (picked.length === 0) return [];
      const members = picked.flatMap((p) => p.newMembers.map((m) => [m, p.id] as const));
      if (members.length > 0) {
        await client.query({
          name: 'ipk_relay_group',
          text: `UPDATE relay_forwards f SET delivery = g.delivery FROM unnest($2::bigint[], $3::bigint[]) AS g(event_id, delivery)
                  WHERE f.destination = $1 AND f.event_id = g.event_id`,
          values: [destination, members.map((m) => m[0]), members.map((m) => m[1])],
        });
      }
      return (
        await client.query<{ event_id: string; delivery: string; created_at: string; attempts: number; entry_id: string | null; entry_time: number | null; event: string }>({
          name: 'ipk_relay_lease',
          text: `WITH taken AS (
                   UPDATE relay_forwards f SET next_at = $3, attempts = f.attempts + 1, lease = $4
                    WHERE f.destination = $1 AND f.delivery = ANY ($2::bigint[])
                   RETURNING f.event_id, f.delivery, f.created_at, f.attempts)
                 SELECT t.event_id, t.delivery, t.created_at, t.attempts, e.entry_id, e.entry_time, e.event::text AS event
                   FROM taken t JOIN inbox_events e ON e.id = t.event_id ORDER BY t.delivery, t.event_id`,
          values: [destination, picked.map((p) => p.id), leaseUntil, lease],
        })
      ).rows;
    });
    const deliveries = new Map<number, ClaimedDelivery>();
    for (const r of rows) {
      const id = Number(r.delivery);
      const createdAt = Number(r.created_at);
      let d = deliveries.get(id);
      if (!d) deliveries.set(id, (d = { id, destination, createdAt, attempts: r.attempts - 1, events: [], lease }));
      d.createdAt = Math.min(d.createdAt, createdAt);
      d.events.push({ eventId: Number(r.event_id), entryId: r.entry_id, entryTime: r.entry_time, eventJson: r.event, createdAt });
    }
    return [...deliveries.values()];
  }

  async record(records: AttemptRecord[]): Promise<void> {
    if (records.length === 0) return;
    const column = <K extends keyof AttemptRecord>(key: K) => records.map((r) => r[key] ?? null);
    // One statement for the whole batch: the attempts logged (one per delivery, under its id), and the
    // outcome of each delivery's forwards where the lease is still the recorder's (a forward replayed
    // meanwhile has no lease: its replay stands).
    await this.query(
      `WITH r AS (
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[], $5::int[], $6::text[], $7::text[], $8::bigint[], $9::text[])
           AS r(destination, delivery, at, status, latency_ms, error, state, next_at, lease)),
       logged AS (
         INSERT INTO relay_attempts (destination, event_id, at, status, latency_ms, error)
           SELECT destination, delivery, at, status, latency_ms, error FROM r)
       UPDATE relay_forwards f SET state = r.state, next_at = r.next_at, last_status = r.status, last_error = r.error, lease = NULL
         FROM r WHERE f.destination = r.destination AND f.delivery = r.delivery AND f.lease IS NOT DISTINCT FROM r.lease`,
      [column('destination'), column('delivery'), column('at'), column('status'), column('latencyMs'), column('error'), column('state'), column('nextAt'), column('lease')],
      'ipk_relay_record',
    );
  }

  async paused(destination: string): Promise<boolean> {
    const rows = await this.query<{ paused: boolean }>('SELECT paused FROM relay_destinations WHERE id = $1', [destination], 'ipk_relay_paused');
    return rows[0]?.paused === true;
  }

  async setPaused(destination: string, paused: boolean): Promise<boolean> {
    return (await this.query<{ id: string }>('UPDATE relay_destinations SET paused = $1 WHERE id = $2 RETURNING id', [paused, destination])).length === 1;
  }

  async replayEvent(eventId: number, destination?: string): Promise<number> {
    return this.replay(`SELECT destination, ${DELIVERY} FROM relay_forwards WHERE event_id = $2 AND ($3::text IS NULL OR destination = $3)`, [Date.now(), eventId, destination ?? null]);
  }

  async replayDead(query: ReplayQuery, now: number): Promise<number> {
    return this.replay(
      `SELECT f.destination, ${DELIVERY} FROM relay_forwards f JOIN inbox_events e ON e.id = f.event_id
        WHERE f.destination = $2 AND f.state = 'dead'
          AND ($3::timestamptz IS NULL OR e.received_at >= $3) AND ($4::timestamptz IS NULL OR e.received_at < $4)`,
      [now, query.destination, query.since ?? null, query.until ?? null],
    );
  }

  /** Makes due now, with a fresh maximum age ($1), every forward of the deliveries the query names. */
  private async replay(deliveries: string, values: unknown[]): Promise<number> {
    const rows = await this.query<{ event_id: string }>(
      `UPDATE relay_forwards SET state = 'pending', next_at = 0, created_at = $1, lease = NULL
        WHERE (destination, ${DELIVERY}) IN (${deliveries}) RETURNING event_id`,
      values,
    );
    return rows.length;
  }

  /** Under the registry's lock, after dropping the instances gone: a destination only a dead instance configured is held. */
  async discard(destination: string): Promise<DiscardResult> {
    await this.open();
    return inTransaction(this.pool, async (client): Promise<DiscardResult> => {
      await pruneGone(client, this.ttlMs());
      if ((await client.query('SELECT 1 FROM relay_destinations WHERE id = $1', [destination])).rowCount) return { configured: true };
      const ended = await client.query(`UPDATE relay_forwards SET state = 'dead', next_at = 0, last_error = $2, lease = NULL WHERE destination = $1 AND ${OPEN_STATES}`, [destination, DISCARDED]);
      return { configured: false, discarded: ended.rowCount ?? 0 };
    });
  }

  async list(query: ForwardQuery): Promise<ForwardView[]> {
    const rows = await this.query<ForwardRow>(
      `SELECT f.destination, f.event_id, f.delivery, f.state, f.created_at, f.next_at, f.attempts, f.last_status, f.last_error, e.channel,
              (f.${OPEN_STATES} AND NOT EXISTS (SELECT 1 FROM relay_destinations d WHERE d.id = f.destination)) AS held,
              COALESCE(a.recent, '[]'::json) AS recent
         FROM relay_forwards f JOIN inbox_events e ON e.id = f.event_id
         LEFT JOIN LATERAL (
           SELECT json_agg(x ORDER BY x.id DESC) AS recent FROM (
             SELECT id, at, status, latency_ms, error FROM relay_attempts
              WHERE destination = f.destination AND event_id = COALESCE(f.delivery, f.event_id) ORDER BY id DESC LIMIT ${RECENT_ATTEMPTS}) x) a ON true
        WHERE ($1::text IS NULL OR f.state = $1) AND ($2::text IS NULL OR f.destination = $2)
          AND ($3::text IS NULL OR e.channel = $3) AND ($4::bigint IS NULL OR f.event_id < $4)
          AND ($6::bigint[] IS NULL OR f.event_id = ANY ($6::bigint[]))
        ORDER BY f.event_id DESC, f.destination LIMIT $5`,
      [query.state ?? null, query.destination ?? null, query.channel ?? null, query.before ?? null, query.limit, query.eventIds ?? null],
    );
    return rows.map((r) => forwardView(r, r.recent));
  }

  async status(): Promise<DestinationStatus[]> {
    const [destinations, counts] = await Promise.all([
      this.query<{ id: string; channel: string; paused: boolean; oldest: string | null }>(
        `SELECT d.id, d.channel, d.paused, (SELECT MIN(created_at) FROM relay_forwards f WHERE f.destination = d.id AND f.${OPEN_STATES} AND (f.delivery IS NULL OR f.delivery = f.event_id)) AS oldest
           FROM relay_destinations d ORDER BY d.id`,
        [],
      ),
      this.query<{ destination: string; state: ForwardState; n: string }>('SELECT destination, state, COUNT(*) AS n FROM relay_forwards GROUP BY destination, state', []),
    ]);
    const held = await Promise.all(
      heldDestinations(counts, new Set(destinations.map((d) => d.id))).map(async (id) => ({
        id,
        channel: (await this.query<{ channel: string }>('SELECT e.channel FROM relay_forwards f JOIN inbox_events e ON e.id = f.event_id WHERE f.destination = $1 LIMIT 1', [id]))[0]!.channel,
        paused: false,
        configured: false,
        oldest: (await this.query<{ oldest: string | null }>(`SELECT MIN(created_at) AS oldest FROM relay_forwards WHERE destination = $1 AND ${OPEN_STATES} AND (delivery IS NULL OR delivery = event_id)`, [id]))[0]!.oldest,
      })),
    );
    return [...destinations.map((d) => ({ ...d, configured: true })), ...held]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((d) => ({ id: d.id, channel: d.channel, configured: d.configured, paused: d.paused, counts: countsOf(counts, d.id), oldestPendingAt: d.oldest === null ? null : iso(d.oldest) }));
  }

  /** Stops the heartbeat and takes this instance's registration out, so the others see it gone at once. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      await this.beating;
      const opened = this.opening.started;
      if (opened) await opened.then(() => deregister(this.pool, this.instance)).catch(() => undefined);
      await this.pool.end();
    })());
  }
}
