// The SQLite store's file: how a connection is opened, the schema and its migrations, and the row each
// event becomes. Shared by the main thread (reads, migrations) and the writer thread (sqlite-writer-thread.ts).
import Database from 'better-sqlite3';
import { classifyEvent } from '../events/classify.js';
import type { NewEvent } from './inbox.js';
import { keyDigest } from './key-digest.js';

/** The store's file in its data dir. */
export const STORE_FILE = 'inbox.sqlite';

/** A schema change: SQL, or a function for what SQL alone cannot do (classifying stored events). */
type Migration = string | ((db: Database.Database) => void);

/** Versioned schema changes, applied in order at open. Never edit one; add. */
export const MIGRATIONS: Migration[] = [
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
  // 2: each event's kind and direction (classify.ts), so reads can filter on them through an index.
  // Rows stored before get theirs here, from the same function the push path uses.
  (db) => {
    db.exec(`ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'unknown';
             ALTER TABLE events ADD COLUMN direction TEXT;`);
    const update = db.prepare('UPDATE events SET kind = ?, direction = ? WHERE id = ?');
    // In batches: a statement cannot write while another still reads, and memory stays bounded.
    const batch = db.prepare('SELECT id, event FROM events WHERE id > ? ORDER BY id LIMIT 5000');
    for (let after = 0; ; ) {
      const rows = batch.all(after) as Array<{ id: number; event: string }>;
      if (rows.length === 0) break;
      for (const row of rows) {
        const c = classifyEvent(JSON.parse(row.event));
        update.run(c.kind, c.direction, row.id);
      }
      after = rows.at(-1)!.id;
    }
    db.exec(`CREATE INDEX events_kind_id ON events (kind, id);
             CREATE INDEX events_direction_id ON events (direction, id);`);
  },
  // 3: the dedupe key becomes its digest (key-digest.ts), of fixed length, as on PostgreSQL where the
  // raw key could pass the index's entry limit. Keys stored before get theirs from the same function.
  (db) => {
    db.function('ipk_key_digest', { deterministic: true }, (key: unknown) => keyDigest(String(key)));
    db.exec('UPDATE events SET dedupe_key = ipk_key_digest(dedupe_key)');
  },
  // 4: one spelling for kinds, Meta's snake_case (classify.ts): `quick reply` became `quick_reply`.
  `UPDATE events SET kind = 'quick_reply' WHERE kind = 'quick reply';`,
];

/**
 * Opens a connection in WAL mode with synchronous=FULL: a COMMIT returns only once it is on disk, and
 * readers see committed rows without waiting for the writer.
 */
export function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  return db;
}

/** Brings the file's schema to version `target` (the newest by default), each migration in its own transaction. */
export function migrate(db: Database.Database, target = MIGRATIONS.length): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < target; v++) {
    db.transaction(() => {
      const migration = MIGRATIONS[v]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** One event's INSERT; redeliveries (same dedupe key digest) change nothing. Its parameters are an EventRow. */
export const INSERT_SQL = `INSERT INTO events (dedupe_key, channel, mid, entry_id, entry_time, event, received_at, kind, direction)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`;

export const PRUNE_SQL = 'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? ORDER BY id LIMIT ?)';

/** INSERT_SQL's parameters for one event: plain values, so a batch crosses to the writer thread cheaply. */
export type EventRow = [string, string, string | null, string | null, number | null, string, string, string, 'inbound' | 'echo' | null];

/** The event is classified and serialised here, once, on the thread that parsed it. */
export function toRow(e: NewEvent, receivedAt: string): EventRow {
  const c = classifyEvent(e.event);
  return [keyDigest(e.dedupeKey), e.channel, e.mid, e.entryId, e.entryTime, JSON.stringify(e.event), receivedAt, c.kind, c.direction];
}
