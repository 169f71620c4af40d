// The shared store for several server instances: PostgreSQL through a node-postgres pool.
//
// Promises, and what each rests on:
// - 200 only after COMMIT: a delivery is one autocommit INSERT; its promise resolves when PostgreSQL
//   answers, which is after the commit is flushed (synchronous_commit stays on). PostgreSQL shares WAL
//   flushes between backends committing at the same moment, so concurrent deliveries get group commit.
// - One delivery is atomic: all its events go in that one statement.
// - Stored once: a unique dedupe key and ON CONFLICT DO NOTHING, so two instances receiving the same
//   event at the same moment both succeed and one row exists.
// - Readers never skip, and never hold up a push: reads have their own pool (postgres-reads.ts).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { InboxPage } from 'instagram-push-kit';
import { classifyEvent } from '../events/classify.js';
import { TurnBatch, type BatchObserver } from './turn-batch.js';
import { StoreUnavailableError, type AppendResult, type Inbox, type ListQuery, type NewEvent } from './inbox.js';
import { keyDigest } from './key-digest.js';
import { inTransaction } from './pg-transaction.js';
import { MIGRATIONS } from './postgres-migrations.js';
import { OPEN_STATES } from '../relay/open-states.js';
import { pgText, PostgresReads } from './postgres-reads.js';
import { StoreHealth, type StoreFailure, type StoreLogger } from './store-health.js';
import { RetriedSetup } from '../store/retried-setup.js';

/** Any constant shared by all instances; names the lock that serialises migrations. */
const MIGRATION_LOCK = 0x1671_7075;

export interface PostgresInboxOptions {
  connectionString: string;
  /** Connections per instance (default 10). N instances hold up to N × poolSize connections. */
  poolSize?: number;
  /** How long a request waits for a connection before failing with 500 (default 2000 ms). */
  connectTimeoutMs?: number;
  /**
   * Batched statements in flight at once (default 2); deliveries arriving meanwhile make the next batch.
   * Measured on 2 cores shared with the database (npm run bench): 2 beat 1 by a few percent and beat
   * no limit by about 30%, where many small statements spent the database's CPU.
   */
  batchesInFlight?: number;
  /** Told about each batch written (server/metrics/). */
  observer?: BatchObserver;
  /** Read connections per instance (default 2), apart from the `poolSize` that write. */
  readPoolSize?: number;
  /** How long one read statement may run before PostgreSQL cancels it (default 5000 ms). */
  readStatementTimeoutMs?: number;
  /** Called with errors of idle connections (a database restart), which would otherwise crash the process. */
  onIdleError?: (err: Error) => void;
  /** Where store failures are logged, once per cause (store-health.ts): the SQLSTATE, never the message. */
  logger?: StoreLogger;
  /** While writes fail, readiness tries a write at most this often (default 1000 ms). */
  probeEveryMs?: number;
}

/** The events as the INSERTs' column arrays; the first holds the keys' digests (key-digest.ts). */
function columnsOf(events: NewEvent[]): [string[], ...unknown[][]] {
  const classes = events.map((e) => classifyEvent(e.event));
  return [
    events.map((e) => keyDigest(e.dedupeKey)),
    events.map((e) => pgText(e.channel)),
    events.map((e) => pgText(e.mid)),
    events.map((e) => pgText(e.entryId)),
    events.map((e) => e.entryTime),
    events.map((e) => JSON.stringify(e.event)),
    classes.map((c) => c.kind),
    classes.map((c) => c.direction),
  ];
}

