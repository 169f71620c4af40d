// One spelling for kinds (classify.ts): a store written when a quick reply was stored as `quick reply`
// answers `quick_reply` once opened by this version (migration 4 on both stores), and a filter finds it.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../server/inbox/postgres-migrations.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../server/inbox/sqlite-schema.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';

const quickReply = (mid: string): NewEvent => ({
  channel: 'chan-a',
  mid,
  entryId: '17841400000000000',
  entryTime: 1732519200123,
  event: { message: { mid, text: 'Yes', quick_reply: { payload: 'Y' } } },
  dedupeKey: JSON.stringify(['m', 'chan-a', mid]),
});

/** The schema version the rename brings a store to (the migrations after it run again in these tests). */
const renamedIn = (migrations: readonly unknown[]) => migrations.findIndex((m) => typeof m === 'string' && m.includes("SET kind = 'quick_reply'")) + 1;

async function expectRenamed(inbox: Inbox): Promise<void> {
  expect((await inbox.list({ limit: 10 })).items.map((i) => [i.mid, i.kind])).toEqual([['qr-1', 'quick_reply'], ['qr-2', 'quick_reply']]);
  expect((await inbox.list({ limit: 10, kind: 'quick_reply' })).items).toHaveLength(2);
  expect((await inbox.list({ limit: 10, kind: 'quick reply' })).items).toHaveLength(0);
}

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

describe('stored kinds spelled before snake_case', () => {
  it('are renamed by a migration on each store', () => {
    expect(renamedIn(SQLITE_MIGRATIONS)).toBeGreaterThan(2);
    expect(renamedIn(PG_MIGRATIONS)).toBeGreaterThan(2);
  });

  it('SQLite: a schema version 2 file holding `quick reply` answers `quick_reply` once opened', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-kinds-')), 'inbox.sqlite');
    const first = new SqliteInbox({ file });
    await first.append([quickReply('qr-1'), quickReply('qr-2')], new Date());
    await first.close();
    const side = new Database(file);
    side.exec(`UPDATE events SET kind = 'quick reply'`);
    side.pragma(`user_version = ${renamedIn(SQLITE_MIGRATIONS) - 1}`);
    side.close();
    const upgraded = new SqliteInbox({ file });
    try {
      await expectRenamed(upgraded);
    } finally {
      await upgraded.close();
    }
  });

  it('PostgreSQL: a schema version 2 database holding `quick reply` answers `quick_reply` once opened', async () => {
    const url = await cluster.createDatabase();
    const first = new PostgresInbox({ connectionString: url });
    expect(await first.ready()).toBe(true);
    await first.append([quickReply('qr-1'), quickReply('qr-2')], new Date());
    await first.close();
    const side = new pg.Client({ connectionString: url });
    await side.connect();
    await side.query(`UPDATE inbox_events SET kind = 'quick reply'; DELETE FROM inbox_migrations WHERE version >= ${renamedIn(PG_MIGRATIONS)}`);
    await side.end();
    const upgraded = new PostgresInbox({ connectionString: url });
    try {
      expect(await upgraded.ready()).toBe(true);
      await expectRenamed(upgraded);
    } finally {
      await upgraded.close();
    }
  });
});
