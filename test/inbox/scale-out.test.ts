// Several real server processes on one PostgreSQL inbox, under load, with failures: one instance is
// killed with SIGKILL mid-load, and (separately) the database is stopped mid-load and started again.
// Afterwards every delivery that was answered 200 is in the inbox exactly once, and a reader that paged
// all along saw every one of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pages the inbox from the start until stopped, then reads to the end; returns every mid it saw. */
function pager(inbox: PostgresInbox) {
  const seen: string[] = [];
  let cursor: string | undefined;
  let running = true;
  const readAll = async () => {
    for (;;) {
      const page = await inbox.list({ limit: 50, cursor });
      seen.push(...page.items.map((i) => i.mid!));
      cursor = page.nextCursor;
      if (page.items.length < 50) return;
    }
  };
  const loop = (async () => {
    while (running) {
      await readAll().catch(() => undefined); // the database may be down for a while
      await sleep(20);
    }
  })();
  return {
    seen,
    async finish() {
      running = false;
      await loop;
      await readAll();
      return seen;
    },
  };
}

/** Pushes `delivery` to `url`; a connection refused (a killed instance) counts as no answer. */
async function attempt(url: string, mid: string): Promise<number> {
  try {
    return (await push(url, textDelivery(mid))).status;
  } catch {
    return 0;
  }
}

describe('three instances on one PostgreSQL inbox', () => {
  let instances: ServerProcess[] = [];
  afterAll(() => {
    for (const i of instances) i.child.kill('SIGKILL');
  });

  it('stores every acknowledged delivery exactly once through round-robin, races and a SIGKILL, and the reader sees all', async () => {
    const url = await cluster.createDatabase();
    instances = await Promise.all([0, 1, 2].map(() => spawnServer({ DATABASE_URL: url, LOG_LEVEL: 'warn' }, [], 60_000)));
    const reader = new PostgresInbox({ connectionString: url, poolSize: 1 });
    const paging = pager(reader);
    const acknowledged = new Set<string>();
    let n = 0;
    const sender = async (lane: number) => {
      for (let k = 0; k < 120; k++) {
        const mid = `rr-${lane}-${k}`;
        const i = n++ % 3;
        // Every fifth delivery is raced to two instances at once, as a retrying relay might.
        const targets = k % 5 === 0 ? [instances[i]!, instances[(i + 1) % 3]!] : [instances[i]!];
        const statuses = await Promise.all(targets.map((t) => attempt(t.url, mid)));
        if (statuses.includes(200)) acknowledged.add(mid);
        else expect(statuses.every((s) => s === 0), `${mid}: ${statuses}`).toBe(true);
      }
    };
    const lanes = Array.from({ length: 8 }, (_, lane) => sender(lane));
    await sleep(400);
    instances[2]!.child.kill('SIGKILL');
    await Promise.all(lanes);
    const seen = await paging.finish();
    await reader.close();

    const inbox = new PostgresInbox({ connectionString: url });
    const stored = (await inbox.list({ limit: 100_000 })).items.map((i) => i.mid!);
    await inbox.close();
    expect(acknowledged.size).toBeGreaterThan(500);
    expect(new Set(stored).size).toBe(stored.length);
    for (const mid of acknowledged) expect(stored).toContain(mid);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(stored));
  }, 90_000);
});

describe('PostgreSQL stopped mid-load', () => {
  it('answers no 200 it did not commit, never crashes, and recovers without a restart', async () => {
    const url = await cluster.createDatabase();
    const server = await spawnServer({ DATABASE_URL: url, LOG_LEVEL: 'warn' });
    try {
      const acknowledged: string[] = [];
      const refused: string[] = [];
      let stop = false;
      const sender = async (lane: number) => {
        for (let k = 0; !stop; k++) {
          const mid = `outage-${lane}-${k}`;
          const status = await attempt(server.url, mid);
          if (status === 200) acknowledged.push(mid);
          else {
            expect(status).toBe(500);
            refused.push(mid);
            await sleep(20);
          }
        }
      };
      const lanes = Array.from({ length: 4 }, (_, lane) => sender(lane));
      await sleep(300);
      cluster.stop('immediate');
      await sleep(800);
      cluster.start();
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i++) {
        ready = (await fetch(`${server.url}/readyz`)).status;
        if (ready !== 200) await sleep(100);
      }
      expect(ready).toBe(200);
      const before = acknowledged.length;
      await sleep(300);
      stop = true;
      await Promise.all(lanes);
      expect(server.child.exitCode).toBeNull();
      expect(refused.length).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(before);
      const inbox = new PostgresInbox({ connectionString: url });
      const stored = new Set((await inbox.list({ limit: 100_000 })).items.map((i) => i.mid));
      await inbox.close();
      // Nothing acknowledged is lost, even across the database's crash (-m immediate).
      for (const mid of acknowledged) expect(stored.has(mid), mid).toBe(true);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});
