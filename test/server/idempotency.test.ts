// Redelivery and atomicity: the same event is stored once; a delivery is stored whole or not at all.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const count = async (predicate: (i: any) => boolean) => (await server.inbox.list({ limit: 1000 })).items.filter(predicate).length;

describe('idempotency', () => {
  it('stores a delivery sent three times once, and answers 200 each time', async () => {
    for (let i = 0; i < 3; i++) expect((await push(server.url, textDelivery('mid-thrice'))).status).toBe(200);
    expect(await count((i) => i.mid === 'mid-thrice')).toBe(1);
  });

  it('stores a delivery sent 20 times concurrently once', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => push(server.url, textDelivery('mid-race'))));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(await count((i) => i.mid === 'mid-race')).toBe(1);
  });

  it('keeps a deletion apart from the message it deletes, though they share the mid', async () => {
    const deletion = textDelivery('mid-del') as any;
    deletion.entry[0].messaging[0].message = { mid: 'mid-del', is_deleted: true };
    await push(server.url, textDelivery('mid-del'));
    await push(server.url, deletion);
    await push(server.url, deletion);
    expect(await count((i) => i.mid === 'mid-del')).toBe(2);
  });

  it('dedupes events without a mid by their content, whatever the key order', async () => {
    const read = (order: 'a' | 'b') =>
      order === 'a'
        ? `{"entry":[{"id":"1","messaging":[{"sender":{"id":"s"},"recipient":{"id":"r"},"timestamp":5,"read":{"mid":"mid-read"}}]}]}`
        : `{"entry":[{"id":"1","messaging":[{"read":{"mid":"mid-read"},"timestamp":5,"recipient":{"id":"r"},"sender":{"id":"s"}}]}]}`;
    await push(server.url, read('a'));
    await push(server.url, read('b'));
    expect(await count((i) => i.mid === 'mid-read')).toBe(1);
  });

  it('keeps the same mid on two channels apart', async () => {
    await push(server.url, textDelivery('mid-two-channels'), { chanId: 'x' });
    await push(server.url, textDelivery('mid-two-channels'), { chanId: 'y' });
    expect(await count((i) => i.mid === 'mid-two-channels')).toBe(2);
  });

  it('stores a batch whose events are partly known: the new ones only, and answers 200', async () => {
    await push(server.url, textDelivery('mid-known'));
    const batch = textDelivery('mid-known') as any;
    batch.entry[0].messaging.push({ message: { mid: 'mid-new-in-batch' } });
    expect((await push(server.url, batch)).status).toBe(200);
    expect(await count((i) => i.mid === 'mid-known')).toBe(1);
    expect(await count((i) => i.mid === 'mid-new-in-batch')).toBe(1);
  });
});

describe('atomicity and store failures', () => {
  it('stores none of a batch when one event cannot be written, answers 500 store_unavailable, and takes the retry', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-atomic-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const saboteur = new Database(file);
    saboteur.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON events WHEN NEW.mid = 'mid-poison'
                   BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const s = await startTestServer({ inbox });
    try {
      const batch = textDelivery('mid-first-of-batch') as any;
      batch.entry[0].messaging.push({ message: { mid: 'mid-poison' } }, { message: { mid: 'mid-last-of-batch' } });
      const r = await push(s.url, batch);
      expect(r.status).toBe(500);
      expect(r.json.code).toBe('store_unavailable');
      expect((await inbox.list({ limit: 100 })).items).toEqual([]);
      // Other deliveries committed in the same group are unaffected.
      const [bad, good] = await Promise.all([push(s.url, batch), push(s.url, textDelivery('mid-neighbour'))]);
      expect(bad.status).toBe(500);
      expect(good.status).toBe(200);
      saboteur.exec('DROP TRIGGER refuse_poison');
      expect((await push(s.url, batch)).status).toBe(200);
      const mids = (await inbox.list({ limit: 100 })).items.map((i) => i.mid);
      expect(mids.sort()).toEqual(['mid-first-of-batch', 'mid-last-of-batch', 'mid-neighbour', 'mid-poison']);
    } finally {
      saboteur.close();
      await s.close();
      await inbox.close();
    }
  });

  it('answers 500 (never 200) when the commit itself fails', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-commit-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const s = await startTestServer({ inbox });
    // Another connection holds the write lock longer than the busy timeout allows: BEGIN IMMEDIATE fails.
    const blocker = new Database(file, { timeout: 0 });
    blocker.pragma('busy_timeout = 0');
    try {
      (inbox as any).db.pragma('busy_timeout = 50');
      blocker.exec('BEGIN IMMEDIATE');
      const r = await push(s.url, textDelivery('mid-locked'));
      expect(r.status).toBe(500);
      blocker.exec('ROLLBACK');
      expect((await inbox.list({ limit: 10 })).items).toEqual([]);
      expect((await push(s.url, textDelivery('mid-locked'))).status).toBe(200);
    } finally {
      blocker.close();
      await s.close();
      await inbox.close();
    }
  });
});
