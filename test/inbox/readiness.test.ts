// Readiness that tells the truth about the store (store-health.ts), on both stores through the real
// server: /readyz answers 503 store_unavailable while writes fail and 200 again after the next write that
// succeeds (a delivery's, or the probe /readyz tries itself); each cause is logged once, by its code,
// never with the event's content.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import type { Inbox } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { validateSchema } from '../support/contract.js';
import { get, push, request, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Fixture {
  inbox: Inbox;
  /** Makes every write of an event fail, as a full disk or a read-only database would. */
  breakWrites(): Promise<void>;
  repair(): Promise<void>;
  /** The code the store reports for breakWrites' failure. */
  code: string;
  close(): Promise<void>;
}

/** Log lines the store writes, parsed. */
type Line = { level: number; msg: string; code?: string; causes?: string[]; store?: string };

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const SECRET_TEXT = 'the customer wrote this in confidence';

const stores: { name: string; open: (lines: string[], probeEveryMs: number) => Promise<Fixture> }[] = [
  {
    name: 'SQLite',
    async open(lines, probeEveryMs) {
      const file = join(mkdtempSync(join(tmpdir(), 'ipk-readiness-')), 'inbox.sqlite');
      const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
      const inbox = new SqliteInbox({ file, logger, probeEveryMs });
      const side = new Database(file);
      return {
        inbox,
        code: 'SQLITE_CONSTRAINT_TRIGGER',
        async breakWrites() {
          side.exec(`CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
        },
        async repair() {
          side.exec('DROP TRIGGER broken');
        },
        async close() {
          side.close();
          await inbox.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open(lines, probeEveryMs) {
      const url = await cluster.createDatabase();
      const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
      const inbox = new PostgresInbox({ connectionString: url, logger, probeEveryMs });
      expect(await inbox.ready()).toBe(true);
      const side = new pg.Client({ connectionString: url });
      await side.connect();
      return {
        inbox,
        // What a read-only standby answers after a failover (read_only_sql_transaction).
        code: '25006',
        async breakWrites() {
          await side.query(`CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$
                              BEGIN RAISE EXCEPTION 'disk says no %', NEW.event USING ERRCODE = '25006'; END $$;
                            CREATE TRIGGER broken BEFORE INSERT ON inbox_events FOR EACH ROW EXECUTE FUNCTION broken();`);
        },
        async repair() {
          await side.query('DROP TRIGGER broken ON inbox_events; DROP FUNCTION broken();');
        },
        async close() {
          await side.end();
          await inbox.close();
        },
      };
    },
  },
];

/** Polls /readyz until it answers `status`, for at most 20 s (a shared CPU can be slow). */
async function readyzBecomes(url: string, status: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await get(`${url}/readyz`)).status;
    if (last === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(last, `/readyz never answered ${status}`).toBe(status);
}

describe.each(stores)('readiness on the $name inbox', ({ open }) => {
  let store: Fixture;
  let server: TestServer;
  const lines: string[] = [];
  const logged = (): Line[] => lines.map((l) => JSON.parse(l) as Line);

  beforeAll(async () => {
    // The probe may run every 100 ms here, so recovery without deliveries is seen quickly.
    store = await open(lines, 100);
    server = await startTestServer({ inbox: store.inbox });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  it('answers 503 store_unavailable while writes fail, logs the cause once by its code, and 200 again once writes work without any delivery', async () => {
    expect((await get(`${server.url}/readyz`)).json).toEqual({ status: 'ready' });
    await store.breakWrites();
    for (let i = 0; i < 3; i++) {
      const r = await push(server.url, textDelivery(`mid-broken-${i}`, undefined, SECRET_TEXT));
      expect(r.status).toBe(500);
      expect(r.json.code).toBe('store_unavailable');
    }
    const r = await get(`${server.url}/readyz`);
    expect(r.status).toBe(503);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(validateSchema('ErrorBody', r.json).errors).toEqual([]);
    expect(r.json.code).toBe('store_unavailable');
    // The cause in words with its code, and since when: the first failed delivery, not this check.
    expect(r.json.storeFailure).toMatchObject({ code: store.code, reason: expect.any(String), action: expect.any(String) });
    expect(Date.parse(r.json.storeFailure.since)).toBeLessThan(Date.now());
    expect(r.json.resultMsg).toContain(`(${store.code}) since ${r.json.storeFailure.since}`);
    // Still failing: the probe meets the same failure, and the cause is not logged again.
    await new Promise((res) => setTimeout(res, 150));
    expect((await get(`${server.url}/readyz`)).status).toBe(503);
    const failures = logged().filter((l) => l.level === 50);
    expect(failures.map((l) => [l.store, l.code])).toEqual([[expect.any(String), store.code]]);
    expect(failures[0]!.msg).toContain(store.code);
    expect(lines.join('\n')).not.toContain(SECRET_TEXT);
    expect(lines.join('\n')).not.toContain('disk says no');

    await store.repair();
    await readyzBecomes(server.url, 200);
    expect(logged().filter((l) => l.level === 30).map((l) => l.causes)).toEqual([[store.code]]);
    expect((await push(server.url, textDelivery('mid-after-repair'))).status).toBe(200);
  });

  it('answers 200 again right after the next delivery that commits, without waiting for its own probe', async () => {
    const ownLines: string[] = [];
    // A probe at most once a minute: only the delivery's commit can make it ready within this test.
    const slow = await open(ownLines, 60_000);
    const other = await startTestServer({ inbox: slow.inbox });
    try {
      await slow.breakWrites();
      expect((await push(other.url, textDelivery('mid-broken-again'))).status).toBe(500);
      expect((await get(`${other.url}/readyz`)).status).toBe(503);
      await slow.repair();
      expect((await get(`${other.url}/readyz`)).status).toBe(503);
      expect((await push(other.url, textDelivery('mid-broken-again'))).status).toBe(200);
      expect((await get(`${other.url}/readyz`)).status).toBe(200);
      expect(ownLines.map((l) => (JSON.parse(l) as Line).level)).toEqual([50, 30]);
    } finally {
      await other.close();
      await slow.close();
    }
  });

  it('answers 405 with Allow for a method other than GET', async () => {
    const r = await request(`${server.url}/readyz`, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toMatch(/GET/);
    expect(r.json.code).toBe('method_not_allowed');
  });
});

describe('readiness before warm-up', () => {
  it('answers 503 internal_error until the app has warmed up its validators, then 200', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-readiness-cold-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const app = createApp({ inbox, logger: pino({ level: 'silent' }) });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const cold = await get(`${url}/readyz`);
      expect(cold.status).toBe(503);
      expect(validateSchema('ErrorBody', cold.json).errors).toEqual([]);
      expect(cold.json.code).toBe('internal_error');
      await app.warmUp();
      expect((await get(`${url}/readyz`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await inbox.close();
    }
  });
});
