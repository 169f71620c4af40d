// The PostgreSQL store's reads (pages, searches, the feed's tail and polls) on their own small pool, apart
// from the pool that writes, with a statement_timeout: searches can take every read connection and
// still never delay a push's INSERT, and a runaway scan ends instead of holding a connection.
//
// Readers never skip: see `list`.
import pg from 'pg';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { DEFAULT_PAGE_MAX_BYTES, InvalidCursorError, StoreUnavailableError, type ListQuery } from './inbox.js';
import { likePattern, searchWords } from '../events/search.js';

export interface PostgresReadsOptions {
  connectionString: string;
  /** Read connections per instance (default 2), on top of the write pool's. */
  poolSize?: number;
  /** How long one read statement may run before PostgreSQL cancels it (default 5000 ms). */
  statementTimeoutMs?: number;
  /** How long a read waits for a connection before failing with 500 (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Applies the schema before the first read (the store migrates once, through its write pool). */
  ensureSchema: () => Promise<void>;
  onIdleError?: (err: Error) => void;
}

interface Row {
  id: string;
  txid_text: string;
  channel: string;
  mid: string | null;
  entry_id: string | null;
  entry_time: number | null;
  /** Null on the one row past the byte budget, returned only to say that the page was cut (budgeted). */
  event: Record<string, unknown> | null;
  received_at: Date;
  kind: string;
  direction: 'inbound' | 'echo' | null;
}

// The position of a row in read order is (txid, id); the cursor is that pair.
const cursorOf = (r: Pick<Row, 'txid_text' | 'id'>) => `${r.txid_text}.${r.id}`;
const START = '0.0';
const MAX_BIGINT = '9223372036854775807';

const MAX_XID8 = 18446744073709551615n;

function parseCursor(cursor: string | undefined): [string, string] {
  const m = /^(\d{1,20})\.(\d{1,19})$/.exec(cursor ?? START);
  // Beyond the column types, PostgreSQL would fail the query (a 500): not a cursor this store handed out.
  if (!m || BigInt(m[1]!) > MAX_XID8 || BigInt(m[2]!) > BigInt(MAX_BIGINT)) throw new InvalidCursorError(cursor!);
  return [m[1]!, m[2]!];
}

/** A cursor walking back: an event's id, or a forward cursor (`<txid>.<id>`), which reads back from its id. */
function parseBackCursor(cursor: string): string {
  const m = /^(?:\d{1,20}\.)?(\d{1,19})$/.exec(cursor);
  if (!m || BigInt(m[1]!) > BigInt(MAX_BIGINT)) throw new InvalidCursorError(cursor);
  return m[1]!;
}

function toItem(r: Row): InboxItem {
  return {
    id: r.id,
    channel: r.channel,
    mid: r.mid,
    entryId: r.entry_id,
    entryTime: r.entry_time,
    event: r.event!,
    receivedAt: r.received_at.toISOString(),
    kind: r.kind,
    direction: r.direction,
  };
}

/** PostgreSQL text cannot hold NUL; the event's JSON keeps the exact value (as an escape). */
export const pgText = (s: string | null) => (s === null ? null : s.replace(/\u0000/g, '\uFFFD'));

/**
 * The filters of a list query as SQL conditions with numbered parameters from `$first`, and the next
 * number; null when nothing can match (a search word holding NUL: the JSON text escapes it). Each word
 * is an ILIKE over the event's JSON text (no index by default: see postgres-migrations.ts).
 */
function filtersOf(query: ListQuery, first: number): { sql: string; values: unknown[]; next: number } | null {
  const words = searchWords(query.q);
  if (words.some((w) => w.includes('\u0000'))) return null;
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (condition: string, value: unknown) => {
    values.push(value);
    conditions.push(condition.replace('?', `$${first + values.length - 1}`));
  };
  // Stored channels and kinds hold U+FFFD where NUL was sent; so do the filters, to match them.
  if (query.channel !== undefined) add('channel = ?', pgText(query.channel));
  if (query.kind !== undefined) add('kind = ?', pgText(query.kind));
  if (query.direction !== undefined) add('direction = ?', query.direction);
  for (const word of words) add('event::text ILIKE ?', likePattern(word));
  return { sql: conditions.map((c) => `AND ${c}`).join(' '), values, next: first + values.length };
}

/**
 * A page's SELECT within a byte budget: the rows of `where`, in `order`, at most `$limit` of them, while
 * the running sum of their JSON text stays within `$bytes` (the first row always). The first row past
 * the budget comes too, with its event NULL, to say the page was cut (the second row always comes, for
 * when the first alone passes the budget). octet_length reads a stored
 * value's size from its header, without fetching or decompressing it.
 */
