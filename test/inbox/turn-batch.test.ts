// Group commit's front half (server/inbox/turn-batch.ts): what each store's batches are made of, and
// that a busy store gets larger batches instead of a queue of small ones.
import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../server/inbox/turn-batch.js';

/** A store whose writes finish only when the test says so. */
function manualStore(maxInFlight?: number) {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const failing = new Set<number>();
  const turns = new TurnBatch<number>((batch) => {
    batches.push(batch);
    return new Promise<void>((resolve, reject) => finish.push(() => (batch.some((n) => failing.has(n)) ? reject(new Error('no')) : resolve())));
  }, maxInFlight);
  return { turns, batches, finish, failing };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('TurnBatch', () => {
  it('hands over everything added in one turn as one batch, at the start of the next turn', async () => {
    const { turns, batches } = manualStore();
    turns.add(1);
    turns.add(2);
    turns.add(3);
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('without a limit, starts each turn\'s batch while the earlier ones are still being written', async () => {
    const { turns, batches } = manualStore();
    turns.add(1);
    await nextTurn();
    turns.add(2);
    await nextTurn();
    expect(batches).toEqual([[1], [2]]);
  });

  it('with one batch in flight, gathers what arrives meanwhile and hands it over as soon as that batch returns', async () => {
    const { turns, batches, finish } = manualStore(1);
    turns.add(1);
    await nextTurn();
    turns.add(2);
    await nextTurn();
    turns.add(3);
    await nextTurn();
    expect(batches).toEqual([[1]]);
    finish[0]!();
    await nextTurn();
    expect(batches).toEqual([[1], [2, 3]]);
    finish[1]!();
    await nextTurn();
    expect(batches).toHaveLength(2);
  });

  it('with two in flight, starts a second batch at once and holds the third back', async () => {
    const { turns, batches, finish } = manualStore(2);
    turns.add(1);
    await nextTurn();
    turns.add(2);
    await nextTurn();
    turns.add(3);
    turns.add(4);
    await nextTurn();
    expect(batches).toEqual([[1], [2]]);
    finish[1]!();
    await nextTurn();
    expect(batches).toEqual([[1], [2], [3, 4]]);
  });

  it('goes on after a write that failed (each item is settled by the store, not by the batch)', async () => {
    const { turns, batches, finish, failing } = manualStore(1);
    failing.add(1);
    turns.add(1);
    await nextTurn();
    turns.add(2);
    finish[0]!();
    await nextTurn();
    expect(batches).toEqual([[1], [2]]);
  });

  it('drains: hands over what is queued, waits for every batch in flight, and for batches held back behind them', async () => {
    const { turns, batches, finish } = manualStore(1);
    turns.add(1);
    await nextTurn();
    turns.add(2);
    let drained = false;
    const draining = turns.drain().then(() => (drained = true));
    await nextTurn();
    expect(drained).toBe(false);
    finish[0]!();
    await nextTurn();
    expect(batches).toEqual([[1], [2]]);
    expect(drained).toBe(false);
    finish[1]!();
    await draining;
    expect(drained).toBe(true);
  });

  it('never hands over an empty batch, and drains at once when nothing is queued', async () => {
    const { turns, batches } = manualStore(1);
    turns.flush();
    await turns.drain();
    await nextTurn();
    expect(batches).toEqual([]);
  });

  // The store-write histogram (server/metrics/store.ts) is in seconds, as Prometheus' base unit asks.
  it('tells its observer each batch\'s size and how long its write took, in seconds, whether it succeeded or failed', async () => {
    const seen: Array<[number, number]> = [];
    let queued = 0;
    const turns = new TurnBatch<number>(
      (batch) => new Promise<void>((resolve, reject) => setTimeout(() => (batch.includes(0) ? reject(new Error('no')) : resolve()), 50)),
      1,
      { queued: () => queued++, written: (size, seconds) => seen.push([size, seconds]) },
    );
    turns.add(1);
    turns.add(2);
    await nextTurn();
    turns.add(0);
    await turns.drain();
    expect(queued).toBe(3);
    expect(seen.map(([size]) => size)).toEqual([2, 1]);
    // A hang or a clock in milliseconds would fail these; a slow machine would not.
    for (const [, seconds] of seen) {
      expect(seconds).toBeGreaterThanOrEqual(0.04);
      expect(seconds).toBeLessThan(30);
    }
  });
});
