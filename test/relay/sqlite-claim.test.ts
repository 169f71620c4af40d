// SQLite only: a claim reads the due forwards and then writes their lease. Begun deferred, a claim that
// meets the inbox's writer mid-commit fails with SQLITE_BUSY ("database is locked") despite the busy
// timeout, since a read transaction that must become a write one cannot wait. Begun IMMEDIATE, it waits
// for the lock and then reads.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import type { Destination } from '../../server/relay/destinations.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';

const dest: Destination = { id: 'x', channel: 'a', url: 'http://127.0.0.1:9/', enabled: true, timeoutMs: 1000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20 };

describe("the SQLite outbox's claim", () => {
  it('waits for a write lock another connection holds, then claims, instead of failing SQLITE_BUSY', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-claim-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const outbox = new SqliteOutbox(file, [dest]);
    try {
      await inbox.append([{ channel: 'a', mid: 'm1', entryId: '1', entryTime: 2, event: { message: { mid: 'm1' } }, dedupeKey: 'a/m1' }], new Date());
      const signal = new SharedArrayBuffer(4);
      const holder = new Worker(new URL('../fixtures/worker/hold-write-lock.mjs', import.meta.url), { workerData: { file, ms: 300, signal } });
      const done = new Promise((resolve) => holder.once('exit', resolve));
      // The claim starts only once the other connection holds the lock.
      Atomics.wait(new Int32Array(signal), 0, 0, 10_000);
      const claimed = await outbox.claim('x', Date.now(), Date.now() + 60_000, 1, { maxEvents: 1, maxBytes: 1 << 20 });
      expect(claimed.map((c) => c.events.map((e) => e.eventId))).toEqual([[1]]);
      await done;
    } finally {
      await outbox.close();
      await inbox.close();
    }
  });
});