interface PendingAppend {
  events: NewEvent[];
  receivedAt: Date;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export class PostgresInbox implements Inbox {
  private readonly pool: pg.Pool;
  private readonly schema = new RetriedSetup(() => this.migrate(), (err) => new StoreUnavailableError('the inbox database is unreachable', { cause: err }));
  private closed = false;
  private closing = false;
  private readonly pending: TurnBatch<PendingAppend>;
  private readonly health: StoreHealth;
  private readonly reads: PostgresReads;

  constructor(options: PostgresInboxOptions) {
    this.health = new StoreHealth('postgresql', options);
    this.pending = new TurnBatch((batch) => this.writeBatch(batch), options.batchesInFlight ?? 2, options.observer);
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      // A statement that hangs (a stalled disk, a lock) fails the request instead of holding it forever.
      query_timeout: 10_000,
      application_name: 'instagram-push-kit',
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
    this.reads = new PostgresReads({
      connectionString: options.connectionString,
      poolSize: options.readPoolSize,
      statementTimeoutMs: options.readStatementTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      ensureSchema: () => this.ensureSchema(),
      onIdleError: options.onIdleError,
    });
  }

  /**
   * Applies pending migrations once; retried on the next call if the database was unreachable. Public
   * for the relay's outbox, whose tables are migration 5 and must exist before it reads them.
   */
  ensureSchema(): Promise<void> {
    return this.schema.run();
  }

  private async migrate(): Promise<void> {
    await this.inTransaction(async (client) => {
      // Instances starting together wait here one at a time; the lock ends with the transaction.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS inbox_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM inbox_migrations');
      for (let v = rows[0]!.v; v < MIGRATIONS.length; v++) {
        const migration = MIGRATIONS[v]!;
        if (typeof migration === 'string') await client.query(migration);
        else await migration(client);
        await client.query('INSERT INTO inbox_migrations (version) VALUES ($1)', [v + 1]);
      }
    });
  }

  private inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    return inTransaction(this.pool, work);
  }


