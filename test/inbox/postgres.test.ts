// What only the shared store promises: several instances on one PostgreSQL inbox store each event once,
// start together without racing their migrations, never let a reader skip an event that commits late,
// and ride out a database outage without a restart and without a false 200.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { get, push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { serve } from '../../server/main.js';
import { startTestServer } from '../support/server.js';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const event = (mid: string): NewEvent => ({ channel: 'c', mid, entryId: null, entryTime: null, event: { message: { mid } }, dedupeKey: `k-${mid}` });

/** Reads everything after `cursor`, page by page. */
async function drain(inbox: PostgresInbox, cursor: string | undefined, limit: number): Promise<{ mids: string[]; cursor: string | undefined }> {
  const mids: string[] = [];
  for (;;) {
    const page = await inbox.list({ limit, cursor });
    mids.push(...page.items.map((i) => i.mid!));
    cursor = page.nextCursor;
    if (page.items.length < limit) return { mids, cursor };
  }
}

describe('the PostgreSQL inbox shared by several instances', () => {
  it('applies its migrations once when four instances start at the same moment', async () => {
    const url = await cluster.createDatabase();
    const instances = Array.from({ length: 4 }, () => new PostgresInbox({ connectionString: url }));
    try {
      expect(await Promise.all(instances.map((i) => i.ready()))).toEqual([true, true, true, true]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query('SELECT version FROM inbox_migrations ORDER BY version');
      await client.end();
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }, { version: 7 }]);
    } finally {
      await Promise.all(instances.map((i) => i.close()));
    }
  });

  it('stores an event delivered to two instances at the same moment once, and both answer 200', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = [new PostgresInbox({ connectionString: url }), new PostgresInbox({ connectionString: url })];
    const [sa, sb] = [await startTestServer({ inbox: a }), await startTestServer({ inbox: b })];
    try {
      for (let round = 0; round < 20; round++) {
        const delivery = textDelivery(`mid-both-${round}`);
        const answers = await Promise.all([push(sa.url, delivery), push(sb.url, delivery)]);
        expect(answers.map((r) => r.status)).toEqual([200, 200]);
      }
      // Each instance reads what the other stored.
      const mids = (await drain(b, undefined, 7)).mids;
      expect(mids.length).toBe(20);
      expect(new Set(mids).size).toBe(20);
    } finally {
      await sa.close();
      await sb.close();
      await a.close();
      await b.close();
    }
  });

  it('never lets a reader pass an event that commits after a later one', async () => {
    const url = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString: url });
    await inbox.ready();
    const slow = new pg.Client({ connectionString: url });
    await slow.connect();
    try {
      // A writer takes its id and transaction first, then stalls before COMMIT...
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO inbox_events (dedupe_key, channel, mid, event, received_at) VALUES ('k-slow', 'c', 'mid-slow', '{"message":{"mid":"mid-slow"}}', now())`);
      // ...while a later writer commits at once.
      await inbox.append([event('mid-fast')], new Date());
      const first = await drain(inbox, undefined, 10);
      await slow.query('COMMIT');
      const second = await drain(inbox, first.cursor, 10);
      // Whatever the first read saw, the two reads together hold both events, each once.
      expect([...first.mids, ...second.mids].sort()).toEqual(['mid-fast', 'mid-slow']);
    } finally {
      await slow.end();
      await inbox.close();
    }
  });

  it('hands a reader paging during many concurrent writers every event exactly once', async () => {
    const url = await cluster.createDatabase();
    const writers = Array.from({ length: 3 }, () => new PostgresInbox({ connectionString: url, poolSize: 8 }));
    const reader = new PostgresInbox({ connectionString: url, poolSize: 1 });
    await Promise.all([...writers, reader].map((i) => i.ready()));
    try {
      let writing = true;
      const written: string[] = [];
      const write = async (w: PostgresInbox, lane: number) => {
        for (let n = 0; n < 150; n++) {
          const batch = [event(`w${lane}-${n}-a`), event(`w${lane}-${n}-b`)];
          await w.append(batch, new Date());
          written.push(...batch.map((e) => e.mid!));
        }
      };
      const lanes = Array.from({ length: 12 }, (_, lane) => write(writers[lane % writers.length]!, lane));
      const seen: string[] = [];
      let cursor: string | undefined;
      const read = (async () => {
        while (writing) {
          const page = await drain(reader, cursor, 13);
          seen.push(...page.mids);
          cursor = page.cursor;
        }
      })();
      await Promise.all(lanes);
      writing = false;
      await read;
      seen.push(...(await drain(reader, cursor, 13)).mids);
      expect(written.length).toBe(12 * 150 * 2);
      expect(seen.length).toBe(written.length);
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seen)).toEqual(new Set(written));
    } finally {
      await Promise.all([...writers, reader].map((i) => i.close()));
    }
  }, 60_000);
});

describe('serve() with DATABASE_URL', () => {
  it('stores in PostgreSQL, and starts even while the database is unreachable (ready once it is)', async () => {
    const url = await cluster.createDatabase();
    const s = await serve({ port: 0, env: { DATABASE_URL: url, DATABASE_POOL_SIZE: '4', LOG_LEVEL: 'silent' } });
    try {
      expect((await push(s.url, textDelivery('mid-served'))).status).toBe(200);
      const inbox = new PostgresInbox({ connectionString: url });
      expect((await inbox.list({ limit: 10 })).items.map((i) => i.mid)).toEqual(['mid-served']);
      await inbox.close();
    } finally {
      await s.close();
    }
    const nowhere = await serve({ port: 0, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' } });
    try {
      expect((await get(`${nowhere.url}/readyz`)).status).toBe(503);
      expect((await push(nowhere.url, textDelivery('mid-nowhere'))).status).toBe(500);
    } finally {
      await nowhere.close();
    }
  });
});

describe('a database outage', () => {
  it('keeps the server up, answers 500 and /readyz 503 while PostgreSQL is down, and recovers without a restart', async () => {
    const url = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString: url, connectTimeoutMs: 500 });
    const server = await startTestServer({ inbox });
    try {
      expect((await push(server.url, textDelivery('mid-before-outage'))).status).toBe(200);
      cluster.stop('immediate');
      const during = await push(server.url, textDelivery('mid-during-outage'));
      expect(during.status).toBe(500);
      expect(during.json).toMatchObject({ code: 'store_unavailable' });
      expect((await get(`${server.url}/readyz`)).status).toBe(503);
      expect((await get(`${server.url}/healthz`)).status).toBe(200);
      cluster.start();
      let ready = 0;
      for (let i = 0; i < 50 && ready !== 200; i++) {
        ready = (await get(`${server.url}/readyz`)).status;
        if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(200);
      expect((await push(server.url, textDelivery('mid-during-outage'))).status).toBe(200);
      const mids = (await inbox.list({ limit: 10 })).items.map((i) => i.mid);
      expect(mids).toEqual(['mid-before-outage', 'mid-during-outage']);
    } finally {
      await server.close();
      await inbox.close();
    }
  }, 60_000);
});
