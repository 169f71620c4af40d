// A forwarder lane's own bookkeeping, seen from outside: what GET /relay/destinations shows of each
// destination (its own lane's circuit, last error and soonest retry), how long a rate-limited lane
// sleeps, how many attempts it keeps in flight while some finish early, one tick at a time with no
// wake lost, no spinning while full, and its sender's connections closed on stop.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { forwarderRig, message } from '../support/forwarder.js';
import { accept, fail, sleep, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length) await cleanups.pop()!();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Answers each call from the list in turn, then the last one for ever. */
const sequence = (values: number[]) => () => (values.length > 1 ? values.shift()! : values[0]!);

describe('forwarder lane: what it shows', () => {
  it('shows each destination with its own lane: the last error and the soonest retry still ahead', async () => {
    const t = Date.now();
    const { inbox, running, dest } = await forwarderRig(
      cleanups,
      { concurrency: 1 },
      { answer: (_n, res) => void fail(res, 503, 'busy'), more: [{ id: 'e', channel: 'b' }] },
    );
    await inbox.append([message('one'), message('two')], new Date());
    // Retries at 100 ms, then 900 ms: the soonest is kept, not the latest.
    const forwarder = running({ now: () => t, random: sequence([0.1, 0.9]), retry: { baseMs: 1000, capMs: 1000 }, breaker: { threshold: 1000, intervalMs: 1000 } });
    await waitFor('both tried', () => (dest.received.length === 2 ? true : undefined));
    await sleep(100);
    expect(forwarder.live()).toEqual({
      d: { url: dest.url, circuit: 'closed', lastError: { message: 'HTTP 503: busy', at: iso(t) }, nextAttemptAt: iso(t + 100) },
      e: { url: dest.url, circuit: 'closed', lastError: null, nextAttemptAt: null },
    });
  });

  it('shows no last error for a destination whose attempts were all delivered', async () => {
    const { inbox, outbox, running } = await forwarderRig(cleanups);
    await inbox.append([message('fine')], new Date());
    const forwarder = running();
    await waitFor('delivered', async () => ((await outbox.list({ limit: 1, state: 'delivered' })).length === 1 ? true : undefined));
    expect(forwarder.live().d).toMatchObject({ circuit: 'closed', lastError: null, nextAttemptAt: null });
  });

  it('shows no next attempt once its soonest retry is due, and a later one as soon as it is scheduled', async () => {
    const t = Date.now();
    let release: (() => void) | undefined;
    const { inbox, running, dest } = await forwarderRig(cleanups, { concurrency: 1 }, { answer: (n, res) => void (n === 0 ? fail(res, 503, 'busy') : (release = () => fail(res, 503, 'busy'))) });
    await inbox.append([message('due')], new Date());
    // The first retry is due at once (no jitter); the next one in 500 ms.
    const forwarder = running({ now: () => t, random: sequence([0, 0.5]), retry: { baseMs: 1000, capMs: 1000 } });
    await waitFor('retried', () => (release ? true : undefined));
    expect(forwarder.live().d!.nextAttemptAt).toBeNull();
    release!();
    await waitFor('scheduled', () => (forwarder.live().d!.nextAttemptAt ? true : undefined));
    expect(forwarder.live().d!.nextAttemptAt).toBe(iso(t + 500));
    expect(dest.received).toHaveLength(2);
  });

  it('shows an open circuit, and no next attempt while its probe is on the way', async () => {
    let release: (() => void) | undefined;
    const { inbox, running } = await forwarderRig(cleanups, { concurrency: 1 }, { answer: (n, res) => void (n === 0 ? fail(res, 503, 'busy') : (release = () => accept(res))) });
    await inbox.append([message('first'), message('probe')], new Date());
    // The failed one retries in a minute; the probe, 50 ms after the circuit opened, takes the other.
    const forwarder = running({ breaker: { threshold: 1, intervalMs: 50 }, retry: { baseMs: 60_000, capMs: 60_000 }, random: () => 0.5 });
    await waitFor('the probe on its way', () => (release ? true : undefined));
    expect(forwarder.circuits()).toEqual({ d: 'open' });
    expect(forwarder.live().d).toMatchObject({ circuit: 'half-open', nextAttemptAt: null });
    release!();
    await waitFor('closed', () => (forwarder.circuits().d === 'closed' ? true : undefined));
  });
});

