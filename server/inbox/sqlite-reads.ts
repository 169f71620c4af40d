// The SQLite store's reads (pages, searches, the feed's tail) on one read connection: run in the reader
// thread (sqlite-reader-thread.ts), so a long search never holds up the thread that answers pushes.
// Rows come back as stored (the event as JSON text); the caller parses them.
//
// Readers never skip: a connection sees only committed rows (WAL snapshots), and ids are assigned by
// the one writer in commit order (a transaction's ids are all above every id committed before it, and
// no other transaction can commit in between), so paging by `id > cursor` is gap-free.
import type Database from 'better-sqlite3';
import { likePattern, searchWords } from '../events/search.js';
import type { ListQuery } from './inbox.js';

export interface ReadRow {
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

/** A page as read: rows in the order to serve, the cursor to read on from, and whether bytes cut it. */
export interface RowPage {
  rows: ReadRow[];
  nextCursor: string;
  truncated: boolean;
}

const COLUMNS = 'id, channel, mid, entry_id, entry_time, event, received_at, kind, direction';

/**
 * Takes rows until `limit`, or until the next would take the events' JSON text past `maxBytes` (at
 * least one row, so a single larger event still pages). Reads no further than needed: `rows` is a
 * statement's iterator, and the rows past the cut are never fetched.
 */
export function takeWithin(rows: Iterable<ReadRow>, limit: number, maxBytes: number): { rows: ReadRow[]; truncated: boolean } {
  const out: ReadRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (out.length >= limit) break;
    const size = Buffer.byteLength(row.event);
    if (out.length > 0 && bytes + size > maxBytes) return { rows: out, truncated: true };
    out.push(row);
    bytes += size;
  }
  return { rows: out, truncated: false };
}

export class SqliteReads {
  /** One prepared statement per shape of list query (which filters, how many words, which order). */
  private readonly lists = new Map<string, Database.Statement>();
  private readonly listNewest: Database.Statement;
  private readonly lastId: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.listNewest = db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY id DESC LIMIT ?`);
    this.lastId = db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events');
  }

  /**
   * Forward (`asc`) in id order after the cursor, or back (`desc`) from the newest, before the cursor.
   * Filters go into the SQL: channel, kind and direction through their (column, id) indexes; each search
   * word is a LIKE over the event's JSON text (ASCII case-insensitive, as SQLite's LIKE is), read in id
   * order until the page is full: about 60 ms for a word in none of 100 000 events on a 2-core machine
   * (test/bench/inbox-search.ts). An FTS5 trigram index answered in 0.2 ms but made each write about
   * six times dearer, and writes are what this store is for. The cursor is checked by the caller.
   */
  list(query: ListQuery, maxBytes: number): RowPage {
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
    if (words.some((w) => w.includes('\u0000'))) return { rows: [], nextCursor: String(at ?? 0), truncated: false };
    for (const word of words) {
      where.push("event LIKE ? ESCAPE '\\'");
      args.push(likePattern(word));
    }
    const sql = `SELECT ${COLUMNS} FROM events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = this.lists.get(sql);
    if (!statement) this.lists.set(sql, (statement = this.db.prepare(sql)));
    const { rows, truncated } = takeWithin(statement.iterate(...args, query.limit) as Iterable<ReadRow>, query.limit, maxBytes);
    const last = rows.at(-1);
    return { rows, nextCursor: String(last ? last.id : (at ?? 0)), truncated };
  }

  /** The newest `limit` events within `maxBytes`, in commit order, and the cursor after the newest. */
  tail(limit: number, maxBytes: number): RowPage {
    // Both reads see one snapshot, so the cursor is exactly where the returned rows end.
    return this.db.transaction(() => {
      const { rows, truncated } = takeWithin(this.listNewest.iterate(limit) as Iterable<ReadRow>, limit, maxBytes);
      const { id } = this.lastId.get() as { id: number };
      return { rows: rows.reverse(), nextCursor: String(id), truncated };
    })();
  }
}
