// What the forwarder tells the operator, checked field by field rather than only by its words: the
// backlog it counts (pending and retrying, of that destination only), how often it counts while a
// backlog drains, how many events waited through an outage, why a delivery died, and the store
// failing under it. The clock is the forwarder's own, so every interval is exact.
import { afterEach, describe, expect, it } from 'vitest';
import type { DestinationStatus } from '../../server/relay/outbox.js';
import type { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { forwarderRig, message } from '../support/forwarder.js';
import { accept, fail, sleep, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * Replaces the store's counts with chosen ones for destination `d`, behind another destination's that
 * come first (a lane must read its own); counts each reading.
 */
function countsOf(outbox: SqliteOutbox, open: { pending: number; retrying: number }) {
  const status = outbox.status.bind(outbox);
  const seen = { readings: 0, open };
  outbox.status = async () => {
    seen.readings++;
    const real = await status();
    const d = real.find((s) => s.id === 'd')!;
    const other: DestinationStatus = { ...d, id: 'other', counts: { ...d.counts, pending: 100, retrying: 100 } };
    return [other, { ...d, counts: { ...d.counts, ...seen.open } }];
  };
  return seen;
}

describe('forwarder log: backlog', () => {
  it('counts a backlog as its own destination’s pending plus retrying forwards', async () => {
    const { outbox, running, logged } = await forwarderRig(cleanups, {}, { level: 'info' });
    countsOf(outbox, { pending: 2, retrying: 3 });
    running({ log: { backlogAbove: 4, backlogNormal: 0 }, backlogEveryMs: 20 });
    await waitFor('the backlog said', () => (logged().some((l) => l.relay === 'backlog') ? true : undefined));
    expect(logged().filter((l) => l.relay === 'backlog')).toMatchObject([{ destination: 'd', open: 5, msg: 'relay: backlog for d: 5 events waiting' }]);
  });

  it('reads the counts once at a time: a slow store is not asked again before it answers', async () => {
    const { outbox, running } = await forwarderRig(cleanups);
    const status = outbox.status.bind(outbox);
    let readings = 0;
    let answer: (() => void) | undefined;
    outbox.status = () => {
      readings++;
      return new Promise((resolve) => (answer = () => void status().then(resolve)));
    };
    const forwarder = running({ backlogEveryMs: 20 });
    await sleep(300);
    expect(readings).toBe(1);
    // Stopping waits for the reading under way rather than closing the store under it.
    let stopped = false;
    const stopping = forwarder.stop().then(() => (stopped = true));
    await sleep(100);
    expect(stopped).toBe(false);
    answer!();
    await stopping;
    expect(readings).toBe(1);
  });

  it('counts again while a backlog drains only once a second has passed on its clock since the last count', async () => {
    let t = Date.now();
    // The first attempt fails, the second is delivered: an outage that ends with 5 events waiting.
    const { inbox, outbox, running, logged } = await forwarderRig(cleanups, {}, { level: 'info', answer: (n, res) => void (n === 0 ? fail(res, 503, 'down') : accept(res)) });
    const seen = countsOf(outbox, { pending: 2, retrying: 3 });
    await inbox.append([message('outage')], new Date());
    // A retry due at once (no jitter), and no timer counting: only the drain check counts.
    running({ now: () => t, random: () => 0, log: { backlogAbove: 1000, backlogNormal: 0 }, backlogEveryMs: 3_600_000 });
    await waitFor('recovered', () => (logged().some((l) => l.relay === 'recovered') ? true : undefined));
    expect(logged().filter((l) => l.relay === 'recovered')).toMatchObject([{ destination: 'd', waiting: 5, msg: expect.stringMatching(/; 5 events waited$/) }]);
    // A success while the circuit was closed closes nothing.
    expect(logged().filter((l) => l.relay === 'circuit-closed')).toEqual([]);
    // The recovery's reading, then one count at the first idle look; none more while the clock stands.
    await waitFor('the first count', () => (seen.readings === 2 ? true : undefined));
    await sleep(300);
    expect(seen.readings).toBe(2);
    t += 999;
    await sleep(200);
    expect(seen.readings).toBe(2);
    t += 1;
    await waitFor('a count a second later', () => (seen.readings === 3 ? true : undefined), 3000);
    seen.open = { pending: 0, retrying: 0 };
    t += 1000;
    await waitFor('the drain said', () => (logged().some((l) => l.relay === 'drained') ? true : undefined), 3000);
    expect(logged().filter((l) => l.relay === 'drained')).toMatchObject([{ destination: 'd', peak: 5, open: 0, tookMs: 2000 }]);
  });

  it('says an outage ended even when the store cannot count what waited', async () => {
    const { inbox, outbox, running, logged } = await forwarderRig(cleanups, {}, { level: 'info', answer: (n, res) => void (n === 0 ? fail(res, 503, 'down') : accept(res)) });
    outbox.status = () => Promise.reject(new Error('locked'));
    await inbox.append([message('uncounted')], new Date());
    running({ random: () => 0 });
    await waitFor('recovered', () => (logged().some((l) => l.relay === 'recovered') ? true : undefined));
    expect(logged().find((l) => l.relay === 'recovered')!.msg).toMatch(/; the events that waited could not be counted$/);
  });
});

describe('forwarder log: circuit and dead letters', () => {
  it('says the circuit opened, and closed when its probe is delivered', async () => {
    const { inbox, running, logged } = await forwarderRig(cleanups, { concurrency: 1 }, { level: 'info', answer: (n, res) => void (n === 0 ? fail(res, 503, 'down') : accept(res)) });
    await inbox.append([message('probe-1'), message('probe-2')], new Date());
    running({ breaker: { threshold: 1, intervalMs: 50 }, retry: { baseMs: 10, capMs: 10 } });
    await waitFor('closed', () => (logged().some((l) => l.relay === 'circuit-closed') ? true : undefined));
    expect(logged().map((l) => l.relay)).toEqual(['failing', 'circuit-open', 'circuit-closed', 'recovered']);
  });

  it('says why a delivery breaking the contract died', async () => {
    const { inbox, running, logged } = await forwarderRig(cleanups);
    await inbox.append([{ ...message('bad'), event: { sender: { id: 5 }, message: { mid: 'bad' } } }], new Date());
    running();
    await waitFor('dead', () => (logged().length ? true : undefined));
    expect(logged()).toMatchObject([
      {
        relay: 'dead',
        msg: expect.stringMatching(/^relay: 1 event dead-lettered for d: not valid against the contract \(see GET \/relay\/forwards\?state=dead\); replay/),
        causes: { 'not valid against the contract (see GET /relay/forwards?state=dead)': 1 },
      },
    ]);
  });

  it('says a delivery died of its age, with the last cause', async () => {
    const { inbox, running, logged } = await forwarderRig(cleanups, { maxAgeMs: 1 }, { answer: (_n, res) => void fail(res, 503, 'later') });
    await inbox.append([message('old')], new Date(Date.now() - 10));
    running({ retry: { baseMs: 1000, capMs: 1000 }, random: () => 0.5 });
    await waitFor('dead', () => (logged().some((l) => l.relay === 'dead') ? true : undefined));
    expect(logged().find((l) => l.relay === 'dead')).toMatchObject({
      msg: expect.stringMatching(/dead-lettered for d: maximum age reached \(last: HTTP 503: later\);/),
      causes: { 'maximum age reached (last: HTTP 503: later)': 1 },
    });
  });
});

describe('forwarder log: the store failing', () => {
  it('names the destination whose read failed, and the destinations and events whose outcomes were not written', async () => {
    const { inbox, outbox, running, logged } = await forwarderRig(cleanups);
    await inbox.append([message('x')], new Date());
    const record = outbox.record.bind(outbox);
    outbox.record = () => Promise.reject(new Error('disk full'));
    running();
    await waitFor('record failure logged', () => (logged().some((l) => l.msg.includes('could not record')) ? true : undefined));
    expect(logged().find((l) => l.msg.includes('could not record'))).toMatchObject({ relay: 'store-failing', destinations: ['d'], events: 1 });
    outbox.record = record;
    outbox.claim = () => Promise.reject(new Error('locked'));
    await waitFor('read failure logged', () => (logged().some((l) => l.msg.includes('could not read')) ? true : undefined));
    expect(logged().find((l) => l.msg.includes('could not read'))).toMatchObject({ relay: 'store-failing', destination: 'd', err: 'Error: locked' });
  });
});