describe('forwarder lane: pacing', () => {
  it('sleeps exactly until its next token when rate-limited', async () => {
    let t = Date.now();
    const delays: number[] = [];
    const setTimer = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return setTimer(fn, ms);
    }) as typeof setTimeout);
    const { inbox, outbox, running } = await forwarderRig(cleanups, { ratePerSecond: 4, concurrency: 16 });
    await inbox.append(Array.from({ length: 8 }, (_, i) => message(`token-${i}`)), new Date());
    running({ now: () => t, pollMs: 3_600_000 });
    await waitFor('the burst delivered', async () => ((await outbox.list({ limit: 10, state: 'delivered' })).length === 4 ? true : undefined));
    // No token left: the next one is a quarter of a second away.
    await waitFor('a wait for a whole token', () => (delays.includes(250) ? true : undefined), 3000);
    // Half a token saved up: half of that.
    t += 125;
    await waitFor('a wait for half a token', () => (delays.includes(125) ? true : undefined), 3000);
  });

  it('keeps no more attempts in flight than its concurrency while some finish before others', async () => {
    let open = 0;
    let most = 0;
    const { inbox, outbox, running } = await forwarderRig(cleanups, { concurrency: 3 }, {
      answer: (n, res) => {
        open++;
        most = Math.max(most, open);
        setTimeout(() => (open--, accept(res)), n === 0 ? 600 : 30);
      },
    });
    await inbox.append(Array.from({ length: 9 }, (_, i) => message(`mixed-${i}`)), new Date());
    running();
    await waitFor('9 delivered', async () => ((await outbox.list({ limit: 10, state: 'delivered' })).length === 9 ? true : undefined));
    expect(most).toBe(3);
  });

  it('does not look again while its concurrency is full under a rate limit', async () => {
    let looks = 0;
    let release: (() => void) | undefined;
    const { inbox, running } = await forwarderRig(cleanups, { concurrency: 1, ratePerSecond: 100 }, { answer: (_n, res) => void (release = () => accept(res)) });
    await inbox.append([message('full-1'), message('full-2')], new Date());
    running({
      pollMs: 3_600_000,
      now: () => {
        looks++;
        return Date.now();
      },
    });
    await waitFor('in flight', () => (release ? true : undefined));
    const before = looks;
    await sleep(300);
    // Each look reads the clock: a lane spinning on a full concurrency would read it hundreds of times.
    expect(looks - before).toBeLessThan(10);
    release!();
  });
});

describe('forwarder lane: ticks', () => {
  it('looks once at start, and runs one look at a time however often it is woken', async () => {
    const { outbox, running } = await forwarderRig(cleanups);
    const paused = outbox.paused.bind(outbox);
    let looks = 0;
    let atOnce = 0;
    let most = 0;
    outbox.paused = async (id) => {
      looks++;
      most = Math.max(most, ++atOnce);
      await sleep(30);
      atOnce--;
      return paused(id);
    };
    const forwarder = running({ pollMs: 3_600_000 });
    await sleep(200);
    expect(looks).toBe(1);
    for (let i = 0; i < 10; i++) forwarder.wake();
    await sleep(200);
    expect(most).toBe(1);
    // Ten wakes: the first starts a look, the nine during it make one more after it, not nine.
    expect(looks).toBe(3);
  });

  it('runs one more look for a wake that came during a look, so an event stored meanwhile is not left waiting for the poll', async () => {
    const { inbox, outbox, running } = await forwarderRig(cleanups);
    const claim = outbox.claim.bind(outbox);
    let claims = 0;
    let woken: (() => void) | undefined;
    outbox.claim = async (...args) => {
      const claimed = await claim(...args);
      // The first look has read the store: an event arrives and wakes the lane before the look ends.
      if (claims++ === 0) woken?.();
      return claimed;
    };
    const forwarder = running({ pollMs: 3_600_000 });
    woken = () => {
      void inbox.append([message('meanwhile')], new Date()).then(() => forwarder.wake());
    };
    await waitFor('delivered', async () => ((await outbox.list({ limit: 1, state: 'delivered' })).length === 1 ? true : undefined), 3000);
  });
});

describe('forwarder lane: its sender', () => {
  it('sends through the sender it is given, and stops without one of its own to close', async () => {
    const { inbox, outbox, start, dest } = await forwarderRig(cleanups);
    const sent: string[] = [];
    await inbox.append([message('given')], new Date());
    const forwarder = start({ send: async (d) => (sent.push(d.id), { status: 200, body: '{"resultMsg":"200"}', retryAfter: null, latencyMs: 1 }) });
    await waitFor('delivered', async () => ((await outbox.list({ limit: 1, state: 'delivered' })).length === 1 ? true : undefined));
    await forwarder.stop();
    await outbox.close();
    expect(sent).toEqual(['d']);
    expect(dest.received).toEqual([]);
  });

  it('closes the connections it kept alive when it stops', async () => {
    const sockets = new Set<unknown>();
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => accept(res));
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
    const { port } = server.address() as { port: number };
    const { inbox, outbox, start } = await forwarderRig(cleanups, { url: `http://127.0.0.1:${port}/apiaccess/api/instagram/message/cc` });
    await inbox.append([message('kept-alive')], new Date());
    const forwarder = start();
    await waitFor('delivered', async () => ((await outbox.list({ limit: 1, state: 'delivered' })).length === 1 ? true : undefined));
    expect(sockets.size).toBe(1);
    await forwarder.stop();
    await outbox.close();
    await waitFor('its connection closed', () => (sockets.size === 0 ? true : undefined), 1000);
  });
});
