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
    // Each is opened in turn: Redoc renders progressively, so one read of the page can miss a section.
    const operations: [string, string[]][] = [
      ['Push/operation/pushMessage', ['Push a delivery (channel found from the account ID)']],
      ['Handshake/operation/verifyChannelSubscription', ["Answer Meta's subscription handshake", 'hub.verify_token']],
      ['Push/operation/pushChannelMessage', ['Push a delivery to a channel', 'chanId']],
    ];
    for (const [link, texts] of operations) {
      await page.goto(`${server.url}/docs#tag/${link}`, { waitUntil: 'load' });
      for (const text of texts) {
        await has(text);
        expect(await page.locator('body').innerText()).toContain(text);
      }
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
