// The inbox console at a phone's width and a laptop's, holding the longest unbroken strings a sender can
// put where it shows them (IDs, texts, URLs, attachment types, referral refs, paths) and the longest
// reasons the server gives: nothing wider than the screen at 320, 390 and 1280 px, axe clean, and every
// reason readable in full one tap away. Refused handshakes read as handshakes, and never show the token.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, offMachineRequests } from '../support/browser.js';
import { INBOX_TOKEN, testConfig } from '../support/channels.js';
import { axeViolations, buildConsoleIfStale, horizontalOverflow, live, watchErrors } from '../support/console-page.js';
import { get, push, PUSH_PATH, request } from '../support/http.js';
import { LONG_CHANNEL, LONG_MODE, LONG_PARAMETER, longStringDeliveries, manyPathsDelivery } from '../support/long-strings.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SHOTS = 'reports/screenshots';
const HANDSHAKE_TOKEN = 'hs-token-never-shown';
const WIDTHS = [320, 390, 1280];

let server: TestServer;
let browser: Browser;
/** Every entry the page should list, and the refusal whose reason is the longest. */
let expected: number;
let longest: { key: string; resultMsg: string; paths: string[] };

beforeAll(async () => {
  buildConsoleIfStale();
  [server, browser] = await Promise.all([startTestServer({ config: testConfig, app: { feedPollMs: 100 } }), launchChromium()]);
  mkdirSync(SHOTS, { recursive: true });
  for (const d of longStringDeliveries()) expect((await push(server.url, d)).status).toBe(200);
  expect((await push(server.url, manyPathsDelivery())).status).toBe(400);
  const unknownParameter = await request(`${server.url}${PUSH_PATH}/chan-open?${LONG_PARAMETER}=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(longStringDeliveries()[0]),
  });
  expect(unknownParameter.status).toBe(400);
  expect((await push(server.url, { object: 'instagram', entry: [] }, { chanId: LONG_CHANNEL })).status).toBe(404);
  expect((await get(`${server.url}${PUSH_PATH}?hub.mode=${LONG_MODE}&hub.verify_token=${HANDSHAKE_TOKEN}&hub.challenge=1`)).status).toBe(400);
  expect((await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=${HANDSHAKE_TOKEN}&hub.challenge=1`)).status).toBe(401);
  const refusals = server.refusals.since();
  expected = longStringDeliveries().length + refusals.length;
  const reasonLength = (r: (typeof refusals)[number]) => r.error.resultMsg.length + r.error.errors.reduce((n, e) => n + e.path.length, 0);
  const top = refusals.reduce((a, b) => (reasonLength(b) > reasonLength(a) ? b : a));
  longest = { key: `r${top.id}`, resultMsg: top.error.resultMsg, paths: top.error.errors.map((e) => e.path) };
  expect(reasonLength(top)).toBeGreaterThan(6000);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const entry = (page: Page, key: string) => page.locator(`#timeline button.entry[data-key="${key}"]`);

/** Asserts the document is no wider than the viewport; names what sticks out when it is. */
async function expectNoOverflow(page: Page, what: string): Promise<void> {
  const o = await horizontalOverflow(page);
  expect(o.documentWidth, `${what}: ${o.culprits.join(', ')}`).toBeLessThanOrEqual(o.viewport);
}

/** The element's text is all laid out inside the viewport: nothing cut at the right, nothing scrolled away. */
async function readable(page: Page, selector: string): Promise<{ text: string; inside: boolean }> {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { text: (el as HTMLElement).innerText, inside: r.left >= 0 && r.right <= document.documentElement.clientWidth + 0.5 && el.scrollWidth <= el.clientWidth + 1 };
  });
}

describe.each(WIDTHS)('the inbox console at %i px', (width) => {
  let page: Page;
  let errors: string[];
  let offMachine: string[];

  beforeAll(async () => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    page = await context.newPage();
    errors = watchErrors(page);
    offMachine = offMachineRequests(page);
    await page.goto(`${server.url}/inbox#token=${INBOX_TOKEN}`, { waitUntil: 'load' });
    await live(page);
    await page.waitForFunction((n) => document.querySelectorAll('#timeline button.entry').length === n, expected, { timeout: 10_000 });
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('is no wider than the screen, with every long string wrapped or cut, and axe clean', async () => {
    await expectNoOverflow(page, 'timeline');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/console-long-${width}.png` });
  });

  it('shows the longest reason in the timeline within the screen, and in full one tap away', async () => {
    const inTimeline = await readable(page, `#timeline button.entry[data-key="${longest.key}"] .reason`);
    expect(inTimeline.inside).toBe(true);
    expect(inTimeline.text.startsWith(longest.resultMsg.slice(0, 20))).toBe(true);
    await entry(page, longest.key).click();
    const reason = await readable(page, '#detail .reason-block p');
    expect(reason.inside).toBe(true);
    expect(reason.text).toBe(longest.resultMsg);
    const paths = await readable(page, '#detail .reason-block .paths');
    expect(paths.inside).toBe(true);
    for (const path of longest.paths) expect(paths.text).toContain(path);
    await expectNoOverflow(page, `details of ${longest.key}`);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/console-longest-reason-${width}.png` });
  });

  it('opens every entry without widening the page, each long string whole in the details', async () => {
    const keys = await page.locator('#timeline button.entry').evaluateAll((buttons) => buttons.map((b) => (b as HTMLElement).dataset.key!));
    for (const key of keys) {
      await entry(page, key).click();
      await expectNoOverflow(page, `details of ${key}`);
    }
    await entry(page, 'a1').click();
    expect(await page.locator('#detail .facts').innerText()).toContain(`long-text-${'x'.repeat(5000)}`);
    expect(errors).toEqual([]);
    expect(offMachine).toEqual([]);
  });

  it('labels a refused handshake as one, with its mode, and never shows the verify token', async () => {
    const handshakes = page.locator('#timeline button.entry', { hasText: 'handshake' });
    await expect.poll(() => handshakes.count()).toBe(2);
    const subscribe = page.locator('#timeline button.entry', { hasText: 'hub.mode=subscribe' });
    expect(await subscribe.innerText()).toContain('401 refused');
    await subscribe.click();
    const facts = await page.locator('#detail .facts').innerText();
    expect(facts).toMatch(/Kind\s+handshake/);
    expect(facts).toMatch(/Mode\s+subscribe/);
    expect(facts).toMatch(/Verify token\s+sent \(never kept or shown\)/);
    expect(await page.locator('body').innerText()).not.toContain(HANDSHAKE_TOKEN);
    expect(await page.content()).not.toContain(HANDSHAKE_TOKEN);
  });
});

describe('the site icon', () => {
  it('is served at /favicon.ico, so the browser asking for it is never listed as a refusal', async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    expect((await icon.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(server.refusals.since().filter((r) => r.path.includes('favicon'))).toEqual([]);
  });
});
