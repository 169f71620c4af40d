// A stored row the contract cannot serve is named and left out; the rows beside it are served as they are.
import { describe, expect, it } from 'vitest';
import type { InboxItem, InboxPage } from 'instagram-push-kit';
import { compileItemCheck, createServable, logUnservable, servablePage, type UnservableItem } from '../../server/read/servable.js';
import { loadBundledSpec } from '../../server/contract/spec.js';

const check = compileItemCheck(loadBundledSpec());

// Loosely typed on purpose: stored rows may hold what the contract's types rule out.
const item = (id: string, change: Record<string, unknown> = {}): InboxItem => ({
  id,
  channel: 'chan-a',
  mid: `mid-${id}`,
  entryId: '17841400000000000',
  entryTime: 1569262486134,
  event: { sender: { id: '1' }, recipient: { id: '2' }, timestamp: 1569262486000, message: { mid: `mid-${id}`, text: 'hi' } },
  receivedAt: '2024-11-25T07:20:00.123Z',
  kind: 'text',
  direction: 'inbound',
  ...change,
}) as InboxItem;

function recorder() {
  const logged: UnservableItem[] = [];
  return { logged, log: (s: UnservableItem) => logged.push(s) };
}

describe('compileItemCheck', () => {
  it('passes an item the contract describes', () => {
    expect(check(item('1'))).toBeNull();
    expect(check(item('1', { mid: null, entryId: null, entryTime: null, event: { x_unknown: [1, { y: null }] } }))).toBeNull();
  });

  it('names a number that is not finite, even where null would be allowed or under unknown keys', () => {
    expect(check(item('1', { entryTime: Infinity }))).toBe('/entryTime: must be a finite number');
    expect(check(item('1', { event: { x_unknown: [0, -Infinity] } }))).toBe('/event/x_unknown/1: must be a finite number');
  });

  it('names the first schema violation, as a row stored with Infinity reads back (null)', () => {
    expect(check(item('1', { event: { timestamp: null } }))).toBe('/event/timestamp: must be number');
    expect(check(item('1', { receivedAt: 'yesterday' }))).toBe('/receivedAt: must match format "date-time"');
  });

  it('keeps the reason short when the path runs through long unknown keys', () => {
    const why = check(item('1', { event: { ['k'.repeat(5000)]: Infinity } }))!;
    expect(why.length).toBeLessThanOrEqual(200);
    expect(why.startsWith('/event/kkk')).toBe(true);
  });
});

describe('servablePage', () => {
  it('returns a page without bad rows untouched, with no skipped key', () => {
    const page: InboxPage = { items: [item('1'), item('2')], nextCursor: '2' };
    const { logged, log } = recorder();
    const out = servablePage(page, check, log);
    expect(out).toBe(page);
    expect('skipped' in out).toBe(false);
    expect(logged).toEqual([]);
  });

  it('moves bad rows to skipped in order, keeps the cursor past them, and logs each', () => {
    const page: InboxPage = {
      items: [item('1', { entryTime: Infinity }), item('2'), item('3', { event: { timestamp: null } }), item('4')],
      nextCursor: '4',
    };
    const { logged, log } = recorder();
    const out = servablePage(page, check, log);
    expect(out.items.map((i) => i.id)).toEqual(['2', '4']);
    expect(out.skipped).toEqual([
      { id: '1', reason: '/entryTime: must be a finite number' },
      { id: '3', reason: '/event/timestamp: must be number' },
    ]);
    expect(out.nextCursor).toBe('4');
    expect(logged).toEqual(out.skipped);
  });

  it('skips a page made only of bad rows and still reads on', () => {
    const out = servablePage({ items: [item('7', { entryTime: NaN })], nextCursor: '7' }, check, () => undefined);
    expect(out).toEqual({ items: [], skipped: [{ id: '7', reason: '/entryTime: must be a finite number' }], nextCursor: '7' });
  });
});

describe('logUnservable', () => {
  it('logs each row once, however often it is read', () => {
    const lines: unknown[] = [];
    const log = logUnservable({ warn: (obj: unknown) => lines.push(obj) } as never);
    log({ id: '1', reason: 'r' });
    log({ id: '1', reason: 'r' });
    log({ id: '2', reason: 'r' });
    expect(lines).toEqual([
      { inboxId: '1', reason: 'r' },
      { inboxId: '2', reason: 'r' },
    ]);
  });
});

describe('createServable', () => {
  it('gives the live feed a per-item test that logs what it leaves out', () => {
    const lines: unknown[] = [];
    const servable = createServable({ spec: loadBundledSpec(), logger: { warn: (obj: unknown) => lines.push(obj) } as never });
    const items = [item('1'), item('2', { entryTime: -Infinity })];
    // Passed unbound, as a FeedDeps.serveItem is.
    const serveItem = servable.item;
    expect(items.filter(serveItem).map((i) => i.id)).toEqual(['1']);
    expect(lines).toEqual([{ inboxId: '2', reason: '/entryTime: must be a finite number' }]);
    expect(servable.page({ items, nextCursor: '2' }).skipped).toEqual([{ id: '2', reason: '/entryTime: must be a finite number' }]);
  });
});
