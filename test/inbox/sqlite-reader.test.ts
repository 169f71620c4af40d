// SQLite only: reads run in reader threads, off the thread that answers pushes. A read a thread could not
// answer fails with StoreUnavailableError (the route answers 500) and the next read is answered; reads
// spread over the threads; a closed store refuses reads. (What reads return is pinned on both stores in
// test/inbox/behaviour.test.ts.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../server/inbox/delivery-events.js';
import { StoreUnavailableError, type NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';

const newFile = () => join(mkdtempSync(join(tmpdir(), 'ipk-reader-')), 'inbox.sqlite');

function event(mid: string): NewEvent {
  const e = { sender: { id: '1' }, recipient: { id: '2' }, timestamp: 1, message: { mid, text: 'hello' } };
  return { channel: 'chan-a', mid, entryId: null, entryTime: null, event: e, dedupeKey: dedupeKey('chan-a', e) };
}

describe("the SQLite store's reader threads", () => {
  it('fails a read whose thread died with StoreUnavailableError, then reads again on a new thread', async () => {
    const inbox = new SqliteInbox({ file: newFile(), readThreads: 1 });
    try {
      await inbox.append([event('mid-1')], new Date());
      expect((await inbox.list({ limit: 10 })).items.map((i) => i.mid)).toEqual(['mid-1']);
      const slot = (inbox as any).reader.slots[0];
      const read = inbox.list({ limit: 10, q: 'hello' });
      await slot.thread.terminate();
      await expect(read).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(read).rejects.toMatchObject({ cause: { message: 'the reader thread exited with code 1' } });
      expect((await inbox.tail(10)).items.map((i) => i.mid)).toEqual(['mid-1']);
    } finally {
      await inbox.close();
    }
  });

  it('fails a read the thread reported an error for, and answers the next one', async () => {
    const inbox = new SqliteInbox({ file: newFile(), readThreads: 1 });
    try {
      await inbox.append([event('mid-1')], new Date());
      // A value SQLite cannot bind: the thread's statement throws, the read fails, the thread lives on.
      await expect(inbox.list({ limit: 10, channel: { not: 'a string' } as unknown as string })).rejects.toBeInstanceOf(StoreUnavailableError);
      const thread = (inbox as any).reader.slots[0].thread;
      expect((await inbox.list({ limit: 10 })).items).toHaveLength(1);
      expect((inbox as any).reader.slots[0].thread).toBe(thread);
      // What Node emits when the thread itself throws: the pending read fails with that cause.
      const read = inbox.list({ limit: 10 });
      thread.emit('error', new Error('the thread threw'));
      await expect(read).rejects.toMatchObject({ cause: { message: 'the thread threw' } });
      expect((await inbox.list({ limit: 10 })).items).toHaveLength(1);
    } finally {
      await inbox.close();
    }
  });

  it('spreads reads over its threads, and refuses reads once closed', async () => {
    const inbox = new SqliteInbox({ file: newFile(), readThreads: 2 });
    await inbox.append([event('mid-1'), event('mid-2')], new Date());
    const slots = (inbox as any).reader.slots as Array<{ pending: number }>;
    const reads = [inbox.list({ limit: 10 }), inbox.list({ limit: 10 })];
    expect(slots.map((s) => s.pending)).toEqual([1, 1]);
    expect((await Promise.all(reads)).map((p) => p.items.length)).toEqual([2, 2]);
    await inbox.close();
    await expect(inbox.list({ limit: 10 })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(inbox.tail(10)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
