// The one place the backend is chosen (server/store/open-store.ts): SQLite takes the data dir's lock and
// puts the relay's outbox on the inbox's own file; PostgreSQL takes no lock (it is shared by design).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../server/inbox/data-dir-lock.js';
import { openStore } from '../../server/store/open-store.js';

const dest = { id: 'x', channel: 'a', url: 'http://127.0.0.1:9/', enabled: true, timeoutMs: 1000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20 };
const silent = pino({ level: 'silent' });

describe('openStore', () => {
  it('opens SQLite in the data dir, holding its lock until release, with the outbox on the same file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipk-store-'));
    const store = openStore({ dataDir });
    expect(store.backend).toBe('sqlite');
    expect(() => openStore({ dataDir })).toThrow(DataDirLockedError);
    const outbox = store.relay.openOutbox([dest], silent);
    try {
      await outbox.open();
      await store.inbox.append([{ channel: 'a', mid: 'm1', entryId: '1', entryTime: 2, event: { message: { mid: 'm1' } }, dedupeKey: 'a/m1' }], new Date());
      expect((await outbox.status()).map((d) => [d.id, d.counts.pending])).toEqual([['x', 1]]);
    } finally {
      await outbox.close();
      await store.inbox.close();
      store.release();
    }
    const again = openStore({ dataDir });
    await again.inbox.close();
    again.release();
  });

  it('opens PostgreSQL when given a database URL, taking no lock on the data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipk-store-'));
    const stores = [openStore({ dataDir, databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }), openStore({ dataDir, databaseUrl: 'postgres://nobody@127.0.0.1:1/none' })];
    expect(stores.map((s) => s.backend)).toEqual(['postgresql', 'postgresql']);
    const local = openStore({ dataDir });
    for (const s of [...stores, local]) {
      await s.inbox.close();
      s.release();
    }
  });
});
