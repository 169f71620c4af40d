// SQLite only: a commit that cannot take the write lock answers 500, never 200. (Idempotency and
// atomicity, shared by both stores, are in test/inbox/behaviour.test.ts.)
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('the SQLite store under lock contention', () => {
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
