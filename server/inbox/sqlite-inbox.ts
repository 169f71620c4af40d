// The embedded default store: SQLite through better-sqlite3, WAL with synchronous=FULL, so a commit is on
// disk before a push is answered 200. Concurrent deliveries share one commit (group commit): appends made
// in the same event-loop turn are written in one transaction, one savepoint per delivery, so one fsync
// covers many requests while each delivery stays all-or-nothing.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { InvalidCursorError, StoreUnavailableError, type AppendResult, type Inbox, type ListQuery, type NewEvent } from './inbox.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     dedupe_key TEXT NOT NULL UNIQUE,
     channel TEXT NOT NULL,
     mid TEXT,
     entry_id TEXT,
     entry_time REAL,
     event TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE INDEX events_channel_id ON events (channel, id);
   CREATE INDEX events_received_at ON events (received_at);`,
];

interface Pending {
  events: NewEvent[];
  receivedAt: string;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface Row {
  id: number;
  channel: string;
  mid: string | null;
  entry_id: string | null;
  entry_time: number | null;
  event: string;
  received_at: string;
}

function toItem(r: Row): InboxItem {
  return {
    id: String(r.id),
    channel: r.channel,
    mid: r.mid,
    entryId: r.entry_id,
    entryTime: r.entry_time,
    event: JSON.parse(r.event),
    receivedAt: r.received_at,
  };
}

export interface SqliteInboxOptions {
  /** Path of the database file. */
  file: string;
}

export class SqliteInbox implements Inbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly listAll: Database.Statement;
  private readonly listChannel: Database.Statement;
  private readonly listNewest: Database.Statement;
  private readonly lastId: Database.Statement;
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;

  constructor(options: SqliteInboxOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.insert = this.db.prepare(
      `INSERT INTO events (dedupe_key, channel, mid, entry_id, entry_time, event, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    );
    const columns = 'id, channel, mid, entry_id, entry_time, event, received_at';
    this.listAll = this.db.prepare(`SELECT ${columns} FROM events WHERE id > ? ORDER BY id LIMIT ?`);
    this.listChannel = this.db.prepare(`SELECT ${columns} FROM events WHERE channel = ? AND id > ? ORDER BY id LIMIT ?`);
    this.listNewest = this.db.prepare(`SELECT ${columns} FROM events ORDER BY id DESC LIMIT ?`);
    this.lastId = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events');
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  append(events: NewEvent[], receivedAt: Date): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the inbox is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ events, receivedAt: receivedAt.toISOString(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Writes every queued delivery in one transaction; settles each only after COMMIT returned. */
  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const outcomes: (AppendResult | Error)[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const item of batch) {
        this.db.exec('SAVEPOINT delivery');
        try {
          let stored = 0;
          for (const e of item.events) {
            stored += this.insert.run(e.dedupeKey, e.channel, e.mid, e.entryId, e.entryTime, JSON.stringify(e.event), item.receivedAt).changes;
          }
          this.db.exec('RELEASE delivery');
          outcomes.push({ stored, duplicates: item.events.length - stored });
        } catch (err) {
          this.db.exec('ROLLBACK TO delivery');
          this.db.exec('RELEASE delivery');
          outcomes.push(new StoreUnavailableError('the delivery could not be written', { cause: err }));
        }
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const item of batch) item.reject(new StoreUnavailableError('the inbox could not commit', { cause: err }));
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) item.reject(outcome);
      else item.resolve(outcome);
    });
  }

  async list(query: ListQuery): Promise<InboxPage> {
    const after = query.cursor === undefined ? 0 : Number(query.cursor);
    if (!/^\d{1,15}$/.test(query.cursor ?? '0')) throw new InvalidCursorError(query.cursor!);
    const rows = (query.channel ? this.listChannel.all(query.channel, after, query.limit) : this.listAll.all(after, query.limit)) as Row[];
    return { items: rows.map(toItem), nextCursor: String(rows.length ? rows[rows.length - 1]!.id : after) };
  }

  async tail(limit: number): Promise<InboxPage> {
    // Both reads see one snapshot, so the cursor is exactly where the returned rows end.
    return this.db.transaction(() => {
      const rows = (this.listNewest.all(limit) as Row[]).reverse();
      const { id } = this.lastId.get() as { id: number };
      return { items: rows.map(toItem), nextCursor: String(id) };
    })();
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async prune(before: Date, max = 10_000): Promise<number> {
    const r = this.db
      .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY id LIMIT ?)')
      .run(before.toISOString(), max);
    return r.changes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued deliveries finish before closing the handle.
    if (this.queue.length) this.flush();
    this.db.close();
  }
}
