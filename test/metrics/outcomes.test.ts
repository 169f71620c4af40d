// /metrics after a known sequence of pushes, refusals, handshakes and a store failure: every counter
// holds what happened, read back from the registry's JSON; the text served over HTTP is prom-client's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { startMetricsListener, type MetricsListener } from '../../server/metrics/listener.js';
import { createServerMetrics, type ServerMetrics } from '../../server/metrics/server-metrics.js';
import { ACCOUNT_A, ACCOUNT_B, SECRET_A, SECRET_B, testConfig } from '../support/channels.js';
import { get, push, textDelivery, PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { seriesOf, valueOf, type MetricsJson } from './scrape.js';

const METRICS_TOKEN = 'metrics-token';
const dir = mkdtempSync(join(tmpdir(), 'ipk-metrics-'));
let metrics: ServerMetrics;
let inbox: SqliteInbox;
let server: TestServer;
let listener: MetricsListener;
let json: MetricsJson;
let served: string;

beforeAll(async () => {
  metrics = createServerMetrics({ channelIds: testConfig.channels.map((c) => c.id), processMetrics: false });
  inbox = new SqliteInbox({ file: join(dir, 'inbox.sqlite'), observer: metrics.store });
  server = await startTestServer({ config: testConfig, inbox, app: { metrics, metricsToken: METRICS_TOKEN } });
  listener = await startMetricsListener(metrics.registry, 0);

  const first = textDelivery('m-1', ACCOUNT_A);
  for (const body of [first, textDelivery('m-2', ACCOUNT_A), textDelivery('m-3', ACCOUNT_A)]) expect((await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
  // A redelivery: answered 200, its event stored once.
  expect((await push(server.url, first, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
  // Routed by entry[].id (no chanId in the path).
  expect((await push(server.url, textDelivery('m-4', ACCOUNT_B), { secret: SECRET_B })).status).toBe(200);
  expect((await push(server.url, textDelivery('m-5', ACCOUNT_A), { chanId: 'chan-a', secret: 'wrong' })).status).toBe(401);
  expect((await push(server.url, textDelivery('m-6', ACCOUNT_A), { chanId: 'no-such-channel' })).status).toBe(404);
  expect((await push(server.url, '{"object":', { chanId: 'chan-b', secret: SECRET_B })).status).toBe(400);
  expect((await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=7`)).status).toBe(200);
  expect((await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=7`)).status).toBe(401);
  // The store fails: closed under the server, the next push answers 500 store_unavailable.
  await inbox.close();
  expect((await push(server.url, textDelivery('m-7', ACCOUNT_A), { chanId: 'chan-a', secret: SECRET_A })).status).toBe(500);

  const r = await fetch(`${listener.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  served = await r.text();
  json = await metrics.registry.getMetricsAsJSON();
});

afterAll(async () => {
  await listener.close();
  await server.close();
  metrics.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('what /metrics reports after a known sequence', () => {
  it('serves exactly the registry as prom-client renders it (nothing changed between the two)', async () => {
    expect(served).toBe(await metrics.registry.metrics());
  });

  it('counts accepted deliveries, stored and duplicate events per configured channel', () => {
    expect(valueOf(json, 'ipk_push_accepted_total', { channel: 'chan-a' })).toBe(4);
    expect(valueOf(json, 'ipk_push_accepted_total', { channel: 'chan-b' })).toBe(1);
    expect(valueOf(json, 'ipk_push_accepted_total', { channel: '_other' })).toBe(0);
    expect(valueOf(json, 'ipk_events_stored_total', { channel: 'chan-a' })).toBe(3);
    expect(valueOf(json, 'ipk_events_stored_total', { channel: 'chan-b' })).toBe(1);
    expect(valueOf(json, 'ipk_push_duplicate_events_total', { channel: 'chan-a' })).toBe(1);
    expect(valueOf(json, 'ipk_push_duplicate_events_total', { channel: 'chan-b' })).toBe(0);
  });

  it('counts refused deliveries by error code, an unknown channel under _other', () => {
    expect(valueOf(json, 'ipk_push_refused_total', { code: 'bad_signature', channel: 'chan-a' })).toBe(1);
    expect(valueOf(json, 'ipk_push_refused_total', { code: 'unknown_channel', channel: '_other' })).toBe(1);
    expect(valueOf(json, 'ipk_push_refused_total', { code: 'invalid_json', channel: 'chan-b' })).toBe(1);
    expect(valueOf(json, 'ipk_push_refused_total', { code: 'store_unavailable', channel: 'chan-a' })).toBe(1);
    const refused = json.find((m) => m.name === 'ipk_push_refused_total')!.values.reduce((a, v) => a + v.value, 0);
    expect(refused).toBe(4);
    // Handshakes are not deliveries.
    expect(valueOf(json, 'ipk_push_refused_total', { code: 'bad_verify_token', channel: 'chan-a' })).toBe(0);
  });

  it('counts requests by operation and status class (the warm-up not among them)', () => {
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'push', status_class: '2xx' })).toBe(5);
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'push', status_class: '4xx' })).toBe(3);
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'push', status_class: '5xx' })).toBe(1);
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'handshake', status_class: '2xx' })).toBe(1);
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'handshake', status_class: '4xx' })).toBe(1);
    expect(valueOf(json, 'ipk_http_requests_total', { operation: 'list_messages', status_class: '4xx' })).toBe(0);
  });

  it('reports the store: each commit timed and sized, nothing left waiting, the failure by cause', () => {
    // Five deliveries reached the store, one at a time (each push awaited its answer).
    expect(valueOf(json, 'ipk_store_commit_batch_deliveries_count')).toBe(5);
    expect(valueOf(json, 'ipk_store_commit_batch_deliveries_sum')).toBe(5);
    expect(valueOf(json, 'ipk_store_commit_duration_seconds_count')).toBe(5);
    expect(valueOf(json, 'ipk_store_commit_duration_seconds_sum')).toBeGreaterThan(0);
    expect(valueOf(json, 'ipk_store_appends_waiting')).toBe(0);
    expect(valueOf(json, 'ipk_store_errors_total', { cause: 'closed' })).toBe(1);
    expect(valueOf(json, 'ipk_store_errors_total', { cause: 'commit' })).toBe(0);
  });

  it('reports the refusal log and the live-feed streams', () => {
    // The three refused deliveries and the refused handshake (a 500 is not a refusal the console lists).
    expect(valueOf(json, 'ipk_refusal_log_entries')).toBe(4);
    expect(valueOf(json, 'ipk_refusal_log_bytes')).toBe(server.refusals.bytes);
    expect(valueOf(json, 'ipk_feed_streams_open')).toBe(0);
  });

  it('names no series after anything a request carried', () => {
    expect(seriesOf(json).some((s) => s.includes('no-such-channel'))).toBe(false);
  });
});

describe('GET /metrics on the main port', () => {
  it('answers the Prometheus text to the metrics token only', async () => {
    const none = await get(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ code: 'unauthorized' });
    expect((await get(`${server.url}/metrics`, { authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await get(`${server.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.text).toContain('# TYPE ipk_push_accepted_total counter');
  });

  it('is not served on the main port without a metrics token (404)', async () => {
    const bare = await startTestServer({ config: testConfig });
    try {
      expect((await get(`${bare.url}/metrics`)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe('the METRICS_PORT listener', () => {
  it('serves only GET /metrics', async () => {
    expect((await fetch(`${listener.url}/`)).status).toBe(404);
    expect((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status).toBe(404);
    const head = await fetch(`${listener.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
