// The SQLite reads as the reader thread runs them, driven in-process on a connection of their own: a
// page in id order either way with its filters and search words, cut at its byte budget (one row
// always), and the tail's snapshot. (Through the threads and HTTP: behaviour.test.ts, read-bounds.test.ts.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dedupeKey } from '../../server/inbox/delivery-events.js';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { SqliteReads, takeWithin, type ReadRow } from '../../server/inbox/sqlite-reads.js';
import { openDatabase } from '../../server/inbox/sqlite-schema.js';

function event(i: number, text: string): NewEvent {
  const e = { sender: { id: '1' }, recipient: { id: '2' }, timestamp: i, message: { mid: `mid-${i}`, text } };
  return { channel: i % 2 ? 'odd' : 'even', mid: `mid-${i}`, entryId: null, entryTime: null, event: e, dedupeKey: dedupeKey('c', e) };
}

describe('the SQLite reads', () => {
  it('pages either way with filters and words, within a byte budget, and tails one snapshot', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-reads-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    await inbox.append([0, 1, 2, 3, 4].map((i) => event(i, i === 3 ? 'Blue 100%_done' : `${i}`.padEnd(1000, 'x'))), new Date());
    await inbox.close();
    const db = openDatabase(file, 1000);
    try {
      const reads = new SqliteReads(db);
      const mids = (rows: ReadRow[]) => rows.map((r) => r.mid);
      expect(mids(reads.list({ limit: 10 }, 1e9).rows)).toEqual(['mid-0', 'mid-1', 'mid-2', 'mid-3', 'mid-4']);
      expect(mids(reads.list({ limit: 10, order: 'desc', cursor: '3' }, 1e9).rows)).toEqual(['mid-1', 'mid-0']);
      expect(mids(reads.list({ limit: 10, channel: 'odd', direction: 'inbound', kind: 'text' }, 1e9).rows)).toEqual(['mid-1', 'mid-3']);
      expect(mids(reads.list({ limit: 10, q: 'blue 100%_' }, 1e9).rows)).toEqual(['mid-3']);
      expect(reads.list({ limit: 10, q: '100%x' }, 1e9).rows).toEqual([]);
      expect(reads.list({ limit: 10, q: 'a\u0000b', cursor: '2' }, 1e9)).toEqual({ rows: [], nextCursor: '2', truncated: false });
      const cut = reads.list({ limit: 10 }, 2500);
      expect([mids(cut.rows), cut.nextCursor, cut.truncated]).toEqual([['mid-0', 'mid-1'], '2', true]);
      const tail = reads.tail(2, 1e9);
      expect([mids(tail.rows), tail.nextCursor, tail.truncated]).toEqual([['mid-3', 'mid-4'], '5', false]);
      expect(reads.tail(5, 1).rows.map((r) => r.mid)).toEqual(['mid-4']);
    } finally {
      db.close();
    }
  });

  it('takes one row however large, stops at the limit, and never reads past the cut', () => {
    const row = (id: number, bytes: number) => ({ id, event: 'x'.repeat(bytes) }) as ReadRow;
    let pulled = 0;
    function* rows() {
      for (let i = 1; i <= 100; i++) {
        pulled++;
        yield row(i, 10);
      }
    }
    expect(takeWithin([row(1, 50)], 10, 5)).toMatchObject({ truncated: false });
    expect(takeWithin(rows(), 3, 1000).rows.map((r) => r.id)).toEqual([1, 2, 3]);
    pulled = 0;
    expect(takeWithin(rows(), 100, 25)).toMatchObject({ truncated: true });
    expect(pulled).toBe(3);
    // Multi-byte text counts in UTF-8 bytes.
    expect(takeWithin([row(1, 1), { id: 2, event: 'é'.repeat(10) } as ReadRow], 10, 20).rows).toHaveLength(1);
  });
});
