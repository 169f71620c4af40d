// The console's per-minute chart data: GET /inbox/rates over HTTP (behind the inbox token), and the
// ring it reads, minute by minute on a test clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinuteRing } from '../../server/metrics/minute-ring.js';
import { createServerMetrics, type ServerMetrics } from '../../server/metrics/server-metrics.js';
import { ACCOUNT_A, SECRET_A, bearer, testConfig } from '../support/channels.js';
import { get, push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('GET /inbox/rates', () => {
  let metrics: ServerMetrics;
  let server: TestServer;
  beforeAll(async () => {
    metrics = createServerMetrics({ channelIds: testConfig.channels.map((c) => c.id), processMetrics: false });
    server = await startTestServer({ config: testConfig, app: { metrics } });
  });
  afterAll(async () => {
    await server.close();
    metrics.stop();
  });

  it('needs the inbox token', async () => {
    expect((await get(`${server.url}/inbox/rates`)).status).toBe(401);
  });

  it('gives the last 60 minutes, the current one counting the deliveries accepted and refused so far', async () => {
    for (const mid of ['r-1', 'r-2']) expect((await push(server.url, textDelivery(mid, ACCOUNT_A), { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
    expect((await push(server.url, textDelivery('r-3', ACCOUNT_A), { chanId: 'chan-a', secret: 'wrong' })).status).toBe(401);
    const r = await get(`${server.url}/inbox/rates`, bearer);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.json.minuteSeconds).toBe(60);
    expect(r.json.minutes).toHaveLength(60);
    const total = (r.json.minutes as { accepted: number; refused: number }[]).reduce((a, m) => ({ accepted: a.accepted + m.accepted, refused: a.refused + m.refused }), { accepted: 0, refused: 0 });
    // The minute may have turned between the pushes: count over the hour.
    expect(total).toEqual({ accepted: 2, refused: 1 });
    const starts = (r.json.minutes as { start: string }[]).map((m) => Date.parse(m.start));
    expect(starts.every((s, i) => i === 0 || s - starts[i - 1]! === 60_000)).toBe(true);
  });
});

describe('the per-minute ring', () => {
  it('gives each minute the difference between the totals noted at its start and at the next', () => {
    let now = Date.UTC(2026, 11, 2, 12, 0, 10);
    const totals = { accepted: 0, refused: 0 };
    const ring = new MinuteRing({ totals: () => totals, now: () => now, minutes: 3 });
    totals.accepted = 5;
    now += 60_000; // 12:01:10
    ring.tick();
    totals.accepted = 7;
    totals.refused = 2;
    now += 60_000; // 12:02:10
    ring.tick();
    totals.refused = 3;
    expect(ring.rates()).toEqual([
      { start: '2026-12-02T12:00:00.000Z', accepted: 5, refused: 0 },
      { start: '2026-12-02T12:01:00.000Z', accepted: 2, refused: 2 },
      { start: '2026-12-02T12:02:00.000Z', accepted: 0, refused: 1 },
    ]);
  });

  it('reads 0 for minutes before the process started or that passed with no note, and keeps only its span', () => {
    let now = Date.UTC(2026, 11, 2, 12, 0, 0);
    const totals = { accepted: 1, refused: 0 };
    const ring = new MinuteRing({ totals: () => totals, now: () => now, minutes: 2 });
    expect(ring.rates()).toEqual([
      { start: '2026-12-02T11:59:00.000Z', accepted: 0, refused: 0 },
      { start: '2026-12-02T12:00:00.000Z', accepted: 0, refused: 0 },
    ]);
    now += 5 * 60_000;
    totals.accepted = 4;
    expect(ring.rates()).toEqual([
      { start: '2026-12-02T12:04:00.000Z', accepted: 0, refused: 0 },
      { start: '2026-12-02T12:05:00.000Z', accepted: 0, refused: 0 },
    ]);
    ring.start();
    ring.start();
    ring.stop();
  });
});
