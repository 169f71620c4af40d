// The relay's metrics read what its outbox holds: the backlog and dead events per destination, the age
// of the oldest event waiting, pauses and open circuits, as an operator's scraper sees them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { pino } from 'pino';
import { registerRelayMetrics, relayAttemptMetrics } from '../../server/metrics/relay.js';
import { Forwarder } from '../../server/relay/forwarder.js';
import { contractValidator } from '../../server/relay/start-relay.js';
import { accept, fail, faultDestination, waitFor } from '../support/relay.js';
import type { Destination } from '../../server/relay/destinations.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';

const dest = (id: string): Destination => ({ id, channel: 'a', url: 'http://127.0.0.1:9/', enabled: true, timeoutMs: 1000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20 });
const ev = (mid: string): NewEvent => ({ channel: 'a', mid, entryId: '1', entryTime: 2, event: { sender: { id: '1' }, message: { mid, text: 't' } }, dedupeKey: `a/${mid}` });
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** Each sample of the registry as `name{label=value,…}` → value. */
async function samples(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values as { value: number; labels: object; metricName?: string }[]) out[`${v.metricName ?? metric.name}{${Object.entries(v.labels).map(([k, l]) => `${k}=${l}`).join(',')}}`] = v.value;
  }
  return out;
}

describe('relay metrics', () => {
  it('count each destination’s forwards by state and age its oldest pending event', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-relay-metrics-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const outbox = new SqliteOutbox(file, [dest('x'), dest('y')]);
    open.push(inbox, outbox);
    const receivedAt = new Date('2026-12-01T00:00:00Z');
    await inbox.append([ev('m1'), ev('m2'), ev('m3')], receivedAt);
    // x: one delivered, one dead, one still pending; y: all three pending, and paused.
    const [first, second] = await outbox.claim('x', 1000, 5000, 2, { maxEvents: 1, maxBytes: 1 << 20 });
    await outbox.record([
      { delivery: first!.id, destination: 'x', at: 1000, status: 200, latencyMs: 5, error: null, state: 'delivered', nextAt: 0 },
      { delivery: second!.id, destination: 'x', at: 1000, status: 401, latencyMs: 5, error: 'refused', state: 'dead', nextAt: 0 },
    ]);
    await outbox.setPaused('y', true);

    const registry = new Registry();
    const now = receivedAt.getTime() + 90_000;
    registerRelayMetrics(registry, { status: () => outbox.status(), circuits: () => ({ x: 'open', y: 'closed' }) }, () => now);
    const s = await samples(registry);
    expect([s['ipk_relay_forwards{destination=x,state=pending}'], s['ipk_relay_forwards{destination=x,state=delivered}'], s['ipk_relay_forwards{destination=x,state=dead}']]).toEqual([1, 1, 1]);
    expect(s['ipk_relay_forwards{destination=y,state=pending}']).toBe(3);
    expect(s['ipk_relay_oldest_pending_age_seconds{destination=x}']).toBe(90);
    expect([s['ipk_relay_destination_paused{destination=x}'], s['ipk_relay_destination_paused{destination=y}']]).toEqual([0, 1]);
    expect([s['ipk_relay_circuit_open{destination=x}'], s['ipk_relay_circuit_open{destination=y}']]).toEqual([1, 0]);
  });

  it('report no age when nothing waits', async () => {
    const registry = new Registry();
    const status = [{ id: 'x', channel: 'a', configured: true, paused: false, counts: { pending: 0, retrying: 0, delivered: 4, dead: 0 }, oldestPendingAt: null }];
    registerRelayMetrics(registry, { status: async () => status, circuits: () => ({}) });
    expect((await samples(registry))['ipk_relay_oldest_pending_age_seconds{destination=x}']).toBe(0);
  });

  it('count attempts by outcome, time them, and measure the lag from receipt to delivery', async () => {
    let okSeen = 0;
    const destination = await faultDestination((_n, res, req) => {
      void req;
      const last = destination.received.at(-1)!.body.toString();
      if (last.includes('m-refuse')) fail(res, 401, '{"resultMsg":"bad signature"}');
      else if (okSeen++ === 0) fail(res, 503);
      else accept(res);
    });
    open.push(destination);
    const file = join(mkdtempSync(join(tmpdir(), 'ipk-relay-metrics-')), 'inbox.sqlite');
    const inbox = new SqliteInbox({ file });
    const d: Destination = { ...dest('x'), url: destination.url };
    const outbox = new SqliteOutbox(file, [d]);
    open.push(inbox, outbox);
    const registry = new Registry();
    const forwarder = new Forwarder({ outbox, destinations: [d], validate: contractValidator(), logger: pino({ level: 'silent' }), pollMs: 20, retry: { baseMs: 10, capMs: 20 }, observe: relayAttemptMetrics(registry) });
    open.push({ close: () => forwarder.stop() });
    await inbox.append([ev('m-ok'), ev('m-refuse')], new Date(Date.now() - 2000));
    const s = await waitFor('both settled', async () => {
      const x = await samples(registry);
      return x['ipk_relay_attempts_total{destination=x,outcome=delivered}'] === 1 && x['ipk_relay_attempts_total{destination=x,outcome=dead}'] === 1 ? x : undefined;
    });
    expect(s['ipk_relay_attempts_total{destination=x,outcome=retrying}']).toBe(1);
    expect(s['ipk_relay_attempt_duration_seconds_count{destination=x}']).toBe(3);
    // One event per delivery here (batch.maxEvents 1): three deliveries of one.
    expect([s['ipk_relay_delivery_events_count{destination=x}'], s['ipk_relay_delivery_events_sum{destination=x}']]).toEqual([3, 3]);
    // The delivered event was received 2 s before it was stored here: its lag is at least that.
    expect(s['ipk_relay_delivery_lag_seconds_count{destination=x}']).toBe(1);
    expect(s['ipk_relay_delivery_lag_seconds_sum{destination=x}']).toBeGreaterThanOrEqual(2);
    const underOneSecond = Object.entries(s).find(([k]) => k.startsWith('ipk_relay_delivery_lag_seconds_bucket{') && /\ble=1\b/.test(k) && k.includes('destination=x'));
    expect(underOneSecond?.[1]).toBe(0);
  });
});
