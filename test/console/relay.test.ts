// The inbox console on a server that forwards (issue 27), in a real browser: each event's forwarding per
// destination (delivered, retrying in N s counting down, dead with the receiver's reason and how to replay
// it), the attempts in the detail pane with the delivery each event travels in, and the destination
// panel's URL, next attempt, last error and live backlog once a destination is paused; behind an open
// circuit, the wait for the next probe (issue 35). A server without a relay shows nothing of it.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, offMachineRequests } from '../support/browser.js';
import { ACCOUNT_A, INBOX_TOKEN, SECRET_A, testConfig } from '../support/channels.js';
import { axeViolations, buildConsoleIfStale, horizontalOverflow, live, watchErrors } from '../support/console-page.js';
import { push, textDelivery } from '../support/http.js';
import { freePort } from '../support/process.js';
import { accept, ADMIN, fail, FAST, faultDestination, RELAY_ACCOUNT, RELAY_SECRET, startRelayServer, TOKEN, type RelayServer } from '../support/relay.js';
import { startTestServer } from '../support/server.js';
import type { RelayDestination } from '../../client/index.js';
import { countdownText, cut, duration, probeText, retryText } from '../../server/console/forwarding.js';
import { backlogOf, destinationState } from '../../server/console/relay-panel.js';

const SHOTS = 'reports/screenshots';
const REFUSAL = '{"resultMsg":"bad signature"}';

