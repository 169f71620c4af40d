// The embedded default store: SQLite through better-sqlite3, WAL with synchronous=FULL, so a commit is on
// disk before a push is answered 200. Writes go to one writer connection in a worker thread
// (sqlite-writer.ts), so the event loop never waits for a commit or its fsync, with group commit: one
// transaction, one fsync, for every delivery that arrived together, one savepoint each (all-or-nothing).
// The main thread keeps its own connection for the reads.
//
// Readers never skip: the main thread's connection sees only committed rows (WAL snapshots), and ids are
// assigned by the one writer in commit order (a transaction's ids are all above every id committed before
// it, and no other transaction can commit in between), so paging by `id > cursor` is gap-free.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { likePattern, searchWords } from '../events/search.js';
import { migrate, openDatabase, toRow, type EventRow } from './sqlite-schema.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { BatchObserver } from './turn-batch.js';
import { StoreHealth, type StoreLogger } from './store-health.js';
import { InvalidCursorError, StoreUnavailableError, type AppendResult, type Inbox, type ListQuery, type NewEvent } from './inbox.js';

interface Row {
  id: number;
  channel: string;
  mid: string | null;
  entry_id: string | null;
  entry_time: number | null;
  event: string;
  received_at: string;
  kind: string;
  direction: 'inbound' | 'echo' | null;
}

const COLUMNS = 'id, channel, mid, entry_id, entry_time, event, received_at, kind, direction';

function toItem(r: Row): InboxItem {
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
}

/** Readiness' probe (sqlite-commit.ts, probeCommit): a row of its own, never seen by a reader. */
const probeRow = () =>
  toRow({ channel: '', mid: null, entryId: null, entryTime: null, event: {}, dedupeKey: `readiness-probe-${randomUUID()}` }, new Date().toISOString());

export class SqliteInbox implements Inbox {
  private readonly db: Database.Database;
  private readonly writer: SqliteWriter;
  /** One prepared statement per shape of list query (which filters, how many words, which order). */
  private readonly lists = new Map<string, Database.Statement>();
  private readonly listNewest: Database.Statement;
  private readonly lastId: Database.Statement;
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
    this.listNewest = this.db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY id DESC LIMIT ?`);
    this.lastId = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events');
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
    return this.health.track(this.writer.append(rows));
  }

  /**
   * Forward (`asc`) in id order after the cursor, or back (`desc`) from the newest, before the cursor.
   * Filters go into the SQL: channel, kind and direction through their (column, id) indexes; each search
   * word is a LIKE over the event's JSON text (ASCII case-insensitive, as SQLite's LIKE is), read in id
   * order until the page is full: about 60 ms for a word in none of 100 000 events on a 2-core machine
   * (test/bench/inbox-search.ts). An FTS5 trigram index answered in 0.2 ms but made each write about
   * six times dearer, and writes are what this store is for.
   */
  async list(query: ListQuery): Promise<InboxPage> {
    if (!/^\d{1,15}$/.test(query.cursor ?? '0')) throw new InvalidCursorError(query.cursor!);
    const desc = query.order === 'desc';
    const at = query.cursor === undefined ? undefined : Number(query.cursor);
    const where: string[] = [];
    const args: unknown[] = [];
    if (!desc || at !== undefined) {
      where.push(desc ? 'id < ?' : 'id > ?');
      args.push(at ?? 0);
    }
    for (const column of ['channel', 'kind', 'direction'] as const) {
      if (query[column] === undefined) continue;
      where.push(`${column} = ?`);
      args.push(query[column]);
    }
    const words = searchWords(query.q);
    // The JSON text escapes NUL, so a word holding one matches nothing (and LIKE would stop at it).
    if (words.some((w) => w.includes('\u0000'))) return { items: [], nextCursor: String(at ?? 0) };
    for (const word of words) {
      where.push("event LIKE ? ESCAPE '\\'");
      args.push(likePattern(word));
    }
    const sql = `SELECT ${COLUMNS} FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = this.lists.get(sql);
    if (!statement) this.lists.set(sql, (statement = this.db.prepare(sql)));
    const rows = statement.all(...args, query.limit) as Row[];
    const last = rows.at(-1);
    return { items: rows.map(toItem), nextCursor: String(last ? last.id : (at ?? 0)) };
  }

  async tail(limit: number): Promise<InboxPage> {
    // Both reads see one snapshot, so the cursor is exactly where the returned rows end.
    return this.db.transaction(() => {
      const rows = (this.listNewest.all(limit) as Row[]).reverse();
      const { id } = this.lastId.get() as { id: number };
      return { items: rows.map(toItem), nextCursor: String(id) };
    })();
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
    return this.health.ready(() => this.writer.probe(probeRow()));
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
    this.db.close();
  }
}
