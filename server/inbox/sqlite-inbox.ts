// The embedded default store: SQLite through better-sqlite3, WAL with synchronous=FULL, so a commit is on
// disk before a push is answered 200. Writes go to one writer connection in a worker thread
// (sqlite-writer.ts), so the event loop never waits for a commit or its fsync, with group commit: one
// transaction, one fsync, for every delivery that arrived together, one savepoint each (all-or-nothing).
// Reads (pages, searches, the feed's tail and polls) go to reader threads (sqlite-reader.ts), each with
// its own connection, so a push never waits behind a read; what they read is in sqlite-reads.ts.
// The main thread keeps a connection only to migrate the schema and to probe readiness.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { migrate, openDatabase, toRow, type EventRow } from './sqlite-schema.js';
import { SqliteReader } from './sqlite-reader.js';
import type { ReadRow, RowPage } from './sqlite-reads.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { BatchObserver } from './turn-batch.js';
import { StoreHealth, type StoreFailure, type StoreLogger } from './store-health.js';
import { DEFAULT_PAGE_MAX_BYTES, InvalidCursorError, StoreUnavailableError, type AppendResult, type Inbox, type ListQuery, type NewEvent } from './inbox.js';

function toItem(r: ReadRow): InboxItem {
  return {
    id: String(r.id),
    channel: r.channel,
    mid: r.mid,
    entryId: r.entry_id,
    entryTime: r.entry_time,
    event: JSON.parse(r.event),
    receivedAt: r.received_at,
    kind: r.kind,
    direction: r.direction,
  };
}

function toPage(page: RowPage): InboxPage {
  return { items: page.rows.map(toItem), nextCursor: page.nextCursor, ...(page.truncated && { truncated: true as const }) };
}

export interface SqliteInboxOptions {
  /** Path of the database file. */
  file: string;
  /** How long a commit waits for another connection's write lock before it fails (default 5 s). */
  busyTimeoutMs?: number;
  /** Told about each commit (server/metrics/). */
  observer?: BatchObserver;
  /** Where store failures are logged, once per cause (store-health.ts). */
  logger?: StoreLogger;
  /** While writes fail, readiness tries a write at most this often (default 1000 ms). */
  probeEveryMs?: number;
  /** Reader threads, each with its own connection (default 2). */
  readThreads?: number;
}

/**
 * Readiness' probe (sqlite-commit.ts, probeCommit): a row of its own, never seen by a reader, padded to
 * the size of the last write that failed for want of space (store-health.ts).
 */
const probeRow = (bytes: number) =>
  toRow(
    {
      // Stryker disable next-line StringLiteral: the row is deleted in the transaction that writes it, so no reader sees its channel
      channel: '',
      mid: null,
      entryId: null,
      entryTime: null,
      // Padded always: with nothing to pad to, the padding is empty.
      event: { padding: 'x'.repeat(bytes) },
      // Stryker disable next-line StringLiteral: deleted in the transaction that writes it, the row never meets another probe's key
      dedupeKey: `readiness-probe-${randomUUID()}`,
    },
    new Date().toISOString(),
  );

/** The events' JSON text in a delivery's rows: what its write needs room for. */
const rowBytes = (rows: EventRow[]) => () => rows.reduce((n, row) => n + row[5].length, 0);

export class SqliteInbox implements Inbox {
  private readonly db: Database.Database;
  private readonly writer: SqliteWriter;
  private readonly reader: SqliteReader;
  private closed = false;
  private readonly health: StoreHealth;

  constructor(options: SqliteInboxOptions) {
    this.health = new StoreHealth('sqlite', options);
    mkdirSync(dirname(options.file), { recursive: true });
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.db = openDatabase(options.file, busyTimeoutMs);
    // Migrated here, before the writer thread opens its connection, so it only ever sees the newest schema.
    migrate(this.db);
    this.writer = new SqliteWriter({ file: options.file, busyTimeoutMs }, options.observer);
    this.reader = new SqliteReader({ file: options.file, busyTimeoutMs, niceness: 19 }, options.readThreads ?? 2);
  }

  append(events: NewEvent[], receivedAt: Date): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the inbox is closed'));
    const at = receivedAt.toISOString();
    let rows: EventRow[];
    try {
      rows = events.map((e) => toRow(e, at));
    } catch (err) {
      return Promise.reject(new StoreUnavailableError('the delivery could not be written', { cause: err }));
    }
    return this.health.track(this.writer.append(rows), rowBytes(rows));
  }

  /** See SqliteReads.list; run in a reader thread. */
  async list(query: ListQuery): Promise<InboxPage> {
    if (!/^\d{1,15}$/.test(query.cursor ?? '0')) throw new InvalidCursorError(query.cursor!);
    return toPage(await this.reader.list(query, query.maxBytes ?? DEFAULT_PAGE_MAX_BYTES));
  }

  async tail(limit: number, maxBytes = DEFAULT_PAGE_MAX_BYTES): Promise<InboxPage> {
    return toPage(await this.reader.tail(limit, maxBytes));
  }

  /** Why writes fail now, in words and since when (store-health.ts); undefined while they succeed. */
  failure(): StoreFailure | undefined {
    return this.health.failure;
  }

  /** Open, and writes succeed: false from a failed write until one succeeds (a delivery's, or readiness' probe). */
  async ready(): Promise<boolean> {
    // Stryker disable next-line ConditionalExpression: a closed handle also fails the probe below
    if (this.closed) return false;
    try {
      this.db.prepare('SELECT 1').get();
    } catch {
      // Stryker disable next-line BooleanLiteral: only a closed handle fails `SELECT 1`, and the check above answers that
      return false;
    }
    return this.health.ready((bytes) => this.writer.probe(probeRow(bytes)));
  }

  prune(before: Date, max = 10_000): Promise<number> {
    return this.writer.prune(before, max);
  }

  async close(): Promise<void> {
    // Stryker disable next-line ConditionalExpression: closing again finds nothing queued, and better-sqlite3's close is idempotent
    if (this.closed) return;
    this.closed = true;
    // Queued deliveries are committed (and answered) before the handles close.
    await this.writer.close();
    await this.reader.close();
    this.db.close();
  }
}
