// The console header's chart: deliveries accepted and refused per minute over the last hour, drawn from
// GET /inbox/rates, in a real browser.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, offMachineRequests } from '../support/browser.js';
import { ACCOUNT_A, INBOX_TOKEN, SECRET_A, testConfig } from '../support/channels.js';
import { axeViolations, buildConsoleIfStale, live, watchErrors } from '../support/console-page.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  buildConsoleIfStale();
  mkdirSync('reports/screenshots', { recursive: true });
  [server, browser] = await Promise.all([startTestServer({ config: testConfig, app: { feedPollMs: 100 } }), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the console header's rate chart", () => {
  it('shows the last hour of accepted and refused deliveries, with the figures in its accessible name', async () => {
    for (const mid of ['c-1', 'c-2']) expect((await push(server.url, textDelivery(mid, ACCOUNT_A), { secret: SECRET_A })).status).toBe(200);
    expect((await push(server.url, textDelivery('c-3', ACCOUNT_A), { secret: 'wrong' })).status).toBe(401);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const offMachine = offMachineRequests(page);
      const errors = watchErrors(page);
      await page.goto(`${server.url}/inbox#token=${INBOX_TOKEN}`, { waitUntil: 'load' });
      await live(page);
      const chart = page.locator('header #rates');
      await chart.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await chart.getAttribute('data-accepted')).toBe('2');
      expect(await chart.getAttribute('data-refused')).toBe('1');
      expect(await chart.getAttribute('aria-label')).toMatch(/^Last hour: 2 accepted, 1 refused; this minute: /);
      // The minute may have turned between the pushes: bars of both kinds, one or two minutes wide.
      expect(await chart.locator('rect.rate-accepted').count()).toBeGreaterThanOrEqual(1);
      expect(await chart.locator('rect.rate-refused').count()).toBe(1);
      await page.locator('header.top').screenshot({ path: 'reports/screenshots/console-rates.png' });
      expect(await axeViolations(page)).toEqual([]);
      expect(offMachine).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
