// The relay end to end over real HTTP: events pushed to one reference server are forwarded to a second
// one (and to scripted faulty destinations), signed, the same bytes on every attempt, with each outcome
// (delivered, retried, dead) recorded in the outbox.
import { afterEach, describe, expect, it } from 'vitest';
import { push, sign, textDelivery } from '../support/http.js';
import { accept, DEST_SECRET, fail, faultDestination, RELAY_SECRET, sleep, startDestination, startRelayServer, waitFor, type RelayServer } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const track = <T extends { close(): Promise<void> }>(x: T): T => {
  cleanups.push(() => x.close());
  return x;
};

const pushTo = (relay: RelayServer, mid: string, account?: string) => push(relay.url, textDelivery(mid, account), { secret: RELAY_SECRET });
const settled = (relay: RelayServer, n: number, state = 'delivered') => waitFor(`${n} ${state}`, () => (relay.forwards().filter((f) => f.state === state).length >= n ? relay.forwards() : undefined));

describe('forwarding to a reference server', () => {
  it('forwards every stored event to the destination, which stores each once, and records it delivered', async () => {
    const dest = track(await startDestination());
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.pushUrl, appSecret: DEST_SECRET }]));
    for (const mid of ['m-1', 'm-2', 'm-3']) expect((await pushTo(relay, mid)).status).toBe(200);
    // A redelivery from Meta is stored once by the relay, so it is forwarded once.
    expect((await pushTo(relay, 'm-2')).status).toBe(200);
    const rows = await settled(relay, 3);
    expect(rows.map((r) => [r.destination, r.state, r.attempts, r.last_status])).toEqual([
      ['cc', 'delivered', 1, 200],
      ['cc', 'delivered', 1, 200],
      ['cc', 'delivered', 1, 200],
    ]);
    expect((await dest.mids()).sort()).toEqual(['m-1', 'm-2', 'm-3']);
  });

  it('writes no forward for a channel without destinations', async () => {
    const dest = track(await startDestination());
    const relay = track(await startRelayServer([{ url: dest.pushUrl, appSecret: DEST_SECRET }]));
    expect((await pushTo(relay, 'quiet-1', '17841400000000009')).status).toBe(200);
    expect((await pushTo(relay, 'loud-1')).status).toBe(200);
    await settled(relay, 1);
    expect(relay.forwards()).toHaveLength(1);
    expect(await dest.mids()).toEqual(['loud-1']);
  });

  it('writes no forward for a disabled destination', async () => {
    const dest = track(await faultDestination((_n, res) => accept(res)));
    const relay = track(await startRelayServer([{ url: dest.url, enabled: false }]));
    expect((await pushTo(relay, 'off-1')).status).toBe(200);
    await sleep(200);
    expect(relay.forwards()).toEqual([]);
    expect(dest.received).toEqual([]);
  });
});

describe('outcomes', () => {
  it('retries 500s, timeouts and resets with the same signed bytes, until the 200', async () => {
    const dest = track(
      await faultDestination((n, res) => {
        if (n === 0) return fail(res, 500);
        if (n === 1) return; // never answers: the attempt times out
        if (n === 2) return res.socket?.destroy(); // connection reset
        if (n === 3) return fail(res, 200, '{"something":"else"}'); // 200 without the contract's body
        accept(res);
      }),
    );
    const relay = track(await startRelayServer([{ id: 'flaky', url: dest.url, appSecret: DEST_SECRET, timeout: '300ms' }]));
    expect((await pushTo(relay, 'r-1')).status).toBe(200);
    const [row] = await settled(relay, 1);
    expect(row).toMatchObject({ state: 'delivered', attempts: 5, last_status: 200 });
    expect(dest.received).toHaveLength(5);
    const first = dest.received[0]!.body;
    for (const r of dest.received) {
      expect(r.body.equals(first)).toBe(true);
      expect(r.headers['x-hub-signature-256']).toBe(sign(first, DEST_SECRET));
    }
    expect(JSON.parse(first.toString()).entry[0].messaging[0].message.mid).toBe('r-1');
    const errors = relay.attempts().map((a) => [a.status, a.error?.slice(0, 14)]);
    expect(errors).toEqual([
      [500, '500: {"resultM'],
      [null, 'timed out'],
      [null, expect.stringMatching(/^(ECONNRESET|UND_ERR_SOCKET|other side closed|fetch failed)/)],
      [200, "200 without th"],
      [200, undefined],
    ]);
  });

  it.each([400, 401, 404, 413, 415])('makes the event dead at once on %i, keeping the receiver body cut short', async (status) => {
    const dest = track(await faultDestination((_n, res) => fail(res, status, JSON.stringify({ resultMsg: 'x'.repeat(2000) }))));
    const relay = track(await startRelayServer([{ url: dest.url }]));
    expect((await pushTo(relay, `dead-${status}`)).status).toBe(200);
    const [row] = await settled(relay, 1, 'dead');
    expect(row).toMatchObject({ attempts: 1, last_status: status });
    expect(row!.last_error).toMatch(new RegExp(`^refused with ${status}: \\{"resultMsg":"x+…$`));
    expect(row!.last_error!.length).toBeLessThan(600);
    await sleep(150);
    expect(dest.received).toHaveLength(1);
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const dest = track(await faultDestination((n, res) => (n === 0 ? fail(res, 429, '{}', { 'retry-after': '1' }) : accept(res))));
    const relay = track(await startRelayServer([{ url: dest.url }]));
    expect((await pushTo(relay, 'slow-1')).status).toBe(200);
    const retrying = await waitFor('retrying', () => relay.forwards().find((f) => f.state === 'retrying'));
    expect(retrying.last_status).toBe(429);
    await settled(relay, 1);
    // The fast test policy alone would have retried within 100 ms; Retry-After made it wait a second.
    expect(dest.received).toHaveLength(2);
    const gap = relay.db().prepare('SELECT MAX(at) - MIN(at) AS gap FROM relay_attempts').get() as { gap: number };
    expect(gap.gap).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the maximum age, and the event is dead with the last reason', async () => {
    const dest = track(await faultDestination((_n, res) => fail(res, 503)));
    // Long enough for several of the tests' fast retries even when a loaded machine starts the first late.
    const relay = track(await startRelayServer([{ url: dest.url, maxAge: '3s' }]));
    expect((await pushTo(relay, 'old-1')).status).toBe(200);
    const [row] = await settled(relay, 1, 'dead');
    expect(row!.last_error).toMatch(/^gave up after the maximum age; last: 503/);
    expect(row!.attempts).toBeGreaterThan(1);
  });

  it('keeps one failing destination from holding back another', async () => {
    const down = track(await faultDestination((_n, res) => fail(res, 500)));
    const dest = track(await startDestination());
    const relay = track(await startRelayServer([{ id: 'down', url: down.url }, { id: 'up', url: dest.pushUrl, appSecret: DEST_SECRET }]));
    for (let i = 0; i < 5; i++) expect((await pushTo(relay, `ind-${i}`)).status).toBe(200);
    await waitFor('5 delivered to up', async () => ((await dest.mids()).length === 5 ? true : undefined));
    expect(relay.forwards().filter((f) => f.destination === 'down').every((f) => f.state !== 'delivered')).toBe(true);
  });
});
