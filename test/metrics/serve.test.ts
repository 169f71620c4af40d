// serve() with metrics: METRICS_PORT on loopback without a token, metricsToken on the main port, the
// store's commits observed, process metrics on; a bad METRICS_PORT stops the start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve } from '../../server/main.js';
import { get, push, textDelivery } from '../support/http.js';

describe('serve with metrics', () => {
  it('serves /metrics on METRICS_PORT (loopback, no token) and on the main port for metricsToken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-serve-metrics-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'a', accountId: '1', appSecret: 'shh' }], metricsToken: { env: 'METRICS_TOKEN' } }));
    const s = await serve({ port: 0, env: { CONFIG: config, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', METRICS_PORT: '0', METRICS_TOKEN: 'mt' } });
    try {
      expect(s.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await push(s.url, textDelivery('sm-1', '1'), { chanId: 'a', secret: 'shh' })).status).toBe(200);
      const own = await get(`${s.metricsUrl}/metrics`);
      expect(own.status).toBe(200);
      expect(own.text).toContain('ipk_push_accepted_total{channel="a"} 1');
      expect(own.text).toContain('ipk_store_commit_duration_seconds_count 1');
      expect(own.text).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
      expect((await get(`${s.url}/metrics`)).status).toBe(401);
      expect((await get(`${s.url}/metrics`, { authorization: 'Bearer mt' })).status).toBe(200);
    } finally {
      await s.close();
    }
    await expect(fetch(`${s.metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('refuses a METRICS_PORT that is not a port', async () => {
    await expect(serve({ port: 0, env: { METRICS_PORT: 'ninety', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } })).rejects.toThrow(/METRICS_PORT/);
  });
});
