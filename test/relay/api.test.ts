// The relay's API over real HTTP: listing forwards and destinations with the inbox token, replaying
// dead events once the destination is fixed, pausing and resuming with the admin token, the circuit.
import { afterEach, describe, expect, it } from 'vitest';
import { createRelayClient } from '../../client/relay-client.js';
import { push, textDelivery } from '../support/http.js';
import { accept, ADMIN, FAST, fail, faultDestination, RELAY_SECRET, sleep, startRelayServer, TOKEN, waitFor, type RelayServer } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const track = <T extends { close(): Promise<void> }>(x: T): T => {
  cleanups.push(() => x.close());
  return x;
};
const call = async (relay: RelayServer, method: string, path: string, token?: string) => {
  const r = await fetch(`${relay.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, json: (await r.json()) as any };
};

describe('relay API', () => {
  it('replays the dead events of a destination once it is fixed, and they are delivered with their original bytes', async () => {
    let broken = true;
    const dest = track(await faultDestination((_n, res) => (broken ? fail(res, 401, '{"resultMsg":"bad signature"}') : accept(res))));
    // One event per delivery, so the two are sent (and replayed) apart whatever the timing.
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.url, batch: { maxEvents: 1 } }]));
    for (const mid of ['a', 'b']) await push(relay.url, textDelivery(mid), { secret: RELAY_SECRET });
    await waitFor('2 dead', async () => ((await call(relay, 'GET', '/relay/forwards?state=dead', TOKEN)).json.items.length === 2 ? true : undefined));
    const page = await call(relay, 'GET', '/relay/forwards?state=dead&destination=cc&channel=chan-a&limit=1', TOKEN);
    expect(page.status).toBe(200);
    expect(page.json.items[0]).toMatchObject({ eventId: '2', destination: 'cc', channel: 'chan-a', state: 'dead', attempts: 1, lastStatus: 401, lastError: 'refused with 401: {"resultMsg":"bad signature"}' });
    expect(page.json.items[0].recentAttempts[0]).toMatchObject({ status: 401 });
    expect(page.json.nextBefore).toBe('2');
    expect((await call(relay, 'GET', '/relay/forwards?before=2', TOKEN)).json.items.map((f: any) => f.eventId)).toEqual(['1']);

    broken = false;
    const since = new Date(Date.now() - 60_000).toISOString();
    const replay = await call(relay, 'POST', `/relay/destinations/cc/replay?since=${encodeURIComponent(since)}&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, ADMIN);
    expect(replay, JSON.stringify(replay.json)).toEqual({ status: 200, json: { replayed: 2 } });
    await waitFor('2 delivered', async () => ((await call(relay, 'GET', '/relay/forwards?state=delivered', TOKEN)).json.items.length === 2 ? true : undefined));
    expect(dest.received).toHaveLength(4);
    expect(dest.received[2]!.body.equals(dest.received.find((r) => r.body.includes('"mid":"b"'))!.body) || dest.received[2]!.body.equals(dest.received.find((r) => r.body.includes('"mid":"a"'))!.body)).toBe(true);

    expect(await call(relay, 'POST', '/relay/events/1/replay?destination=cc', ADMIN)).toEqual({ status: 200, json: { replayed: 1 } });
    await waitFor('a fifth request', () => (dest.received.length === 5 ? true : undefined));
    expect((await call(relay, 'POST', '/relay/events/99/replay', ADMIN)).status).toBe(404);
  });

  it('lists the forwards of the events named by eventId (repeated or once), to every destination, and bounds the list', async () => {
    const dest = track(await faultDestination((_n, res) => accept(res)));
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.url }, { id: 'dd', url: dest.url }]));
    for (const mid of ['e1', 'e2', 'e3']) await push(relay.url, textDelivery(mid), { secret: RELAY_SECRET });
    await waitFor('6 delivered', async () => ((await call(relay, 'GET', '/relay/forwards?state=delivered', TOKEN)).json.items.length === 6 ? true : undefined));
    const of = async (query: string) => {
      const r = await call(relay, 'GET', `/relay/forwards?${query}`, TOKEN);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.items.map((f: any) => `${f.eventId}/${f.destination}/${f.state}`);
    };
    expect(await of('eventId=3&eventId=1')).toEqual(['3/cc/delivered', '3/dd/delivered', '1/cc/delivered', '1/dd/delivered']);
    expect(await of('eventId=2')).toEqual(['2/cc/delivered', '2/dd/delivered']);
    expect(await of('eventId=2&eventId=3&destination=dd&state=delivered')).toEqual(['3/dd/delivered', '2/dd/delivered']);
    expect(await of('eventId=404')).toEqual([]);
    // The typed client sends the list as the spec says (the parameter repeated), as the console does.
    const client = createRelayClient({ baseUrl: relay.url, token: TOKEN });
    expect((await client.forwards({ eventId: ['1', '2'], destination: 'cc' })).items.map((f) => f.eventId)).toEqual(['2', '1']);
    const page = await call(relay, 'GET', '/relay/forwards?eventId=1&eventId=2&eventId=3&limit=2', TOKEN);
    expect(page.json).toMatchObject({ nextBefore: '3' });
    expect(page.json.items).toHaveLength(2);
    // The spec bounds the list (100 ids) and each id.
    const many = Array.from({ length: 101 }, (_, i) => `eventId=${i + 1}`).join('&');
    expect((await call(relay, 'GET', `/relay/forwards?${many}`, TOKEN)).status).toBe(400);
    expect((await call(relay, 'GET', '/relay/forwards?eventId=x1', TOKEN)).status).toBe(400);
    expect((await call(relay, 'GET', '/relay/forwards?eventId=1', 'wrong')).status).toBe(401);
  });

  it('pauses and resumes a destination: events wait while paused, then go', async () => {
    const dest = track(await faultDestination((_n, res) => accept(res)));
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.url }]));
    const paused = await call(relay, 'POST', '/relay/destinations/cc/pause', ADMIN);
    expect(paused).toEqual({ status: 200, json: { id: 'cc', channel: 'chan-a', configured: true, paused: true, circuit: 'closed', counts: { pending: 0, retrying: 0, delivered: 0, dead: 0 }, oldestPendingAt: null, url: dest.url, lastError: null, nextAttemptAt: null } });
    await push(relay.url, textDelivery('p-1'), { secret: RELAY_SECRET });
    await sleep(300);
    expect(dest.received).toHaveLength(0);
    const listed = await call(relay, 'GET', '/relay/destinations', TOKEN);
    expect(listed.json.items[0]).toMatchObject({ id: 'cc', paused: true, counts: { pending: 1 } });
    expect(listed.json.items[0].oldestPendingAt).not.toBeNull();
    expect((await call(relay, 'POST', '/relay/destinations/cc/resume', ADMIN)).json.paused).toBe(false);
    await waitFor('delivered after resume', () => (dest.received.length === 1 ? true : undefined));
  });

  it('guards reading with the inbox token and acting with the admin token, and checks parameters against the spec', async () => {
    const dest = track(await faultDestination((_n, res) => accept(res)));
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.url }]));
    expect((await call(relay, 'GET', '/relay/forwards')).status).toBe(401);
    expect((await call(relay, 'GET', '/relay/destinations', 'wrong')).status).toBe(401);
    const inboxTokenActing = await call(relay, 'POST', '/relay/destinations/cc/pause', TOKEN);
    expect(inboxTokenActing.status).toBe(401);
    expect(inboxTokenActing.json.code).toBe('unauthorized');
    expect((await call(relay, 'POST', '/relay/destinations/nope/pause', ADMIN)).json.code).toBe('not_found');
    expect((await call(relay, 'POST', '/relay/destinations/nope/replay', ADMIN)).status).toBe(404);
    expect((await call(relay, 'GET', '/relay/forwards?state=lost', TOKEN)).status).toBe(400);
    expect((await call(relay, 'POST', '/relay/destinations/cc/replay?since=yesterday', ADMIN)).status).toBe(400);
  });

  it('answers 401 to every action when no admin token is configured, and 404 under /relay without destinations', async () => {
    const relay = track(await startRelayServer([], {}));
    expect((await call(relay, 'GET', '/relay/forwards', TOKEN)).status).toBe(404);
    const { serve } = await import('../../server/main.js');
    const open = track(await serve({ port: 0, logLevel: 'silent', env: {}, dataDir: `${relay.dir}/open` }));
    const r = await fetch(`${open.url}/relay/destinations/x/pause`, { method: 'POST' });
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).errors[0].message).toBe('no admin token is configured');
  });

  it('opens the circuit of a destination that keeps failing: one probe per interval instead of a flood', async () => {
    const dest = track(await faultDestination((_n, res) => fail(res, 503)));
    const relay = track(await startRelayServer([{ id: 'cc', url: dest.url, concurrency: 4 }], { relay: { ...FAST, breaker: { threshold: 3, intervalMs: 400 } } }));
    for (let i = 0; i < 8; i++) await push(relay.url, textDelivery(`c-${i}`), { secret: RELAY_SECRET });
    await waitFor('circuit open', async () => ((await call(relay, 'GET', '/relay/destinations', TOKEN)).json.items[0].circuit === 'open' ? true : undefined));
    const opened = dest.received.length;
    await sleep(1300);
    // Closed, the fast policy would retry every event about every 100 ms (some 100 requests); open, about 3 probes.
    const during = dest.received.length - opened;
    expect(during).toBeLessThanOrEqual(6);
    expect(during).toBeGreaterThanOrEqual(1);
  });
});
