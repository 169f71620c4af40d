// The inbox console over an inbox far larger than the live feed's backlog: older pages walk back to the
// very first event, which opens; the page never holds more than its cap while doing it; "Back to newest"
// returns to the live edge; and a search the server runs finds an old event without loading the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { axeViolations, buildConsoleIfStale, live, watchErrors } from '../support/console-page.js';
import { push } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** More than the backlog (200) and the page's cap (1000) together. */
const EVENTS = 1500;
const CAP = 1000;
const BATCH = 200;

const event = (i: number) => ({
  sender: { id: `${1000 + (i % 7)}` },
  recipient: { id: '17841400000000000' },
  timestamp: 1732519200000 + i * 1000,
  message:
    i === 0
      ? { mid: 'hist-0', text: 'the very first one' }
      : i === 5
        ? { mid: 'hist-5', text: 'needle-in-history, sent by the business', is_echo: true }
        : { mid: `hist-${i}`, text: `event number ${i}` },
});

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  buildConsoleIfStale();
  [server, browser] = await Promise.all([startTestServer({ app: { feedPollMs: 100 } }), launchChromium()]);
  for (let from = 0; from < EVENTS; from += BATCH) {
    const messaging = Array.from({ length: BATCH }, (_, k) => event(from + k));
    const r = await push(server.url, { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging }] }, { chanId: 'hist' });
    expect(r.status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const rows = (page: Page) => page.locator('#timeline > li').count();

async function open(query = ''): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const requests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/inbox/messages')) requests.push(r.url());
  });
  await page.goto(`${server.url}/inbox${query}`, { waitUntil: 'load' });
  await live(page);
  return { page, errors, requests };
}

describe('older deliveries in the inbox console', () => {
  it('walks back to the oldest event and opens it, never holding more than its cap', async () => {
    const { page, errors } = await open();
    try {
      await expect.poll(() => rows(page)).toBe(200);
      const older = page.getByRole('button', { name: 'Load older deliveries' });
      const held: number[] = [];
      for (let i = 0; i < 30 && (await older.isVisible()); i++) {
        await older.click();
        await expect.poll(() => page.locator('#older-status').innerText()).not.toMatch(/^Loading/);
        held.push(await rows(page));
      }
      expect(await older.isVisible()).toBe(false);
      expect(Math.max(...held)).toBe(CAP);
      expect(await page.locator('#older-status').innerText()).toContain('The oldest stored delivery is shown');
      const first = page.locator('#timeline button.entry', { hasText: 'the very first one' });
      await first.click();
      expect(JSON.parse(await page.locator('#event-json').innerText())).toEqual(event(0));
      // Nothing newer than what is held is shown while walking back; the bar says so and leads back.
      expect(await page.locator('#newer').isVisible()).toBe(true);
      expect(await page.locator('#timeline button.entry', { hasText: `event number ${EVENTS - 1}` }).count()).toBe(0);
      // The thousand entries are checked elsewhere; here the controls that walk back and return.
      expect(await axeViolations(page, ['#timeline'])).toEqual([]);

      const live = { object: 'instagram', entry: [{ id: '17841400000000000', time: 1732519200123, messaging: [{ sender: { id: '1' }, timestamp: 1732519300000, message: { mid: 'hist-live', text: 'arrived while walking back' } }] }] };
      expect((await push(server.url, live, { chanId: 'hist' })).status).toBe(200);
      await expect.poll(() => page.locator('#newer-text').innerText()).toContain('1 newer arrived');
      expect(await page.locator('#timeline button.entry', { hasText: 'arrived while walking back' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Back to newest' }).click();
      await expect.poll(() => page.locator('#timeline button.entry').first().innerText()).toContain('arrived while walking back');
      expect(await rows(page)).toBe(200);
      expect(await page.locator('#newer').isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 90_000);

  it('finds an old event by a search the server runs, without loading the events between', async () => {
    const { page, errors, requests } = await open();
    try {
      await expect.poll(() => rows(page)).toBe(200);
      await page.fill('#f-q', 'NEEDLE-in-history');
      await expect.poll(() => page.locator('#timeline button.entry').allInnerTexts()).toEqual([expect.stringContaining('needle-in-history')]);
      expect(new URL(page.url()).search).toBe('?q=NEEDLE-in-history');
      expect(requests.some((u) => new URL(u).searchParams.get('q') === 'NEEDLE-in-history')).toBe(true);
      // The 200 of the backlog and the one match: nothing in between was loaded.
      expect(await page.locator('#count').innerText()).toBe('(1 shown of 201 loaded)');

      // Direction is the server's filter too, and the URL keeps it over a reload.
      await page.fill('#f-q', '');
      await page.selectOption('#f-direction', 'echo');
      await expect.poll(() => page.locator('#timeline button.entry').allInnerTexts()).toEqual([expect.stringContaining('needle-in-history')]);
      await page.reload({ waitUntil: 'load' });
      await live(page);
      expect(await page.inputValue('#f-direction')).toBe('echo');
      await expect.poll(() => page.locator('#timeline button.entry').allInnerTexts()).toEqual([expect.stringContaining('needle-in-history')]);
      expect(await page.locator('#older-status').innerText()).toContain('nothing older matches');
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