let browser: Browser;
beforeAll(async () => {
  buildConsoleIfStale();
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

const entry = (page: Page, text: string) => page.locator('#timeline button.entry', { hasText: text });
const fwd = (page: Page, text: string, destination: string) => entry(page, text).locator(`.fwd[data-destination="${destination}"]`);
const fact = (page: Page, destination: string, name: string) => page.locator(`#relay-destinations li[data-destination="${destination}"] dd[data-fact="${name}"]`);
const admin = (relay: RelayServer, destination: string, act: 'pause' | 'resume') =>
  fetch(`${relay.url}/relay/destinations/${destination}/${act}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
const seconds = (text: string) => Number(/retrying in (\d+) s/.exec(text)?.[1]);

describe('the inbox console with a relay', () => {
  let relay: RelayServer;
  let cc: Awaited<ReturnType<typeof faultDestination>>;
  let dd: Awaited<ReturnType<typeof faultDestination>>;
  let ee: Awaited<ReturnType<typeof faultDestination>>;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let offMachine: string[];

  beforeAll(async () => {
    // cc delivers everything but the poison, which it refuses in a way no retry cures; dd is down and asks for a minute.
    cc = await faultDestination((_n, res, req) => (received(cc, _n).includes('poison') ? fail(res, 401, REFUSAL) : accept(res)));
    dd = await faultDestination((_n, res) => fail(res, 503, '{"resultMsg":"maintenance"}', { 'retry-after': '60' }));
    // ee accepts everything and batches as configured by default: the events that wait for it travel together.
    ee = await faultDestination((_n, res) => accept(res));
    // One event per delivery to cc and dd: the poison must not take the first event down with it, whatever the timing.
    relay = await startRelayServer([
      { id: 'cc', url: cc.url, batch: { maxEvents: 1 } },
      { id: 'dd', url: dd.url, batch: { maxEvents: 1 } },
      { id: 'ee', url: ee.url },
    ]);
    for (const [mid, text] of [['m-ok', 'first text'], ['m-poison', 'poison text']] as const) {
      expect((await push(relay.url, textDelivery(mid, RELAY_ACCOUNT, text), { secret: RELAY_SECRET })).status).toBe(200);
    }
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    errors = watchErrors(page);
    offMachine = offMachineRequests(page);
    await page.goto(`${relay.url}/inbox#token=${TOKEN}`, { waitUntil: 'load' });
    await live(page);
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await relay?.close();
    await cc?.close();
    await dd?.close();
    await ee?.close();
  });

  it('shows each event delivered, dead with the reason, or retrying in N s counting down, per destination', async () => {
    await expect.poll(() => fwd(page, 'first text', 'cc').innerText(), { timeout: 15_000 }).toContain('delivered');
    await expect.poll(() => fwd(page, 'poison text', 'cc').innerText(), { timeout: 15_000 }).toContain('dead: refused with 401: {"resultMsg":"bad signature"}');
    await expect.poll(() => fwd(page, 'first text', 'dd').innerText(), { timeout: 15_000 }).toMatch(/→ dd retrying in \d+ s/);
    const first = seconds(await fwd(page, 'first text', 'dd').innerText());
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(61);
    // The page counts down by itself, between two reads of the server.
    await expect.poll(async () => seconds(await fwd(page, 'first text', 'dd').innerText()), { timeout: 10_000 }).toBeLessThan(first);
  });

  it('lists the attempts of the selected event in the detail pane: time, status, latency, error', async () => {
    await entry(page, 'poison text').click();
    const cut = page.locator('#forwarding .fwd-block[data-destination="cc"]');
    await expect.poll(() => cut.getAttribute('data-state'), { timeout: 10_000 }).toBe('dead');
    expect(await cut.locator('.fwd-why').innerText()).toBe(`Dead: refused with 401: ${REFUSAL}`);
    const id = (await cut.locator('.fwd-delivery').innerText()).replace('· delivery ', '').trim();
    expect(await cut.locator('.fwd-replay').innerText()).toBe(`Replay it with \`ig-push relay replay cc --event ${id}\`, or POST /relay/events/${id}/replay?destination=cc (admin token).`);
    const row = await cut.locator('table.attempts tbody tr').first().locator('td').allInnerTexts();
    expect(row[1]).toBe('401');
    expect(row[2]).toMatch(/^\d+ ms$/);
    expect(row[3]).toContain('bad signature');
    const down = page.locator('#forwarding .fwd-block[data-destination="dd"]');
    expect(await down.getAttribute('data-state')).toBe('retrying');
    expect(await down.locator('.fwd-head').innerText()).toMatch(/retrying in \d+ s · 1 attempt · last status 503/);
    expect((await down.locator('table.attempts tbody tr').first().locator('td').allInnerTexts())[1]).toBe('503');
  });

  it('shows each destination in the panel, and the backlog of one paused, live', async () => {
    const panel = page.locator('#relay');
    await panel.waitFor({ state: 'visible' });
    const state = (id: string) => page.locator(`#relay-destinations li[data-destination="${id}"]`).getAttribute('data-state');
    expect(await state('cc')).toBe('active');
    expect(await fact(page, 'cc', 'counts').innerText()).toBe('0 pending · 0 retrying · 1 delivered · 1 dead');
    expect(await fact(page, 'cc', 'error').innerText()).toMatch(/^refused with HTTP 401: bad signature \(\d+ s ago\)$/);
    expect(await fact(page, 'cc', 'replay').innerText()).toBe('ig-push relay replay cc, or POST /relay/destinations/cc/replay (admin token)');
    expect(await fact(page, 'cc', 'url').innerText()).toBe(cc.url);
    expect(await fact(page, 'cc', 'next').innerText()).toBe('as events are due');
    expect(await fact(page, 'dd', 'backlog').innerText()).toBe('2');
    expect(await fact(page, 'dd', 'error').innerText()).toMatch(/^HTTP 503: maintenance \(\d+ s ago\)$/);
    expect(await fact(page, 'dd', 'next').innerText()).toMatch(/^retrying in \d+ s$/);
    expect(await fact(page, 'dd', 'oldest').innerText()).toMatch(/^\d+ (s|min)$/);

    // Both first events reached ee (so neither can join the deliveries that wait) before it is paused.
    await expect.poll(() => ['m-ok', 'm-poison'].every((mid) => ee.received.some((r) => r.body.includes(`"${mid}"`))), { timeout: 15_000 }).toBe(true);
    for (const id of ['cc', 'ee']) expect((await admin(relay, id, 'pause')).status).toBe(200);
    for (const mid of ['m-wait-1', 'm-wait-2', 'm-wait-3']) expect((await push(relay.url, textDelivery(mid, RELAY_ACCOUNT, mid), { secret: RELAY_SECRET })).status).toBe(200);
    await expect.poll(() => state('cc'), { timeout: 15_000 }).toBe('paused');
    await expect.poll(() => fact(page, 'cc', 'backlog').innerText(), { timeout: 15_000 }).toBe('3');
    expect(await fact(page, 'cc', 'oldest').innerText()).toMatch(/^\d+ s$/);
    await expect.poll(() => fwd(page, 'm-wait-3', 'cc').innerText(), { timeout: 15_000 }).toBe('→ cc pending');
    await page.screenshot({ path: `${SHOTS}/console-relay.png`, fullPage: true });
  });

  it('names the delivery each event travels in: the same for the events sent together, with a note on the others', async () => {
    const before = ee.received.length;
    expect((await admin(relay, 'ee', 'resume')).status).toBe(200);
    const block = page.locator('#forwarding .fwd-block[data-destination="ee"]');
    const seen: { delivery: string; notes: string[] }[] = [];
    for (const mid of ['m-wait-1', 'm-wait-2', 'm-wait-3']) {
      await entry(page, mid).click();
      await expect.poll(() => block.getAttribute('data-state'), { timeout: 15_000 }).toBe('delivered');
      seen.push({ delivery: (await block.locator('.fwd-delivery').innerText()).trim(), notes: await block.locator('p.note').allInnerTexts() });
    }
    // The three waited together, so one delivery carried them, named by the first.
    expect(ee.received.length - before).toBe(1);
    expect(seen[0]!.delivery).toMatch(/^· delivery \d+$/);
    expect(seen.map((s) => s.delivery)).toEqual([seen[0]!.delivery, seen[0]!.delivery, seen[0]!.delivery]);
    const first = seen[0]!.delivery.replace('· delivery ', '');
    const stored = (await (await fetch(`${relay.url}/inbox/messages?limit=10`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { items: { id: string; mid: string | null }[] };
    expect(stored.items.find((m) => m.mid === 'm-wait-1')?.id).toBe(first);
    expect(seen.map((s) => s.notes)).toEqual([
      [],
      [`Sent in one delivery with event ${first} and the others grouped with it: the attempts below are the delivery's.`],
      [`Sent in one delivery with event ${first} and the others grouped with it: the attempts below are the delivery's.`],
    ]);
  });

  it('asks the server nothing while the page is hidden, and at once when it is shown again', async () => {
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/relay/')) asked.push(r.url());
    });
    const visibility = (state: 'hidden' | 'visible') =>
      page.evaluate((state) => {
        Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await visibility('hidden');
    await page.waitForTimeout(300); // a poll already on its way may still land
    asked.length = 0;
    // Longer than the 5 s between polls: a visible page would have asked.
    await page.waitForTimeout(6_000);
    expect(asked).toEqual([]);
    await visibility('visible');
    await expect.poll(() => asked.some((u) => u.endsWith('/relay/destinations')), { timeout: 3_000 }).toBe(true);
  });

  it('stays readable and accessible at a phone width, and never leaves the machine', async () => {
    expect(await axeViolations(page, ['#timeline'])).toEqual([]);
    await page.setViewportSize({ width: 320, height: 800 });
    expect((await horizontalOverflow(page)).culprits).toEqual([]);
    expect(offMachine).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('the relay view\'s wording', () => {
  it('says durations, countdowns and destination states as people read them', () => {
    expect([0, 59_400, 60_000, 3_599_000, 3_600_000, 3_900_000, 47 * 3_600_000, 50 * 3_600_000].map(duration)).toEqual(['0 s', '59 s', '1 min', '59 min', '1 h', '1 h 5 min', '47 h', '2 d 2 h']);
    expect(retryText(10_000, 0)).toBe('retrying in 10 s');
    expect(retryText(10_000, 9_001)).toBe('retrying in 1 s');
    expect(retryText(10_000, 10_000)).toBe('retrying now');
    expect(probeText(30_000, 2_000)).toBe('circuit open: next probe in 28 s');
    expect(probeText(30_000, 30_000)).toBe('circuit open: probing now');
    expect([countdownText('probe', 5_000, 0), countdownText('retry', 5_000, 0)]).toEqual(['circuit open: next probe in 5 s', 'retrying in 5 s']);
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abcd', 4)).toBe('abcd');
    const d: RelayDestination = { id: 'cc', channel: 'a', configured: true, paused: false, circuit: 'closed', counts: { pending: 2, retrying: 3, delivered: 9, dead: 1 }, oldestPendingAt: null, url: 'http://127.0.0.1:1/', lastError: null, nextAttemptAt: null };
    expect(backlogOf(d)).toBe(5);
    const states = [d, { ...d, paused: true }, { ...d, circuit: 'open' as const }, { ...d, paused: true, circuit: 'open' as const }, { ...d, circuit: 'half-open' as const }, { ...d, configured: false }];
    expect(states.map((x) => destinationState(x).label)).toEqual(['active', 'paused', 'circuit open', 'paused, circuit open', 'circuit half-open', 'not configured, held']);
  });
});

describe('the inbox console with a destination whose circuit is open', () => {
  it('says the events wait for the next probe, counting down, not "retrying now", and where and why it fails', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/apiaccess/api/instagram/message/cc`;
    // Nothing listens: the first refused connection opens the circuit; the next probe is 30 s away.
    const relay = await startRelayServer([{ id: 'ff', url: `${url}?token=s3cret`, batch: { maxEvents: 1 } }], { relay: { ...FAST, breaker: { threshold: 1, intervalMs: 30_000 } } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      expect((await push(relay.url, textDelivery('m-held', RELAY_ACCOUNT, 'held text'), { secret: RELAY_SECRET })).status).toBe(200);
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${relay.url}/inbox#token=${TOKEN}`, { waitUntil: 'load' });
      await live(page);
      const probeIn = (text: string) => Number(/circuit open: next probe in (\d+) s/.exec(text)?.[1]);
      await expect.poll(() => fwd(page, 'held text', 'ff').innerText(), { timeout: 15_000 }).toMatch(/^→ ff circuit open: next probe in \d+ s$/);
      const first = probeIn(await fwd(page, 'held text', 'ff').innerText());
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(30);
      await expect.poll(async () => probeIn(await fwd(page, 'held text', 'ff').innerText()), { timeout: 5_000 }).toBeLessThan(first);
      const state = page.locator('#relay-destinations li[data-destination="ff"]');
      await expect.poll(() => state.getAttribute('data-state'), { timeout: 10_000 }).toBe('circuit open');
      expect(await fact(page, 'ff', 'url').innerText()).toBe(`${url}?token=***`);
      expect(await fact(page, 'ff', 'next').innerText()).toMatch(/^circuit open: next probe in \d+ s$/);
      expect(await fact(page, 'ff', 'error').innerText()).toMatch(/^connection refused \(\d+ s ago\)$/);
      expect(await page.content()).not.toContain('s3cret');
      await entry(page, 'held text').click();
      const block = page.locator('#forwarding .fwd-block[data-destination="ff"]');
      await expect.poll(() => block.locator('.fwd-head').innerText(), { timeout: 10_000 }).toMatch(/circuit open: next probe in \d+ s · 1 attempt/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await relay.close();
    }
  });
});

describe('the inbox console without a relay', () => {
  it('shows nothing of the relay when the server answers 404 under /relay', async () => {
    const server = await startTestServer({ config: testConfig, app: { feedPollMs: 100 } });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const asked = page.waitForResponse((r) => r.url().endsWith('/relay/destinations'));
      expect((await push(server.url, textDelivery('m-plain', ACCOUNT_A, 'plain text'), { secret: SECRET_A })).status).toBe(200);
      await page.goto(`${server.url}/inbox#token=${INBOX_TOKEN}`, { waitUntil: 'load' });
      await live(page);
      await entry(page, 'plain text').click();
      expect((await asked).status()).toBe(404);
      await page.waitForTimeout(300);
      expect(await page.locator('#relay').isHidden()).toBe(true);
      expect(await page.locator('.fwd, #forwarding > *').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  });
});

/** The body of a fault destination's n-th request, as text. */
function received(dest: { received: { body: Buffer }[] }, n: number): string {
  return dest.received[n]?.body.toString('utf8') ?? '';
}
