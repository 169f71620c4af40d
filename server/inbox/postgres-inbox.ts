// The shared store for several server instances: PostgreSQL through a node-postgres pool.
//
// Promises, and what each rests on:
// - 200 only after COMMIT: a delivery is one autocommit INSERT; its promise resolves when PostgreSQL
//   answers, which is after the commit is flushed (synchronous_commit stays on). PostgreSQL shares WAL
//   flushes between backends committing at the same moment, so concurrent deliveries get group commit.
// - One delivery is atomic: all its events go in that one statement.
// - Stored once: a unique dedupe key and ON CONFLICT DO NOTHING, so two instances receiving the same
//   event at the same moment both succeed and one row exists.
// - Readers never skip: see `list`.
import pg from 'pg';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { InvalidCursorError, StoreUnavailableError, type AppendResult, type Inbox, type ListQuery, type NewEvent } from './inbox.js';

/** Versioned schema changes, applied in order at start under an advisory lock. Never edit one; add. */
const MIGRATIONS: string[] = [
  `CREATE TABLE inbox_events (
     id bigserial PRIMARY KEY,
     dedupe_key text NOT NULL UNIQUE,
     channel text NOT NULL,
     mid text,
     entry_id text,
     entry_time double precision,
     event json NOT NULL,
     received_at timestamptz NOT NULL,
     txid xid8 NOT NULL DEFAULT pg_current_xact_id()
   );
   CREATE INDEX inbox_events_order ON inbox_events (txid, id);
   CREATE INDEX inbox_events_channel_order ON inbox_events (channel, txid, id);
   CREATE INDEX inbox_events_received_at ON inbox_events (received_at);`,
];

/** Any constant shared by all instances; names the lock that serialises migrations. */
const MIGRATION_LOCK = 0x1671_7075;

export interface PostgresInboxOptions {
  connectionString: string;
  /** Connections per instance (default 10). N instances hold up to N × poolSize connections. */
  poolSize?: number;
  /** How long a request waits for a connection before failing with 500 (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Called with errors of idle connections (a database restart), which would otherwise crash the process. */
  onIdleError?: (err: Error) => void;
}

interface Row {
  id: string;
  txid_text: string;
  channel: string;
  mid: string | null;
  entry_id: string | null;
  entry_time: number | null;
  event: Record<string, unknown>;
  received_at: Date;
}

// The text form of txid gets its own name: a bare `txid` in ORDER BY would pick this output column
// over the table's and sort positions as text ('1000' before '999'), which skips rows.
const COLUMNS = 'id, txid::text AS txid_text, channel, mid, entry_id, entry_time, event, received_at';

// The position of a row in read order is (txid, id); the cursor is that pair.
const cursorOf = (r: Pick<Row, 'txid_text' | 'id'>) => `${r.txid_text}.${r.id}`;
const START = '0.0';
const MAX_BIGINT = '9223372036854775807';

function parseCursor(cursor: string | undefined): [string, string] {
  const m = /^(\d{1,20})\.(\d{1,19})$/.exec(cursor ?? START);
  if (!m) throw new InvalidCursorError(cursor!);
  return [m[1]!, m[2]!];
}

function toItem(r: Row): InboxItem {
  return {
    id: r.id,
    channel: r.channel,
    mid: r.mid,
    entryId: r.entry_id,
    entryTime: r.entry_time,
    event: r.event,
    receivedAt: r.received_at.toISOString(),
  };
}

/** PostgreSQL text cannot hold NUL; the event's JSON keeps the exact value (as an escape). */
const pgText = (s: string | null) => (s === null ? null : s.replace(/\u0000/g, '\uFFFD'));