  /** `name` makes it a prepared statement: each connection parses and plans it once, not on every call. */
  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError('the inbox is closed');
    await this.ensureSchema();
    try {
      return await this.pool.query<R>({ text, values, name });
    } catch (err) {
      throw new StoreUnavailableError('the inbox database failed', { cause: err });
    }
  }

  append(events: NewEvent[], receivedAt: Date): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new StoreUnavailableError('the inbox is closed'));
    if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
    return this.health.track(
      new Promise((resolve, reject) => {
        this.pending.add({ events, receivedAt, resolve, reject });
      }),
      () => events.reduce((n, e) => n + JSON.stringify(e.event).length, 0),
    );
  }

  /**
   * Deliveries appended in the same event-loop turn, or while `batchesInFlight` statements are being
   * written, go in one statement (one round trip, one commit); each is still answered with its own
   * outcome. If that statement fails, each delivery is retried alone, so one bad delivery cannot fail
   * the others.
   */
  private writeBatch(batch: PendingAppend[]): Promise<unknown> {
    const alone = (p: PendingAppend) => this.appendAlone(p.events, p.receivedAt).then(p.resolve, p.reject);
    const write =
      batch.length === 1
        ? alone(batch[0]!)
        : this.appendBatch(batch).then(
            (outcomes) => batch.forEach((p, i) => p.resolve(outcomes[i]!)),
            // One at a time, in arrival order: an event two deliveries carry is credited to the first,
            // as in the batched statement (concurrent retries would race for it).
            async () => {
              for (const p of batch) await alone(p);
            },
          );
    return write;
  }

  /** One delivery in one statement, so it is all-or-nothing without an explicit transaction. */
  private async appendAlone(events: NewEvent[], receivedAt: Date): Promise<AppendResult> {
    let columns: unknown[][];
    try {
      columns = columnsOf(events);
    } catch (err) {
      throw new StoreUnavailableError('the delivery could not be written', { cause: err });
    }
    const r = await this.query(
      `INSERT INTO inbox_events (dedupe_key, channel, mid, entry_id, entry_time, event, kind, direction, received_at)
       SELECT k, c, m, ei, et, ev, ki, di, $9
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::json[], $7::text[], $8::text[]) AS t(k, c, m, ei, et, ev, ki, di)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [...columns, receivedAt],
      'ipk_append',
    );
    const stored = r.rowCount ?? 0;
    return { stored, duplicates: events.length - stored };
  }

  /**
   * Several deliveries in one statement. It commits all of them or none; RETURNING names the keys it
   * stored, and each key is credited to the first delivery of the batch that carries it (a later one
   * carrying the same event counts it as a duplicate, as it would had it arrived a moment later).
   */
  private async appendBatch(batch: PendingAppend[]): Promise<AppendResult[]> {
    const events = batch.flatMap((p) => p.events);
    const columns = columnsOf(events);
    const receivedAt = batch.flatMap((p) => p.events.map(() => p.receivedAt));
    const owner = new Map<string, number>();
    const deliveryOf = batch.flatMap((p, i) => p.events.map(() => i));
    columns[0].forEach((key, n) => {
      if (!owner.has(key)) owner.set(key, deliveryOf[n]!);
    });
    const r = await this.query<{ dedupe_key: string }>(
      `INSERT INTO inbox_events (dedupe_key, channel, mid, entry_id, entry_time, event, kind, direction, received_at)
       SELECT k, c, m, ei, et, ev, ki, di, ra
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::json[], $7::text[], $8::text[], $9::timestamptz[]) AS t(k, c, m, ei, et, ev, ki, di, ra)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING dedupe_key`,
      [...columns, receivedAt],
      'ipk_append_batch',
    );
    const stored = batch.map(() => 0);
    for (const row of r.rows) stored[owner.get(row.dedupe_key)!]!++;
    return batch.map((p, i) => ({ stored: stored[i]!, duplicates: p.events.length - stored[i]! }));
  }

  list(query: ListQuery): Promise<InboxPage> {
    return this.reads.list(query);
  }

  tail(limit: number, maxBytes?: number): Promise<InboxPage> {
    return this.reads.tail(limit, maxBytes);
  }

  /** Why writes fail now, in words and since when (store-health.ts); undefined while they succeed. */
  failure(): StoreFailure | undefined {
    return this.health.failure;
  }

  /** Reachable, and writes succeed: false from a failed write until one succeeds (a delivery's, or readiness' probe). */
  async ready(): Promise<boolean> {
    // Closing is not a failure of the store: nothing to record or log.
    if (this.closing) return false;
    try {
      await this.query('SELECT 1', []);
    } catch (err) {
      // Unreachable (or refused: a password, a database that does not exist) is a failure of its own,
      // named in /readyz and at start, and over once a write succeeds.
      this.health.failed(err);
      return false;
    }
    return this.health.ready((bytes) => this.probeWrite(bytes));
  }

  /**
   * Readiness' probe while writes fail: a row inserted and deleted in one committed transaction, which
   * meets what a delivery meets (a read-only standby after a failover, a full disk, triggers) and
   * which no reader sees.
   */
  private async probeWrite(bytes: number): Promise<void> {
    // Padded to the size of the last write that failed for want of space (store-health.ts).
    const event = bytes > 0 ? JSON.stringify({ padding: 'x'.repeat(bytes) }) : '{}';
    await this.inTransaction(async (client) => {
      const r = await client.query<{ id: string }>(
        `INSERT INTO inbox_events (dedupe_key, channel, event, received_at) VALUES ($1, '', $2, now()) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        [keyDigest(`readiness-probe-${randomUUID()}`), event],
      );
      for (const row of r.rows) await client.query('DELETE FROM inbox_events WHERE id = $1', [row.id]);
    });
  }


  async prune(before: Date, max = 10_000): Promise<number> {
    const r = await this.query(
      // Events still to be forwarded are passed over here (the relay's trigger would skip them anyway), so
      // a backlog of them at the head cannot stall retention of the settled events behind it.
      `DELETE FROM inbox_events WHERE id IN (SELECT id FROM inbox_events e WHERE received_at < $1
         AND NOT EXISTS (SELECT 1 FROM relay_forwards f WHERE f.event_id = e.id AND f.${OPEN_STATES}) ORDER BY id LIMIT $2)`,
      [before, max],
    );
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    // Deliveries already appended are written (and answered) before the pool ends; later ones are refused.
    this.closing = true;
    await this.pending.drain();
    this.closed = true;
    await Promise.all([this.pool.end(), this.reads.close()]);
  }
}
