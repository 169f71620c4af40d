// Crash safety: kill -9 the relay (a real child process) while it takes pushes and forwards them, start
// it again, and every event it acknowledged reaches the destination, stored there exactly once.
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { push, textDelivery } from '../support/http.js';
import { spawnServer } from '../support/process.js';
import { DEST_SECRET, RELAY_ACCOUNT, RELAY_SECRET, sleep, startDestination, TOKEN, waitFor } from '../support/relay.js';

describe('relay crash safety', () => {
  it('forwards every acknowledged event after a SIGKILL under load, each stored once by the destination', async () => {
    const dest = await startDestination();
    const dir = mkdtempSync(join(tmpdir(), 'ipk-relay-crash-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ channels: [{ id: 'chan-a', accountId: RELAY_ACCOUNT, appSecret: RELAY_SECRET, destinations: [{ url: dest.pushUrl, appSecret: DEST_SECRET, timeout: '1s', concurrency: 8 }] }], inboxToken: TOKEN }),
    );
    const env = { CONFIG: config, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
    const first = await spawnServer(env, [], 60_000);
    const acked: string[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        try {
          const mid = `crash-${w}-${n}`;
          if ((await push(first.url, textDelivery(mid), { secret: RELAY_SECRET })).status === 200) acked.push(mid);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await sleep(3000);
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await load;
    const before = new Set(await dest.mids());
    expect(acked.length).toBeGreaterThan(5);

    const second = await spawnServer({ ...env, PORT: first.url.split(":").pop()! }, [], 60_000);
    try {
      // In-flight forwards wait out their lease (timeout + 5 s) before they are sent again.
      const stored = await waitFor('every acknowledged event at the destination', async () => {
        const mids = await dest.mids();
        return acked.every((m) => mids.includes(m)) ? mids : undefined;
      }, 40_000);
      console.info(`relay crash: ${acked.length} acknowledged, ${before.size} forwarded before SIGKILL, ${stored.length} stored at the destination after restart`);
      expect(new Set(stored).size).toBe(stored.length);
      // The only repeats are the attempts in flight at the kill (concurrency 8): every other attempt started
      // was recorded with its outcome. Checked once every forward is settled. Attempts are per delivery
      // (one or more events), counted on each delivery's first forward.
      const db = new Database(join(dir, 'data', 'inbox.sqlite'), { readonly: true });
      const counts = () => db.prepare("SELECT COUNT(*) AS forwards, (SELECT SUM(attempts) FROM relay_forwards WHERE delivery = event_id) AS started, SUM(state = 'delivered') AS delivered, (SELECT COUNT(*) FROM relay_attempts) AS recorded FROM relay_forwards").get() as { forwards: number; started: number; delivered: number; recorded: number };
      const settled = await waitFor('every forward delivered', () => {
        const c = counts();
        return c.delivered === c.forwards ? c : undefined;
      }, 40_000);
      db.close();
      console.info(`relay crash: ${settled.forwards} forwards, ${settled.started} attempts started, ${settled.recorded} recorded`);
      expect(settled.started - settled.recorded).toBeLessThanOrEqual(8);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await dest.close();
    }
  }, 120_000);
});
