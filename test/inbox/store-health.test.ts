// The store's failure bookkeeping (store-health.ts) in isolation: which code names a failure, once per
// cause per failing spell, and readiness' probe tried at most once per interval, one at a time.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../server/inbox/inbox.js';
import { describeStoreError, storeErrorCode } from '../../server/inbox/store-errors.js';
import { StoreHealth } from '../../server/inbox/store-health.js';

describe('storeErrorCode', () => {
  it("finds the driver's code along the cause chain, and says UNKNOWN when there is none", () => {
    const sqlite = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(storeErrorCode(new StoreUnavailableError('the inbox could not commit', { cause: sqlite }))).toBe('SQLITE_FULL');
    expect(storeErrorCode(Object.assign(new Error('x'), { code: '54000' }))).toBe('54000');
    expect(storeErrorCode(new StoreUnavailableError('closed'))).toBe('UNKNOWN');
    expect(storeErrorCode('a string')).toBe('UNKNOWN');
    expect(storeErrorCode(null)).toBe('UNKNOWN');
    // Only code-shaped values: a code field holding text from elsewhere is not logged.
    expect(storeErrorCode(Object.assign(new Error('x'), { code: 'the customer said hi' }))).toBe('UNKNOWN');
    expect(storeErrorCode(Object.assign(new Error('x'), { code: 42 }))).toBe('UNKNOWN');
  });
});

describe('StoreHealth', () => {
  const logged = () => {
    const lines: string[] = [];
    return { lines, logger: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }) };
  };

  it('logs each distinct code once per failing spell, and the recovery once', async () => {
    const { lines, logger } = logged();
    const health = new StoreHealth('sqlite', { logger });
    const full = Object.assign(new Error('full'), { code: 'SQLITE_FULL' });
    const busy = Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' });
    for (const err of [full, full, busy, full]) await health.track(Promise.reject(err)).catch(() => {});
    expect(health.writable).toBe(false);
    expect(health.causes).toEqual(['SQLITE_FULL', 'SQLITE_BUSY']);
    await health.track(Promise.resolve(1));
    await health.track(Promise.resolve(2));
    expect(health.writable).toBe(true);
    await health.track(Promise.reject(full)).catch(() => {});
    expect(lines.map((l) => JSON.parse(l)).map((l) => [l.level, l.code ?? l.causes])).toEqual([
      [50, 'SQLITE_FULL'],
      [50, 'SQLITE_BUSY'],
      [30, ['SQLITE_FULL', 'SQLITE_BUSY']],
      [50, 'SQLITE_FULL'],
    ]);
  });

  it('while failing, tries one probe at a time and at most once per interval', async () => {
    const health = new StoreHealth('postgresql', { probeEveryMs: 60_000 });
    let probes = 0;
    const failing = () => {
      probes++;
      return Promise.reject(Object.assign(new Error('read-only'), { code: '25006' }));
    };
    expect(await health.ready(failing)).toBe(true);
    expect(probes).toBe(0);
    health.failed(new Error('x'));
    expect(await Promise.all([health.ready(failing), health.ready(failing), health.ready(failing)])).toEqual([false, false, false]);
    expect(probes).toBe(1);
    expect(await health.ready(failing)).toBe(false);
    expect(probes).toBe(1);
    expect(health.causes).toEqual(['UNKNOWN', '25006']);
    // A write that succeeds makes it ready at once, whatever the probe said last.
    health.succeeded();
    expect(await health.ready(failing)).toBe(true);
  });
});

describe('a spell of writes that failed for want of space', () => {
  const full = Object.assign(new Error('full'), { code: 'SQLITE_FULL' });

  it('ends only with a write at least as large as the last one that failed; the probe is asked for that size', async () => {
    const health = new StoreHealth('sqlite', { probeEveryMs: 0 });
    await health.track(Promise.reject(full), () => 200_000).catch(() => {});
    await health.track(Promise.resolve('small'), () => 1_000);
    expect(health.writable).toBe(false);
    const asked: number[] = [];
    expect(await health.ready(async (bytes) => asked.push(bytes))).toBe(true);
    expect(asked).toEqual([200_000]);
  });

  it('a delivery as large as the failed one ends it too; other causes end with any write', async () => {
    const health = new StoreHealth('sqlite');
    await health.track(Promise.reject(full), 5_000).catch(() => {});
    await health.track(Promise.resolve(1), 5_000);
    expect(health.writable).toBe(true);
    await health.track(Promise.reject(Object.assign(new Error('x'), { code: 'SQLITE_READONLY' })), 5_000).catch(() => {});
    await health.track(Promise.resolve(1), 10);
    expect(health.writable).toBe(true);
  });

  it('names the failure in words, with its code and since when; none while writes succeed', async () => {
    const health = new StoreHealth('postgresql');
    expect(health.failure).toBeUndefined();
    const before = Date.now();
    health.failed(Object.assign(new Error('x'), { code: '28P01' }));
    health.failed(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }));
    const failure = health.failure!;
    expect(failure).toMatchObject({ code: 'ECONNREFUSED', reason: 'connection refused', permanent: false });
    expect(failure.since.getTime()).toBeGreaterThanOrEqual(before);
    health.succeeded();
    expect(health.failure).toBeUndefined();
  });
});

describe('describeStoreError', () => {
  it.each([
    ['SQLITE_FULL', 'disk full', false, true],
    ['SQLITE_READONLY_DBMOVED', 'read-only', true, false],
    ['28P01', 'authentication failed', true, false],
    ['3D000', 'the database does not exist', true, false],
    ['ENOTFOUND', 'the host name does not resolve', true, false],
    ['ECONNREFUSED', 'connection refused', false, false],
    ['53100', 'disk full', false, true],
    ['25006', 'read-only', false, false],
    ['XX999', 'the store failed', false, false],
  ])('%s: %s (permanent %s, space %s)', (code, reason, permanent, space) => {
    const meaning = describeStoreError(new StoreUnavailableError('x', { cause: Object.assign(new Error('y'), { code }) }));
    expect(meaning).toMatchObject({ code, permanent, space });
    expect(meaning.reason).toContain(reason);
    expect(meaning.action.length).toBeGreaterThan(5);
  });
});
