// RETENTION: what is older than the period is deleted, in bounded batches, at start and periodically;
// a bad setting stops the server at start; an open console stream does not hold shutdown up.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { serve } from '../../server/main.js';
import { parseDuration, pruneOnce, startRetention } from '../../server/run/retention.js';
import { get } from '../support/http.js';
import { openSse } from '../support/sse.js';

const day = 86_400_000;
const events = (prefix: string, n: number): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ({ channel: 'c', mid: `${prefix}-${i}`, entryId: null, entryTime: null, event: { i }, dedupeKey: `${prefix}-${i}` }));
const silent = pino({ level: 'silent' });

describe('retention', () => {
  it('reads durations in the one grammar (milliseconds to weeks, or bare milliseconds), and refuses anything else', () => {
    expect(parseDuration('30d')).toBe(30 * day);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration(' 90m ')).toBe(90 * 60_000);
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('2W')).toBe(14 * day);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30')).toBe(30);
    for (const bad of ['', 'd', '0d', '1.5d', '30 days', '-1d']) expect(() => parseDuration(bad), bad).toThrow(/RETENTION/);
  });

  it('deletes everything older than the period in batches, and nothing newer', async () => {
    const inbox = new SqliteInbox({ file: join(mkdtempSync(join(tmpdir(), 'ipk-retention-')), 'inbox.sqlite') });
    const now = Date.parse('2026-11-25T00:00:00Z');
    await inbox.append(events('old', 25), new Date(now - 40 * day));
    await inbox.append(events('new', 5), new Date(now - 10 * day));
    const deleted = await pruneOnce({ inbox, olderThanMs: 30 * day, batch: 10, logger: silent, now: () => now });
    expect(deleted).toBe(25);
    expect((await inbox.list({ limit: 100 })).items.map((i) => i.mid)).toEqual(events('new', 5).map((e) => e.mid));
    await inbox.close();
  });

  it('stops after maxBatches so one round stays short, and works the rest off in later rounds', async () => {
    const inbox = new SqliteInbox({ file: join(mkdtempSync(join(tmpdir(), 'ipk-retention-')), 'inbox.sqlite') });
    await inbox.append(events('old', 7), new Date(Date.now() - 2 * day));
    const options = { inbox, olderThanMs: day, batch: 2, maxBatches: 2, logger: silent };
    expect(await pruneOnce(options)).toBe(4);
    expect(await pruneOnce(options)).toBe(3);
    await inbox.close();
  });

  it('prunes at start and again every period, and logs a failed prune instead of throwing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-retention-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    await inbox.append(events('old', 3), new Date(Date.now() - 2 * day));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const r = startRetention({ inbox, olderThanMs: day, everyMs: 20, logger });
    await new Promise((res) => setTimeout(res, 10));
    expect((await inbox.list({ limit: 10 })).items).toEqual([]);
    // Break the store under the pruner: the next round fails, is logged, and the process lives on.
    const side = new Database(file);
    side.exec('DROP TABLE events');
    await new Promise((res) => setTimeout(res, 60));
    await r.stop();
    side.close();
    await inbox.close();
    expect(lines.some((l) => l.includes('"deleted":3'))).toBe(true);
    expect(lines.some((l) => l.includes('prune failed'))).toBe(true);
  });

  it('stops the server at start when RETENTION is not a duration', async () => {
    await expect(serve({ port: 0, env: { RETENTION: 'forever', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } })).rejects.toThrow(/RETENTION/);
    await expect(serve({ port: 0, env: { DATABASE_POOL_SIZE: 'many', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } })).rejects.toThrow(/DATABASE_POOL_SIZE/);
  });

  it('runs with RETENTION set, and shuts down while a console stream is open', async () => {
    const s = await serve({ port: 0, env: { RETENTION: '30d', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } });
    expect((await get(`${s.url}/readyz`)).status).toBe(200);
    const feed = await openSse(`${s.url}/inbox/events`);
    await feed.reader.waitFor((m) => m.event === 'ready');
    await s.close();
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    feed.reader.close();
  });
});