export class PostgresInbox implements Inbox {
  private readonly pool: pg.Pool;
  private schema: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresInboxOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      // A statement that hangs (a stalled disk, a lock) fails the request instead of holding it forever.
      query_timeout: 10_000,
      application_name: 'instagram-push-kit',
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  /** Applies pending migrations once; retried on the next call if the database was unreachable. */
  private ensureSchema(): Promise<void> {
    this.schema ??= this.migrate().catch((err) => {
      this.schema = undefined;
      throw new StoreUnavailableError('the inbox database is unreachable', { cause: err });
    });
    return this.schema;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Instances starting together wait here one at a time; the lock ends with the transaction.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS inbox_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM inbox_migrations');
      for (let v = rows[0]!.v; v < MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v]!);
        await client.query('INSERT INTO inbox_migrations (version) VALUES ($1)', [v + 1]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError('the inbox is closed');
    await this.ensureSchema();
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw new StoreUnavailableError('the inbox database failed', { cause: err });
    }
  }

  async append(events: NewEvent[], receivedAt: Date): Promise<AppendResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    let columns: unknown[][];
    try {
      columns = [
        events.map((e) => pgText(e.dedupeKey)),
        events.map((e) => pgText(e.channel)),
        events.map((e) => pgText(e.mid)),
        events.map((e) => pgText(e.entryId)),
        events.map((e) => e.entryTime),
        events.map((e) => JSON.stringify(e.event)),
      ];
    } catch (err) {
      throw new StoreUnavailableError('the delivery could not be written', { cause: err });
    }
    // One statement, so the delivery is all-or-nothing without an explicit transaction.
    const r = await this.query(
      `INSERT INTO inbox_events (dedupe_key, channel, mid, entry_id, entry_time, event, received_at)
       SELECT k, c, m, ei, et, ev, $7
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::json[]) AS t(k, c, m, ei, et, ev)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [...columns, receivedAt],
    );
    const stored = r.rowCount ?? 0;
    return { stored, duplicates: events.length - stored };
  }

  /**
   * Pages in (txid, id) order, handing out only rows written by transactions older than every
   * transaction still in flight. Why: ids and txids are taken before commit, so a row with a smaller
   * id can commit after a larger one; a reader at `id > cursor` would pass it and never see it. Below
   * `pg_snapshot_xmin(pg_current_snapshot())` every transaction has ended and no new one can start,
   * so nothing can ever appear behind the cursor. The cost: a transaction left open anywhere in the
   * cluster holds the feed back (it waits; it never skips).
   */
  async list(query: ListQuery): Promise<InboxPage> {
    const [txid, id] = parseCursor(query.cursor);
    const r = await this.query<Row>(
      `SELECT ${COLUMNS} FROM inbox_events
        WHERE (txid, id) > ($1::text::xid8, $2::bigint)
          AND txid < pg_snapshot_xmin(pg_current_snapshot())
          AND ($3::text IS NULL OR channel = $3)
        ORDER BY inbox_events.txid, inbox_events.id
        LIMIT $4`,
      [txid, id, query.channel ?? null, query.limit],
    );
    const last = r.rows.at(-1);
    return { items: r.rows.map(toItem), nextCursor: last ? cursorOf(last) : (query.cursor ?? START) };
  }

  async tail(limit: number): Promise<InboxPage> {
    // One statement, one snapshot. The cursor goes just past the horizon, not past the newest row, so
    // reading on from it starts exactly where this snapshot's readable rows end.
    const r = await this.query<Row & { horizon: string }>(
      `SELECT (h.xmin::text::numeric - 1)::text AS horizon, e.*
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) h
         LEFT JOIN LATERAL (
           SELECT ${COLUMNS} FROM inbox_events WHERE txid < h.xmin ORDER BY inbox_events.txid DESC, inbox_events.id DESC LIMIT $1
         ) e ON true`,
      [limit],
    );
    const rows = r.rows.filter((row) => row.id !== null).reverse();
    return { items: rows.map(toItem), nextCursor: `${r.rows[0]!.horizon}.${MAX_BIGINT}` };
  }

  async ready(): Promise<boolean> {
    try {
      await this.query('SELECT 1', []);
      return true;
    } catch {
      return false;
    }
  }

  async prune(before: Date, max = 10_000): Promise<number> {
    const r = await this.query(
      'DELETE FROM inbox_events WHERE id IN (SELECT id FROM inbox_events WHERE received_at < $1 ORDER BY id LIMIT $2)',
      [before, max],
    );
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
