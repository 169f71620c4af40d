// Bounded cardinality: pushes to chanIds nobody configured (an attacker's random ones) change counts,
// never the set of series, so the /metrics text grows only by the digits of the counts that moved.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerMetrics, type ServerMetrics } from '../../server/metrics/server-metrics.js';
import { testConfig } from '../support/channels.js';
import { push, textDelivery, PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { seriesOf, type MetricsJson } from './scrape.js';

const TOKEN = 'metrics-token';

/** The served text, and the registry's JSON read right after (no request in between). */
async function scrape(server: TestServer, metrics: ServerMetrics): Promise<{ text: string; json: MetricsJson }> {
  const r = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return { text: await r.text(), json: await metrics.registry.getMetricsAsJSON() };
}

/** Characters the values take in the text format (prom-client writes a finite number as String(n)). */
const valueChars = (json: MetricsJson) => json.flatMap((m) => m.values).reduce((n, v) => n + String(v.value).length, 0);

/**
 * Sends `count` empty pushes, each to a random chanId, pipelined on one keep-alive connection in
 * batches of 100 (the cheapest way to make many real HTTP requests, never many waiting at once);
 * resolves with how many were answered 404.
 */
function pipelinedUnknownPushes(url: string, count: number, batch = 100): Promise<number> {
  const { hostname, port } = new URL(url);
  const request = () => `POST ${PUSH_PATH}/${randomUUID()} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let answers = 0;
    let notFound = 0;
    let sent = 0;
    const sendBatch = () => {
      const n = Math.min(batch, count - sent);
      sent += n;
      socket.write(Array.from({ length: n }, request).join(''));
    };
    socket.setEncoding('latin1');
    socket.on('connect', sendBatch);
    socket.on('data', (chunk: string) => {
      text += chunk;
      // Count complete status lines and keep only the tail that may hold a split one.
      for (let at = text.indexOf('HTTP/1.1 '); at !== -1; at = text.indexOf('HTTP/1.1 ', at + 1)) {
        if (at + 13 > text.length) break;
        answers++;
        if (text.startsWith('HTTP/1.1 404 ', at)) notFound++;
      }
      const split = text.lastIndexOf('HTTP/1.1 ');
      text = split !== -1 && split + 13 > text.length ? text.slice(split) : text.slice(-8);
      if (answers === count) {
        socket.end();
        resolve(notFound);
      } else if (answers === sent) sendBatch();
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${answers} of ${count} answers`)));
  });
}

describe('label cardinality', () => {
  let metrics: ServerMetrics;
  let server: TestServer;
  beforeAll(async () => {
    metrics = createServerMetrics({ channelIds: testConfig.channels.map((c) => c.id), processMetrics: false });
    server = await startTestServer({ config: testConfig, app: { metrics, metricsToken: TOKEN } });
  });
  afterAll(async () => {
    await server.close();
    metrics.stop();
  });

  it('10 000 pushes to random unknown chanIds leave the series, and so the output size, unchanged', async () => {
    const before = await scrape(server, metrics);
    const answered = await Promise.all(Array.from({ length: 4 }, () => pipelinedUnknownPushes(server.url, 2_500)));
    expect(answered).toEqual([2_500, 2_500, 2_500, 2_500]);
    const after = await scrape(server, metrics);
    expect(seriesOf(after.json)).toEqual(seriesOf(before.json));
    // The only growth is in the digits of the values: the scrape and the refusals counted.
    expect(after.text.length - before.text.length).toBe(valueChars(after.json) - valueChars(before.json));
    const refused = after.json.find((m) => m.name === 'ipk_push_refused_total')!.values.find((v) => v.labels.code === 'unknown_channel' && v.labels.channel === '_other');
    expect(refused?.value).toBe(10_000);
  }, 120_000);
});

describe('label cardinality in the open sandbox', () => {
  it('counts pushes to any chanId under _other', async () => {
    const metrics = createServerMetrics({ processMetrics: false });
    const server = await startTestServer({ app: { metrics, metricsToken: TOKEN } });
    try {
      const before = seriesOf(await metrics.registry.getMetricsAsJSON());
      for (let i = 0; i < 20; i++) expect((await push(server.url, textDelivery(`sb-${i}`), { chanId: `random-${randomUUID()}` })).status).toBe(200);
      const json = await metrics.registry.getMetricsAsJSON();
      expect(seriesOf(json)).toEqual(before);
      expect(json.find((m) => m.name === 'ipk_push_accepted_total')!.values).toEqual([expect.objectContaining({ labels: { channel: '_other' }, value: 20 })]);
    } finally {
      await server.close();
      metrics.stop();
    }
  });
});
