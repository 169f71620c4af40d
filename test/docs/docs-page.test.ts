// The docs site as a person sees it: served at /docs, rendered by a real browser, entirely offline.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, offMachineRequests } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { buildDocsIfStale } from '../support/docs.js';

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  buildDocsIfStale();
  [server, browser] = await Promise.all([startTestServer(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the docs page', () => {
  it('shows both operations, the request schema and the examples, with no request off the machine', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const offMachine = offMachineRequests(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const has = (text: string) => page.waitForFunction((t) => document.body.innerText.includes(t), text, { timeout: 15_000 });
    // Deep links open each operation (and its tag in the sidebar), as a reader following a link would.
    await page.goto(`${server.url}/docs#tag/Handshake/operation/verifyChannelSubscription`, { waitUntil: 'load' });
    await has('hub.verify_token');
    await page.goto(`${server.url}/docs#tag/Push/operation/pushChannelMessage`, { waitUntil: 'load' });
    await has('Push a delivery to a channel');
    await has('chanId');
    const text = await page.locator('body').innerText();
    for (const expected of ['Push a delivery (channel found from the account ID)', 'Push a delivery to a channel', "Answer Meta's subscription handshake"]) {
      expect(text).toContain(expected);
    }
    const detail = await page.locator('body').innerText();
    expect(detail).toContain('chanId');
    expect(detail).toMatch(/entry/);
    expect(detail).toContain("The provider's example, made valid"); // the named examples are offered
    mkdirSync('reports/screenshots', { recursive: true });
    await page.screenshot({ path: 'reports/screenshots/docs.png' });
    expect(offMachine).toEqual([]);
    expect(errors).toEqual([]);
  });
});
