// The relay's tables in the embedded SQLite store, owned by the relay: the forwards, the attempts, the
// destinations, and the triggers on the inbox's `events` table that write a forward in the very
// transaction that stores its event. Applied by the outbox when it opens (sqlite-outbox.ts), in one
// IMMEDIATE transaction, as idempotent steps: the relay's tables version independently of the inbox's
// numbered migrations (inbox/sqlite-schema.ts), and a store that never had destinations never gets them.
import type Database from 'better-sqlite3';
import { OPEN_STATES } from './open-states.js';

/** Forwards a claim reads: open, and never claimed or the first of their delivery (which is claimed whole). */
export const DUE_FORWARDS = `${OPEN_STATES} AND (delivery IS NULL OR delivery = event_id)`;
/** The event's receipt time in ms since the epoch, from its ISO text. */
const RECEIVED_MS = "CAST(ROUND((julianday(NEW.received_at) - 2440587.5) * 86400000) AS INTEGER)";

/** Idempotent: the relay's tables sit beside the inbox's and version independently of its migrations. */
export const RELAY_SCHEMA = `
CREATE TABLE IF NOT EXISTS relay_destinations (
  id TEXT PRIMARY KEY, channel TEXT NOT NULL, enabled INTEGER NOT NULL, paused INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS relay_forwards (
  destination TEXT NOT NULL, event_id INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
  created_at INTEGER NOT NULL, next_at INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER, last_error TEXT, delivery INTEGER, PRIMARY KEY (destination, event_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS relay_forwards_event ON relay_forwards (event_id);
CREATE TABLE IF NOT EXISTS relay_attempts (
  id INTEGER PRIMARY KEY, destination TEXT NOT NULL, event_id INTEGER NOT NULL, at INTEGER NOT NULL,
  status INTEGER, latency_ms INTEGER NOT NULL, error TEXT);
-- An attempt is logged once per delivery, under the delivery's id (its first event's).
CREATE INDEX IF NOT EXISTS relay_attempts_forward ON relay_attempts (destination, event_id, id);
CREATE TRIGGER IF NOT EXISTS relay_outbox AFTER INSERT ON events BEGIN
  INSERT INTO relay_forwards (destination, event_id, created_at)
    SELECT id, NEW.id, ${RECEIVED_MS} FROM relay_destinations WHERE channel = NEW.channel AND enabled = 1;
END;
CREATE TRIGGER IF NOT EXISTS relay_keep_pending BEFORE DELETE ON events
  WHEN EXISTS (SELECT 1 FROM relay_forwards WHERE event_id = OLD.id AND ${OPEN_STATES})
BEGIN SELECT RAISE(IGNORE); END;
CREATE TRIGGER IF NOT EXISTS relay_forget AFTER DELETE ON events BEGIN
  DELETE FROM relay_forwards WHERE event_id = OLD.id;
  DELETE FROM relay_attempts WHERE event_id = OLD.id;
END;`;

/**
 * Forwarded deliveries (batching.ts): each forward's delivery, set at its first claim. A store from
 * before them gets the column, and every forward already attempted becomes a delivery of its own, as it
 * was sent, so its retries keep their bytes.
 */
function addDeliveries(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('relay_forwards')").all() as { name: string }[];
  if (!columns.some((c) => c.name === 'delivery')) {
    db.exec('ALTER TABLE relay_forwards ADD COLUMN delivery INTEGER; UPDATE relay_forwards SET delivery = event_id WHERE attempts > 0;');
  }
  // The index of open forwards the claims read before deliveries is replaced by relay_forwards_due, which
  // holds only a delivery's first: one index fewer to write with every event stored and every outcome.
  db.exec(`CREATE INDEX IF NOT EXISTS relay_forwards_delivery ON relay_forwards (destination, delivery) WHERE delivery IS NOT NULL;
    CREATE INDEX IF NOT EXISTS relay_forwards_due ON relay_forwards (destination, event_id) WHERE ${DUE_FORWARDS};
    DROP INDEX IF EXISTS relay_forwards_open;`);
}

/** True when the file already holds the relay's tables (a server that once had destinations). */
export function hasRelaySchema(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'relay_destinations'").get() !== undefined;
}

/** Brings the file's relay tables to the newest shape; run inside a write transaction. */
export function migrateRelaySchema(db: Database.Database): void {
  db.exec(RELAY_SCHEMA);
  addDeliveries(db);
}
