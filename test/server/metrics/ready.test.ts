// ipk_ready says what /readyz says, so an alert sees an instance its balancer routes around (it receives
// nothing, so no push fails there): 0 before the app is warm, 1 while its store answers, 0 once it cannot.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../server/app.js';
import { SqliteInbox } from '../../../server/inbox/sqlite-inbox.js';
import { get } from '../../support/http.js';
import { startTestServer } from '../../support/server.js';

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
