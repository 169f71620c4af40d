// Three relay instances (real processes) on one PostgreSQL store share the forwarding: pushes go to
// all three round-robin, one is killed with SIGKILL mid-load, and afterwards every acknowledged event
// is at the destination (a reference server, which deduplicates by mid). In normal operation no
// event is sent twice: every delivery ends with exactly one recorded attempt, and the only attempts
// never recorded are those the killed instance had in flight.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { DEST_SECRET, RELAY_ACCOUNT, RELAY_SECRET, sleep, startDestination, TOKEN, waitFor } from '../support/relay.js';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

/** Attempts in flight per instance at most (the destination's concurrency). */
const CONCURRENCY = 4;

describe('three relay instances on one PostgreSQL store', () => {
  const instances: ServerProcess[] = [];
  afterAll(() => {
    for (const i of instances) i.child.kill('SIGKILL');
  });

  it('forward every acknowledged event through a SIGKILL, none twice in normal operation', async () => {
    const dest = await startDestination();
    const url = await cluster.createDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'ipk-relay-pg-'));
    const config = join(dir, 'config.json');
    // A timeout well above any attempt's time on a loaded machine: a retry would be a second attempt.
    const destination = { id: 'cc', url: dest.pushUrl, appSecret: DEST_SECRET, timeout: '5s', concurrency: CONCURRENCY };
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: RELAY_ACCOUNT, appSecret: RELAY_SECRET, destinations: [destination] }], inboxToken: TOKEN }));
    instances.push(...(await Promise.all([0, 1, 2].map(() => spawnServer({ CONFIG: config, DATABASE_URL: url, LOG_LEVEL: 'warn' }, [], 60_000)))));

    const acked: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const mid = `pg-${w}-${n}`;
        const target = instances[n % 3]!;
        try {
          if ((await push(target.url, textDelivery(mid), { secret: RELAY_SECRET })).status === 200) acked.push(mid);
        } catch {
          await sleep(5); // the killed instance refuses connections: the next push goes to another
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    await sleep(2000);
    instances[0]!.child.kill('SIGKILL');
    await instances[0]!.exited;
    await sleep(1500);
    stop = true;
    await load;
    expect(acked.length).toBeGreaterThan(20);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // The killed instance's leases run out (timeout + 5 s) and the survivors send those events.
      const stored = await waitFor('every acknowledged event at the destination', async () => {
        const mids = new Set(await dest.mids());
        return acked.every((m) => mids.has(m)) ? mids : undefined;
      }, 60_000);
      const counts = async () =>
        (await db.query<{ forwards: string; deliveries: string; delivered: string; started: string; recorded: string; events: string }>(
          // Attempts are per delivery (one or more events): counted on each delivery's first forward.
          `SELECT COUNT(*) AS forwards, COUNT(*) FILTER (WHERE state = 'delivered') AS delivered,
                  COUNT(*) FILTER (WHERE delivery = event_id) AS deliveries, SUM(attempts) FILTER (WHERE delivery = event_id) AS started,
                  (SELECT COUNT(*) FROM relay_attempts) AS recorded, (SELECT COUNT(*) FROM inbox_events) AS events FROM relay_forwards`,
        )).rows[0]!;
      const settled = await waitFor('every forward delivered', async () => {
        const c = await counts();
        return c.delivered === c.forwards ? c : undefined;
      }, 30_000);
      console.info(`relay on PostgreSQL: ${acked.length} acknowledged, ${stored.size} at the destination, ${settled.forwards} forwards in ${settled.deliveries} deliveries, ${settled.started} attempts started, ${settled.recorded} recorded`);
      expect(Number(settled.forwards)).toBe(Number(settled.events));
      expect(stored.size).toBe(Number(settled.events));
      // Each delivery was recorded once: no instance sent an event another had claimed.
      expect(Number(settled.recorded)).toBe(Number(settled.deliveries));
      // The attempts started but never recorded are the killed instance's in flight, at most its concurrency.
      expect(Number(settled.started) - Number(settled.recorded)).toBeLessThanOrEqual(CONCURRENCY);
    } finally {
      await db.end();
      await dest.close();
    }
  }, 150_000);
});
