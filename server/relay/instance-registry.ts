// Which relay instances share a PostgreSQL store and which destinations each configures (the
// relay_instances table). The table of destinations is kept the union of the live instances' ones, so
// an instance started with a configuration that lacks a destination neither stops new events being
// forwarded to it by the others nor ends its forwards; and each instance learns what the others run.
import type pg from 'pg';
import type { Destination } from './destinations.js';
import { urlFingerprint, type Peer, type RegisteredDestination } from './drift.js';

/** Serialises registrations and discards across instances (a transaction-scoped advisory lock). */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('instagram-push-kit relay destinations'))";
/** The database's clock, so instances on several hosts age each other out on one clock. */
const NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

export interface Registration {
  instance: string;
  destinations: Destination[];
  /** An instance not seen for this long is gone: its registration, and what only it configured, is dropped. */
  ttlMs: number;
  /** At start the configuration's channel and switch win; at a heartbeat a destination missing is only put back. */
  atStart: boolean;
}

export const registered = (destinations: Destination[]): RegisteredDestination[] => destinations.map((d) => ({ id: d.id, urlHash: urlFingerprint(d.url) }));

/**
 * Drops the instances gone and the destinations no live instance configures. Run inside a transaction
 * (the caller's), under the lock.
 */
export async function pruneGone(client: pg.PoolClient, ttlMs: number): Promise<void> {
  await client.query(LOCK);
  await client.query(`DELETE FROM relay_instances WHERE seen_at < ${NOW} - $1`, [ttlMs]);
  await client.query(
    `DELETE FROM relay_destinations d WHERE NOT EXISTS (
       SELECT 1 FROM relay_instances i WHERE i.destinations @> jsonb_build_array(jsonb_build_object('id', d.id)))`,
  );
}

/**
 * Records this instance as live with its destinations, makes the table of destinations the union of
 * the live instances' ones, and answers the other live instances' registrations. Run inside a transaction.
 */
export async function register(client: pg.PoolClient, r: Registration): Promise<Peer[]> {
  await client.query(LOCK);
  await client.query(
    `INSERT INTO relay_instances (id, destinations, seen_at) VALUES ($1, $2::jsonb, ${NOW})
       ON CONFLICT (id) DO UPDATE SET destinations = excluded.destinations, seen_at = excluded.seen_at`,
    [r.instance, JSON.stringify(registered(r.destinations))],
  );
  const { destinations } = r;
  await client.query(
    `INSERT INTO relay_destinations (id, channel, enabled) SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])
       ON CONFLICT (id) DO ${r.atStart ? 'UPDATE SET channel = excluded.channel, enabled = excluded.enabled' : 'NOTHING'}`,
    [destinations.map((d) => d.id), destinations.map((d) => d.channel), destinations.map((d) => d.enabled)],
  );
  await pruneGone(client, r.ttlMs);
  const peers = await client.query<{ id: string; destinations: RegisteredDestination[] }>('SELECT id, destinations FROM relay_instances WHERE id <> $1 ORDER BY id', [r.instance]);
  return peers.rows.map((p) => ({ instance: p.id, destinations: p.destinations }));
}

/** A clean stop: the instance's registration goes at once (what only it configured goes at the others' next heartbeat). */
export async function deregister(pool: pg.Pool, instance: string): Promise<void> {
  await pool.query('DELETE FROM relay_instances WHERE id = $1', [instance]);
}
