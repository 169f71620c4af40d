// ipk_ready says what /readyz says, so an alert sees an instance its balancer routes around (it receives
// nothing, so no push fails there): 0 before the app is warm, 1 while its store answers, 0 once it cannot;
// and a scrape answers while the relay's store cannot be read, so that ipk_ready can be seen.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { registerRelayMetrics } from '../../server/metrics/relay.js';
import { createServerMetrics } from '../../server/metrics/server-metrics.js';
import { get } from '../support/http.js';
import { startTestServer } from '../support/server.js';

const inboxFile = () => join(mkdtempSync(join(tmpdir(), 'ipk-ready-metric-')), 'inbox.sqlite');

describe('ipk_ready', () => {
  it('is 1 while /readyz answers 200, and 0 once the store cannot be reached', async () => {
    const inbox = new SqliteInbox({ file: inboxFile() });
    const server = await startTestServer({ inbox, app: { metricsToken: 'mt' } });
    try {
      expect((await get(`${server.url}/readyz`)).status).toBe(200);
      expect((await get(`${server.url}/metrics`, { authorization: 'Bearer mt' })).text).toMatch(/^ipk_ready 1$/m);
      await inbox.close();
      expect((await get(`${server.url}/readyz`)).status).toBe(503);
      expect((await get(`${server.url}/metrics`, { authorization: 'Bearer mt' })).text).toMatch(/^ipk_ready 0$/m);
    } finally {
      await server.close();
    }
  });

  it('is 0 until the app has warmed up', async () => {
    const inbox = new SqliteInbox({ file: inboxFile() });
    const app = createApp({ inbox, logger: pino({ level: 'silent' }) });
    try {
      expect(await app.metrics.registry.getSingleMetricAsString('ipk_ready')).toMatch(/^ipk_ready 0$/m);
      await app.warmUp();
      expect(await app.metrics.registry.getSingleMetricAsString('ipk_ready')).toMatch(/^ipk_ready 1$/m);
    } finally {
      app.metrics.stop();
      await inbox.close();
    }
  });
});

describe('a scrape while the relay cannot read its store', () => {
  it('still answers, with ipk_ready and the circuits, leaving out the shared-store gauges', async () => {
    const metrics = createServerMetrics({ channelIds: ['chan-a'], processMetrics: false });
    let readable = true;
    const status = [{ id: 'cc', channel: 'chan-a', configured: true, paused: false, counts: { pending: 2, retrying: 0, delivered: 0, dead: 0 }, oldestPendingAt: null }];
    registerRelayMetrics(metrics.registry, {
      status: async () => {
        if (!readable) throw new Error('the relay database is unreachable');
        return status;
      },
      circuits: () => ({ cc: 'open' }),
    });
    try {
      expect(await metrics.registry.metrics()).toContain('ipk_relay_forwards{destination="cc",state="pending"} 2');
      readable = false;
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^ipk_ready [01]$/m);
      expect(text).toContain('ipk_relay_circuit_open{destination="cc"} 1');
      expect(text).not.toMatch(/^ipk_relay_(forwards|oldest_pending_age_seconds|destination_paused)\{/m);
    } finally {
      metrics.stop();
    }
  });
});