function budgeted(where: string, order: string, limit: string, bytes: string): string {
  return `SELECT id, txid_text, channel, mid, entry_id, entry_time,
                 CASE WHEN n = 1 OR running <= ${bytes} THEN event END AS event, received_at, kind, direction
            FROM (SELECT id, txid::text AS txid_text, channel, mid, entry_id, entry_time, event, received_at, kind, direction,
                         row_number() OVER w AS n, sum(octet_length(event::text)) OVER w AS running, octet_length(event::text) AS size
                    FROM inbox_events WHERE ${where}
                  WINDOW w AS (ORDER BY ${order} ROWS UNBOUNDED PRECEDING)
                  ORDER BY ${order} LIMIT ${limit}) page
           WHERE n <= 2 OR running - size <= ${bytes}
           ORDER BY n`;
}

/** The rows of a budgeted SELECT as a page's rows, and whether the budget cut it. */
function cut<R extends Row>(rows: R[]): { rows: R[]; truncated: boolean } {
  const truncated = rows.length > 0 && rows.at(-1)!.event === null;
  return { rows: truncated ? rows.slice(0, -1) : rows, truncated };
}

const withTruncated = (truncated: boolean) => (truncated ? { truncated: true as const } : {});

export class PostgresReads {
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(private readonly options: PostgresReadsOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      // The server cancels a read past it (a search over a huge inbox); the client gives up a little later.
      statement_timeout: options.statementTimeoutMs ?? 5000,
      query_timeout: (options.statementTimeoutMs ?? 5000) + 5000,
      application_name: 'instagram-push-kit reads',
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError('the inbox is closed');
    await this.options.ensureSchema();
    try {
      return await this.pool.query<R>({ text, values });
    } catch (err) {
      throw new StoreUnavailableError('the inbox database failed', { cause: err });
    }
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
    if (query.order === 'desc') return this.listBack(query);
    const [txid, id] = parseCursor(query.cursor);
    const filters = filtersOf(query, 3);
    if (!filters) return { items: [], nextCursor: query.cursor ?? START };
    const r = await this.query<Row>(
      budgeted(
        `(txid, id) > ($1::text::xid8, $2::bigint) AND txid < pg_snapshot_xmin(pg_current_snapshot()) ${filters.sql}`,
        'inbox_events.txid, inbox_events.id',
        `$${filters.next}`,
        `$${filters.next + 1}`,
      ),
      [txid, id, ...filters.values, query.limit, query.maxBytes ?? DEFAULT_PAGE_MAX_BYTES],
    );
    const { rows, truncated } = cut(r.rows);
    const last = rows.at(-1);
    return { items: rows.map(toItem), nextCursor: last ? cursorOf(last) : (query.cursor ?? START), ...withTruncated(truncated) };
  }

  /**
   * Walks back by id, newest first. Only rows below the horizon, as forward reads: a row still being
   * committed is left to the forward readers (the live feed), which never pass it. By id rather than
   * (txid, id), so an item's own id is a cursor: the console pages back from the oldest item it holds.
   * The tail orders by id too, so the console's backlog and the pages before it leave no gap.
   */
  private async listBack(query: ListQuery): Promise<InboxPage> {
    const before = query.cursor === undefined ? null : parseBackCursor(query.cursor);
    const filters = filtersOf(query, before === null ? 1 : 2);
    if (!filters) return { items: [], nextCursor: before ?? '0' };
    const r = await this.query<Row>(
      budgeted(
        `txid < pg_snapshot_xmin(pg_current_snapshot())${before === null ? '' : ' AND id < $1::bigint'} ${filters.sql}`,
        'inbox_events.id DESC',
        `$${filters.next}`,
        `$${filters.next + 1}`,
      ),
      [...(before === null ? [] : [before]), ...filters.values, query.limit, query.maxBytes ?? DEFAULT_PAGE_MAX_BYTES],
    );
    const { rows, truncated } = cut(r.rows);
    return { items: rows.map(toItem), nextCursor: rows.at(-1)?.id ?? before ?? '0', ...withTruncated(truncated) };
  }

  async tail(limit: number, maxBytes = DEFAULT_PAGE_MAX_BYTES): Promise<InboxPage> {
    // One statement, one snapshot. The cursor goes just past the horizon, not past the newest row, so
    // reading on from it starts exactly where this snapshot's readable rows end. The newest by id, as
    // walking back orders (listBack): the rows before the oldest one here are exactly that walk's.
    const r = await this.query<Row & { horizon: string }>(
      `SELECT (h.xmin::text::numeric - 1)::text AS horizon, e.*
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) h
         LEFT JOIN LATERAL (${budgeted('txid < h.xmin', 'inbox_events.id DESC', '$1', '$2')}) e ON true`,
      [limit, maxBytes],
    );
    const { rows, truncated } = cut(r.rows.filter((row) => row.id !== null));
    return { items: rows.reverse().map(toItem), nextCursor: `${r.rows[0]!.horizon}.${MAX_BIGINT}`, ...withTruncated(truncated) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
