// The store's failure bookkeeping (store-health.ts) in isolation: which code names a failure, once per
// cause per failing spell, and readiness' probe tried at most once per interval, one at a time.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../server/inbox/inbox.js';
import { StoreHealth, storeErrorCode } from '../../server/inbox/store-health.js';

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
