// The relay's tables in the PostgreSQL store, owned by the relay and applied as the inbox's migrations
// 5 to 7 (RELAY_MIGRATIONS, appended to inbox/postgres-migrations.ts: one numbered list, one
// inbox_migrations table, so a database from before this file moved upgrades as it always did).
// One row per event and destination in relay_forwards, written by a trigger in the transaction that
// stores the event; the attempts log; the destinations as configured, with their shared pause switch.
// Times are milliseconds since the epoch (bigint), as the SQLite outbox keeps them, so the forwarder's
// arithmetic is the same on both stores.

import { OPEN_STATES } from './open-states.js';

/** Idempotent (a database restored without its migrations table can take it again). */
export const RELAY_SCHEMA = `
CREATE TABLE IF NOT EXISTS relay_destinations (
  id text PRIMARY KEY,
  channel text NOT NULL,
  enabled boolean NOT NULL,
  paused boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS relay_forwards (
  destination text NOT NULL,
  event_id bigint NOT NULL REFERENCES inbox_events (id) ON DELETE CASCADE,
  state text NOT NULL DEFAULT 'pending',
  created_at bigint NOT NULL,
  next_at bigint NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  last_status integer,
  last_error text,
  -- Who holds the forward's lease: a token per claim, so a worker whose lease ran out (and was taken
  -- over by another instance) cannot overwrite the new holder's outcome.
  lease text,
  PRIMARY KEY (destination, event_id)
);
CREATE INDEX IF NOT EXISTS relay_forwards_open ON relay_forwards (destination, event_id) WHERE ${OPEN_STATES};
CREATE INDEX IF NOT EXISTS relay_forwards_event ON relay_forwards (event_id);
CREATE TABLE IF NOT EXISTS relay_attempts (
  id bigserial PRIMARY KEY,
  destination text NOT NULL,
  event_id bigint NOT NULL REFERENCES inbox_events (id) ON DELETE CASCADE,
  at bigint NOT NULL,
  status integer,
  latency_ms integer NOT NULL,
  error text
);
CREATE INDEX IF NOT EXISTS relay_attempts_forward ON relay_attempts (destination, event_id, id);
CREATE OR REPLACE FUNCTION relay_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO relay_forwards (destination, event_id, created_at)
    SELECT d.id, s.id, floor(extract(epoch FROM s.received_at) * 1000)::bigint
      FROM stored s JOIN relay_destinations d ON d.channel = s.channel AND d.enabled;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS relay_outbox ON inbox_events;
CREATE TRIGGER relay_outbox AFTER INSERT ON inbox_events REFERENCING NEW TABLE AS stored
  FOR EACH STATEMENT EXECUTE FUNCTION relay_outbox();
-- RETENTION never deletes an event still to be sent somewhere: the row is skipped, not an error.
CREATE OR REPLACE FUNCTION relay_keep_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM relay_forwards WHERE event_id = OLD.id AND ${OPEN_STATES}) THEN RETURN NULL; END IF;
  RETURN OLD;
END $$;
DROP TRIGGER IF EXISTS relay_keep_pending ON inbox_events;
CREATE TRIGGER relay_keep_pending BEFORE DELETE ON inbox_events
  FOR EACH ROW EXECUTE FUNCTION relay_keep_pending();`;

/**
 * Forwarded deliveries (relay/batching.ts): each forward's delivery, its first event's id, set at its
 * first claim. Forwards already attempted become deliveries of their own, as they were sent, so their
 * retries keep their bytes. Idempotent, like the schema above.
 */
export const RELAY_DELIVERIES = `
ALTER TABLE relay_forwards ADD COLUMN IF NOT EXISTS delivery bigint;
UPDATE relay_forwards SET delivery = event_id WHERE delivery IS NULL AND attempts > 0;
CREATE INDEX IF NOT EXISTS relay_forwards_delivery ON relay_forwards (destination, delivery) WHERE delivery IS NOT NULL;
-- What a claim reads: open forwards never claimed, and the first of each delivery (claimed whole).
CREATE INDEX IF NOT EXISTS relay_forwards_due ON relay_forwards (destination, event_id)
  WHERE ${OPEN_STATES} AND (delivery IS NULL OR delivery = event_id);
-- It replaces migration 5's index of every open forward: one index fewer to write per event and outcome.
DROP INDEX IF EXISTS relay_forwards_open;`;

/**
 * Which running instance configures which destinations (relay/instance-registry.ts): each instance's
 * row, rewritten at its start and at every heartbeat, names its destinations' IDs with a fingerprint of
 * their URLs (never the URL: it may hold a token). A row not seen for the time to live is an instance
 * gone; the table holds one row per instance alive, plus those gone since the last heartbeat.
 */
export const RELAY_INSTANCES = `
CREATE TABLE IF NOT EXISTS relay_instances (
  id text PRIMARY KEY,
  destinations jsonb NOT NULL,
  seen_at bigint NOT NULL
);`;


/**
 * The relay's migrations, in order, numbered 5, 6 and 7 after the inbox's four. Never edit one; add
 * (a new one takes the next number of the whole list, inbox's and relay's alike).
 */
export const RELAY_MIGRATIONS: readonly string[] = [
  // 5: the relay's outbox (postgres-outbox.ts). Part of the store's schema, not installed by the relay,
  // so the trigger exists before any event can be stored, on every instance, whatever the order they
  // start in: an event acknowledged to Meta can never be committed without its forwards. The trigger is
  // per statement over the rows it stored (ON CONFLICT's skipped rows are not in it): one call and one
  // join per batched INSERT, not one per event. Without destinations it inserts nothing.
  RELAY_SCHEMA,
  // 6: the relay's forwarded deliveries: several events sent as one, grouped once and kept so.
  RELAY_DELIVERIES,
  // 7: the relay's instances and the destinations each configures, so a destination one instance drops
  // while another still forwards it is neither forgotten nor its forwards ended, and drift is logged.
  RELAY_INSTANCES,
];
