// The forwarder driven directly over a real store and a real destination: the rate limit, a delivery
// that breaks the contract, stopping with attempts in flight, outcomes written together, a store that
// fails under it, and each lane's batches, concurrency, waking, lease and clock.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { signature } from '../../server/relay/delivery.js';
import type { Destination } from '../../server/relay/destinations.js';
import { Forwarder, type ForwarderOptions } from '../../server/relay/forwarder.js';
import type { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { forwarderRig, message, validate, type Answer } from '../support/forwarder.js';
import { accept, fail, sleep, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const rig = (destination: Partial<Destination>, answer?: Answer, options: Partial<ForwarderOptions> = {}) => forwarderRig(cleanups, destination, { answer, forwarder: options });

describe('forwarder', () => {
  it('starts no more attempts a second than the rate limit, after a burst of one second worth', async () => {
    // No poll to lean on: the lane looks again when its next token is due.
    const { dest, inbox, start, outbox } = await rig({ ratePerSecond: 4, concurrency: 16 }, undefined, { pollMs: 3_600_000 });
    await inbox.append(Array.from({ length: 10 }, (_, i) => message(`rate-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('10 delivered', async () => ((await outbox.list({ limit: 20, state: 'delivered' })).length === 10 ? true : undefined));
    expect(dest.received).toHaveLength(10);
    const at = (await outbox.list({ limit: 20 })).map((f) => Date.parse(f.recentAttempts[0]!.at)).sort((a, b) => a - b);
    // 4 at once, then 4 a second: the tenth cannot start before 1.5 s after the first.
    expect(at[9]! - at[0]!).toBeGreaterThanOrEqual(1400);
    for (const t of at) expect(at.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(8);
  });

  it('makes an event dead without sending it when its delivery breaks the contract', async () => {
    const { dest, inbox, start, outbox } = await rig({});
    await inbox.append([{ ...message('bad'), event: { sender: { id: 5 }, message: { mid: 'bad' } } }], new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    const [dead] = await waitFor('dead', async () => {
      const rows = await outbox.list({ limit: 5, state: 'dead' });
      return rows.length ? rows : undefined;
    });
    expect(dead!.lastError).toMatch(/^not valid against the contract: \/body\/entry\/0\/messaging\/0/);
    expect(dest.received).toEqual([]);
  });

  it('waits on stop for the attempts in flight to be recorded', async () => {
    const { inbox, start, outbox } = await rig({}, (_n, res) => void setTimeout(() => accept(res), 300));
    await inbox.append([message('slow')], new Date());
    const forwarder = start();
    await waitFor('in flight', async () => ((await outbox.list({ limit: 1 }))[0]!.attempts === 1 ? true : undefined));
    await forwarder.stop();
    expect((await outbox.list({ limit: 1 }))[0]!.state).toBe('delivered');
    await outbox.close();
  });

  it('writes the outcomes of attempts that end together in one transaction', async () => {
    const held: Parameters<typeof accept>[0][] = [];
    // The destination answers nothing until all 16 are in, then everything at once.
    const { inbox, start, outbox } = await rig({ concurrency: 16 }, (_n, res) => {
      held.push(res);
      if (held.length === 16) for (const r of held) accept(r);
    });
    await inbox.append(Array.from({ length: 16 }, (_, i) => message(`together-${i}`)), new Date());
    const writes: number[] = [];
    const record = outbox.record.bind(outbox);
    outbox.record = (records) => {
      writes.push(records.length);
      return record(records);
    };
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('16 delivered', async () => ((await outbox.list({ limit: 20, state: 'delivered' })).length === 16 ? true : undefined));
    expect(writes.reduce((a, n) => a + n, 0)).toBe(16);
    expect(writes.length).toBeLessThan(16);
  });

  it('logs a store that fails under it once, not once per tick, and keeps going; an unrecorded attempt is sent again later', async () => {
    const { inbox, start, outbox, lines } = await rig({});
    await inbox.append([message('x')], new Date());
    const record = outbox.record.bind(outbox);
    outbox.record = () => Promise.reject(new Error('disk full'));
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('record failure logged', () => (lines.some((l) => l.includes('could not record an attempt')) ? true : undefined));
    outbox.record = record;
    const claim = outbox.claim.bind(outbox);
    outbox.claim = () => Promise.reject(new Error('locked'));
    await waitFor('claim failure logged', () => (lines.some((l) => l.includes('could not read the outbox')) ? true : undefined));
    // Ten more ticks or so fail the same way: not one line each.
    await sleep(250);
    expect(lines.filter((l) => l.includes('outbox')).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['relay: could not read the outbox (Error: locked); will try again']);
    outbox.claim = claim;
    await sleep(50);
    expect((await outbox.list({ limit: 1 }))[0]!.state).not.toBe('dead');
  });
});

/** Answers the requests it holds all at once when `n` are waiting, or after `ms`; remembers the most it held. */
function gate(n: number, ms: number) {
  const waiting: Parameters<typeof accept>[0][] = [];
  let most = 0;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const res of waiting.splice(0)) accept(res);
  };
  return {
    most: () => most,
    answer: (_n: number, res: Parameters<typeof accept>[0]) => {
      waiting.push(res);
      most = Math.max(most, waiting.length);
      if (waiting.length >= n) release();
      else timer ??= setTimeout(release, ms);
    },
  };
}

describe('forwarder, several events per delivery', () => {
  it('sends a backlog in fewer deliveries, each valid, signed over its bytes, and resent with the very same bytes', async () => {
    // The first attempt of every delivery gets a 503: each is sent twice.
    const seen = new Map<string, number>();
    const { dest, inbox, start, outbox } = await rig({ maxEvents: 10, concurrency: 2, appSecret: 'k' }, (_n, res) => {
      const body = dest.received.at(-1)!.body.toString();
      const n = seen.get(body) ?? 0;
      seen.set(body, n + 1);
      if (n === 0) fail(res, 503, 'busy');
      else accept(res);
    });
    await inbox.append(Array.from({ length: 35 }, (_, i) => message(`b-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('35 delivered', async () => ((await outbox.list({ limit: 50, state: 'delivered' })).length === 35 ? true : undefined));
    // Four deliveries (10, 10, 10, 5), each sent twice, byte for byte.
    expect([...seen.values()]).toEqual([2, 2, 2, 2]);
    const bodies = [...seen.keys()].map((b) => JSON.parse(b) as { entry: { messaging: { message: { mid: string } }[] }[] });
    expect(bodies.map((b) => b.entry.length)).toEqual([10, 10, 10, 5]);
    expect(bodies.flatMap((b) => b.entry.map((e) => e.messaging[0]!.message.mid))).toEqual(Array.from({ length: 35 }, (_, i) => `b-${i}`));
    for (const r of dest.received) {
      expect(validate(JSON.parse(r.body.toString()))).toBeNull();
      expect(r.headers['x-hub-signature-256']).toBe(signature('k', r.body));
    }
    const listed = await outbox.list({ limit: 50 });
    expect(new Set(listed.map((f) => f.deliveryId))).toEqual(new Set(['1', '11', '21', '31']));
    expect(listed.every((f) => f.attempts === 2)).toBe(true);
  });
});

describe('forwarder lanes', () => {
  it('claims the next batch at once while each comes back full, so a backlog fills the concurrency without waiting on attempts', async () => {
    const g = gate(6, 3000);
    const { inbox, start, outbox } = await rig({ concurrency: 6 }, g.answer, { batch: 2, pollMs: 3_600_000 });
    await inbox.append(Array.from({ length: 6 }, (_, i) => message(`batch-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('6 delivered', async () => ((await outbox.list({ limit: 10, state: 'delivered' })).length === 6 ? true : undefined));
    expect(g.most()).toBe(6);
    // All six at once, each within its timeout: none was tried twice.
    expect((await outbox.list({ limit: 10 })).map((f) => f.attempts)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('never has more attempts in flight than the destination concurrency', async () => {
    const g = gate(4, 400);
    const { inbox, start, outbox } = await rig({ concurrency: 3 }, g.answer);
    await inbox.append(Array.from({ length: 7 }, (_, i) => message(`conc-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('7 delivered', async () => ((await outbox.list({ limit: 10, state: 'delivered' })).length === 7 ? true : undefined));
    expect(g.most()).toBe(3);
  });

  it('looks for new events when woken, not only on its poll, and claims nothing once stopped', async () => {
    const { dest, inbox, start, outbox } = await rig({}, undefined, { pollMs: 3_600_000 });
    const forwarder = start();
    await sleep(100); // its first look, at start, has found nothing
    await inbox.append([message('woken')], new Date());
    await sleep(600);
    expect(dest.received).toHaveLength(0);
    forwarder.wake();
    await waitFor('delivered', async () => ((await outbox.list({ limit: 1 }))[0]!.state === 'delivered' ? true : undefined));
    await forwarder.stop();
    await inbox.append([message('after stop')], new Date());
    forwarder.wake();
    await sleep(200);
    expect(dest.received).toHaveLength(1);
    expect((await outbox.list({ limit: 1 }))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    await outbox.close();
  });

  it('runs a lane for each enabled destination only', async () => {
    const { outbox } = await rig({});
    const d: Destination = { id: 'd', channel: 'a', url: 'http://127.0.0.1:9/', enabled: true, timeoutMs: 1000, maxAgeMs: 1000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20 };
    const forwarder = new Forwarder({ outbox, destinations: [d, { ...d, id: 'off', enabled: false }], validate, logger: pino({ level: 'silent' }), pollMs: 3_600_000 });
    await forwarder.stop();
    await outbox.close();
    expect(forwarder.circuits()).toEqual({ d: 'closed' });
    // Both are shown where they send; the disabled one is never tried.
    const idle = { circuit: 'closed', lastError: null, nextAttemptAt: null };
    expect(forwarder.live()).toEqual({ d: { url: 'http://127.0.0.1:9/', ...idle }, off: { url: 'http://127.0.0.1:9/', ...idle } });
  });

  it('says a backlog above the threshold once, and its drain once the destination works it off', async () => {
    const { inbox, start, outbox } = await rig({ maxEvents: 1 });
    const lines: { relay?: string; msg: string; open?: number; peak?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as (typeof lines)[number]) });
    await outbox.setPaused('d', true);
    await inbox.append(Array.from({ length: 6 }, (_, i) => message(`backlog-${i}`)), new Date());
    // A backlog is over 3 here, normal at 0, counted every 50 ms.
    const counting = start({ logger, log: { backlogAbove: 3, backlogNormal: 0 }, backlogEveryMs: 50 });
    cleanups.push(() => counting.stop().then(() => outbox.close()));
    await waitFor('the backlog said', () => (lines.some((l) => l.relay === 'backlog') ? true : undefined));
    await sleep(200);
    expect(lines.filter((l) => l.relay === 'backlog')).toMatchObject([{ open: 6, msg: 'relay: backlog for d: 6 events waiting' }]);
    await outbox.setPaused('d', false);
    counting.wake();
    await waitFor('the drain said', () => (lines.some((l) => l.relay === 'drained') ? true : undefined));
    expect(lines.filter((l) => l.relay === 'drained')).toMatchObject([{ peak: 6, open: 0 }]);
    expect((await outbox.list({ limit: 10, state: 'delivered' })).length).toBe(6);
  });

  it('leases an attempt past its timeout and records its outcome with the clock, randomness and retry policy it is given', async () => {
    let release: (() => void) | undefined;
    const { inbox, start, outbox, lines } = await rig({ timeoutMs: 2000 }, (_n, res) => void (release = () => fail(res, 503, 'later')), {
      now: () => T,
      random: () => 0.5,
      retry: { baseMs: 100, capMs: 100 },
    });
    await inbox.append([message('clock')], new Date());
    const T = Date.now() + 1000;
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    const [inFlight] = await waitFor('in flight', async () => (release ? outbox.list({ limit: 1 }) : undefined));
    expect(inFlight).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: new Date(T + 2000 + 5000).toISOString() });
    release!();
    const [row] = await waitFor('retrying', async () => {
      const rows = await outbox.list({ limit: 1, state: 'retrying' });
      return rows.length ? rows : undefined;
    });
    // Full jitter at 0.5 of a 100 ms ceiling; the fixed clock keeps it from being due again.
    expect(row).toMatchObject({ lastStatus: 503, lastError: '503: later', nextAttemptAt: new Date(T + 50).toISOString() });
    expect(row!.recentAttempts).toEqual([{ at: new Date(T).toISOString(), status: 503, latencyMs: expect.any(Number), error: '503: later' }]);
    // A retry is not news: the destination starting to fail is, once.
    expect(lines.map((l) => JSON.parse(l) as { relay: string; cause: string })).toMatchObject([{ relay: 'failing', cause: 'HTTP 503: later' }]);
  });

  it('logs a delivery that dies, with its destination, how many events, the reason and how to replay them', async () => {
    const { inbox, start, outbox, lines } = await rig({}, (_n, res) => void fail(res, 400, 'no'));
    await inbox.append([message('refused')], new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('logged', () => (lines.length ? true : undefined));
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'relay: 1 event dead-lettered for d: refused with HTTP 400: no; replay with `ig-push relay replay d` (or POST /relay/destinations/d/replay)',
      relay: 'dead',
      destination: 'd',
      events: 1,
      causes: { 'refused with HTTP 400: no': 1 },
    });
    expect((await outbox.list({ limit: 1 }))[0]).toMatchObject({ state: 'dead', lastStatus: 400, nextAttemptAt: null });
  });
});

describe('forwarder rate limit and idling', () => {
  const delivered = async (outbox: SqliteOutbox) => (await outbox.list({ limit: 50, state: 'delivered' })).length;
  const exactly = async (outbox: SqliteOutbox, n: number) => {
    await waitFor(`${n} delivered`, async () => ((await delivered(outbox)) >= n ? true : undefined));
    await sleep(300); // and no more, while the clock stands still
    expect(await delivered(outbox)).toBe(n);
  };

  it('spends a burst of one second worth, then refills at the rate as its clock moves, saving up one second at most', async () => {
    let t = Date.now();
    const { inbox, start, outbox } = await rig({ ratePerSecond: 4, concurrency: 16 }, undefined, { now: () => t, pollMs: 50 });
    await inbox.append(Array.from({ length: 12 }, (_, i) => message(`bucket-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await exactly(outbox, 4);
    t += 500;
    await exactly(outbox, 6);
    t += 60_000;
    await exactly(outbox, 10);
  });

  it('starts with one token under a rate below one a second', async () => {
    const t = Date.now();
    const { inbox, start, outbox } = await rig({ ratePerSecond: 0.5 }, undefined, { now: () => t, pollMs: 50 });
    await inbox.append([message('slow-1'), message('slow-2')], new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await exactly(outbox, 1);
  });

  it('does not spin while its concurrency is full, with or without a rate limit', async () => {
    for (const ratePerSecond of [undefined, 100]) {
      const { inbox, start, outbox } = await rig({ concurrency: 1, ratePerSecond }, (_n, res) => void setTimeout(() => accept(res), 400), { pollMs: 3_600_000 });
      let looks = 0;
      const paused = outbox.paused.bind(outbox);
      outbox.paused = (id) => {
        looks++;
        return paused(id);
      };
      await inbox.append([message('one'), message('two')], new Date());
      const forwarder = start();
      cleanups.push(() => forwarder.stop().then(() => outbox.close()));
      await waitFor('2 delivered', async () => ((await delivered(outbox)) === 2 ? true : undefined));
      // A look at start, one after each claim and each finished attempt: a handful, not one a millisecond.
      expect(looks, String(ratePerSecond)).toBeLessThan(20);
    }
  });
});
