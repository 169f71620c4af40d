// The inbox console at /inbox as a person uses it, in a real browser, entirely offline: deliveries
// appear live, refusals show why, filters live in the URL, details show the event exactly as received.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, offMachineRequests } from '../support/browser.js';
import { ACCOUNT_A, ACCOUNT_OPEN, INBOX_TOKEN, SECRET_A, testConfig } from '../support/channels.js';
import { axeViolations, buildConsoleIfStale, live, watchErrors } from '../support/console-page.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createPushClient } from '../../client/index.js';
import type { InboxFeedItem, InboxItem, Refusal } from '../../client/index.js';
import { classifyEvent } from '../../server/events/classify.js';
import { curlFor, shellQuote } from '../../server/console/curl.js';
import { describe as describeItem, describeEvent, eventMs } from '../../server/console/describe.js';
import { createFeed } from '../../server/console/feed.js';
import { matches, readFilters, serverFilters, writeFilters } from '../../server/console/filters.js';
import { OlderPages } from '../../server/console/older.js';
import { compareIds, Store } from '../../server/console/store.js';
import { SseParser, type SseMessage } from '../../server/console/sse.js';

const SHOTS = 'reports/screenshots';

const entries = (page: Page) => page.locator('#timeline button.entry');
const entryTexts = (page: Page) => entries(page).allInnerTexts();

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  buildConsoleIfStale();
  [server, browser] = await Promise.all([startTestServer({ config: testConfig, app: { feedPollMs: 100 } }), launchChromium()]);
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  // The browser first: an open feed stream would otherwise hold the server's close.
  await browser?.close();
  await server?.close();
});

describe('the inbox console', () => {
  let context: BrowserContext;
  let page: Page;
  let offMachine: string[];
  let errors: string[];
  const sent = textDelivery('mid-x', ACCOUNT_A, 'hello console') as { entry: Array<{ messaging: unknown[] }> };

  beforeAll(async () => {
    // Sent before the page opens: it must come from the feed's backlog.
    expect((await push(server.url, textDelivery('mid-backlog', ACCOUNT_A, 'from the backlog'), { secret: SECRET_A })).status).toBe(200);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    offMachine = offMachineRequests(page);
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('reads the token from the fragment, hides it, and replays the backlog', async () => {
    await page.goto(`${server.url}/inbox#token=${INBOX_TOKEN}`, { waitUntil: 'load' });
    await live(page);
    expect(page.url()).not.toContain(INBOX_TOKEN);
    expect(page.url()).not.toContain('token');
    await expect.poll(() => entryTexts(page)).toEqual([expect.stringContaining('from the backlog')]);
  });

  it('shows accepted and refused deliveries as they arrive, newest first, without a reload', async () => {
    const started = Date.now();
    expect((await push(server.url, sent, { secret: SECRET_A })).status).toBe(200);
    await page.locator('#timeline button.entry', { hasText: 'hello console' }).waitFor({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(3_000);

    expect((await push(server.url, textDelivery('mid-forged', ACCOUNT_A, 'forged text'), { secret: 'not-the-secret' })).status).toBe(401);
    const forged = page.locator('#timeline button.entry', { hasText: 'forged text' });
    await forged.waitFor({ timeout: 5_000 });
    const forgedText = await forged.innerText();
    expect(forgedText).toContain('401 refused');
    expect(forgedText).toContain('does not match the request body');
    expect(forgedText).toContain('/headers/x-hub-signature-256');

    // An image on the unsigned channel, and a body that breaks the schema (a 400 with its failing path).
    const image = {
      object: 'instagram',
      entry: [{ id: ACCOUNT_OPEN, time: 1732519200, messaging: [{ sender: { id: '111' }, recipient: { id: ACCOUNT_OPEN }, timestamp: 1732519200, message: { mid: 'mid-img', attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' } }] } }] }],
    };
    expect((await push(server.url, image)).status).toBe(200);
    expect((await push(server.url, { object: 'instagram', entry: 'not-a-list' }, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(400);
    await expect.poll(() => entries(page).count(), { timeout: 5_000 }).toBe(5);
    const texts = await entryTexts(page);
    expect(texts[0]).toContain('400 refused');
    expect(texts[0]).toContain('/body/entry');
    expect(texts[1]).toContain('image');
    expect(texts[1]).toContain('chan-open');
    expect(texts[4]).toContain('from the backlog');
    const hello = texts.find((t) => t.includes('hello console'))!;
    for (const part of ['200 accepted', 'text', 'inbound', 'chan-a', `6543210987654321 → ${ACCOUNT_A}`]) expect(hello).toContain(part);
    // 1732519199876 ms, shown in the browser's local time: the year says it was not read as seconds.
    expect(hello).toContain('2024');
  });

  it('opens an event: the JSON exactly as received, copyable, and a curl command without any secret', async () => {
    await page.locator('#timeline button.entry', { hasText: 'hello console' }).click();
    const shown = JSON.parse(await page.locator('#event-json').innerText());
    expect(shown).toEqual(sent.entry[0]!.messaging[0]);
    await page.getByRole('button', { name: 'Copy JSON' }).click();
    expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(shown);
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toContain(`'${server.url}/apiaccess/api/instagram/message/chan-a'`);
    expect(curl).toContain(`-H 'x-hub-signature-256: sha256=<SIGNATURE>'`);
    expect(curl).toContain(`-H 'content-type: application/json'`);
    expect(curl).not.toContain(SECRET_A);
    const body = /--data-binary '(.*)'$/s.exec(curl)![1]!;
    expect(JSON.parse(body).entry[0].messaging[0]).toEqual(shown);

    // A refusal opened from the keyboard: the error body the sender got, and the body it sent.
    await page.locator('#timeline button.entry', { hasText: 'forged text' }).focus();
    await page.keyboard.press('Enter');
    const error = JSON.parse(await page.locator('#error-json').innerText());
    expect(error).toMatchObject({ code: 'bad_signature', errors: [{ path: '/headers/x-hub-signature-256' }] });
    expect(JSON.parse(await page.locator('#body-json').innerText())).toEqual(textDelivery('mid-forged', ACCOUNT_A, 'forged text'));

    // The attachment is a chip with its URL as text; nothing is loaded until asked.
    await page.locator('#timeline button.entry', { hasText: 'image' }).click();
    await expect.poll(() => page.locator('#detail .attachments').innerText()).toContain('https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1');
    const preview = page.getByRole('link', { name: /Load preview/ });
    expect(await preview.getAttribute('target')).toBe('_blank');
    expect(await preview.getAttribute('rel')).toContain('noopener');
  });

  it('filters by outcome, channel, kind and text, keeps them in the URL, and keeps them over a reload', async () => {
    await page.selectOption('#f-status', 'refused');
    await expect.poll(() => entries(page).count()).toBe(2);
    for (const t of await entryTexts(page)) expect(t).toContain('refused');
    await page.fill('#f-q', 'forged');
    await expect.poll(() => entryTexts(page)).toEqual([expect.stringContaining('forged text')]);
    expect(new URL(page.url()).search).toBe('?status=refused&q=forged');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => entries(page).count()).toBe(5);
    await page.selectOption('#f-channel', 'chan-open');
    await expect.poll(() => entryTexts(page)).toEqual([expect.stringContaining('image')]);
    await page.selectOption('#f-channel', '');
    await page.selectOption('#f-kind', 'text');
    await page.fill('#f-q', 'hello');
    await expect.poll(() => entryTexts(page)).toEqual([expect.stringContaining('hello console')]);
    expect(new URL(page.url()).search).toBe('?kind=text&q=hello');

    await page.reload({ waitUntil: 'load' });
    await live(page);
    expect(await page.inputValue('#f-kind')).toBe('text');
    expect(await page.inputValue('#f-q')).toBe('hello');
    await expect.poll(() => entryTexts(page)).toEqual([expect.stringContaining('hello console')]);
    expect(page.url()).not.toContain(INBOX_TOKEN);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => entries(page).count()).toBe(5);
  });

  it('is accessible in light and dark, at desktop and phone widths, and never leaves the machine', async () => {
    await page.locator('#timeline button.entry', { hasText: 'forged text' }).click();
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/console.png` });

    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/console-dark.png` });

    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await axeViolations(page)).toEqual([]);
    // Timeline above the detail pane on a phone, and nothing wider than the screen.
    const [list, detail] = await Promise.all([page.locator('#timeline').boundingBox(), page.locator('#detail-pane').boundingBox()]);
    expect(detail!.y).toBeGreaterThan(list!.y);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}/console-phone.png`, fullPage: true });

    expect(offMachine).toEqual([]);
    expect(errors).toEqual([]);
    expect(server.violations).toEqual([]);
  });
});

describe('the inbox console without a token', () => {
  it('asks for the token, then connects with it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const offMachine = offMachineRequests(page);
      const errors = watchErrors(page);
      await page.goto(`${server.url}/inbox`, { waitUntil: 'load' });
      const form = page.getByRole('form', { name: 'Inbox token needed' });
      await form.waitFor({ timeout: 5_000 });
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('token');
      expect(await axeViolations(page)).toEqual([]);
      await page.getByRole('textbox', { name: 'Inbox token' }).fill(INBOX_TOKEN);
      await page.getByRole('button', { name: 'Connect' }).click();
      await live(page);
      expect(await form.isHidden()).toBe(true);
      await page.locator('#timeline button.entry', { hasText: 'hello console' }).waitFor({ timeout: 5_000 });
      expect(offMachine).toEqual([]);
      // The browser reports the feed's expected 401 as a failed resource; nothing else may fail.
      expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

// The console's DOM-free modules, checked directly in Node: quick, and precise about edge cases the
// browser run above does not reach (split chunks, reconnects, odd events, shell quoting).
describe('the console modules', () => {
  it('parses server-sent events split anywhere, with CRLF, comments and multi-line data', () => {
    const text = ': keep-alive\r\n\r\nevent: accepted\r\nid: a1\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: ready\ndata: {}\n\ndata\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const got: SseMessage[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...parser.feed(text.slice(i, i + size)));
      expect(got).toEqual([
        { event: 'accepted', id: 'a1', data: '{"a":\n1}' },
        { event: 'ready', id: 'a1', data: '{}' },
        { event: 'message', id: 'a1', data: '' },
      ]);
    }
  });

  it('reconnects after the stream ends and shows each item once', async () => {
    const frame = (event: string, id: string, data: object) => `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
    const accepted = (id: string) => ({
      type: 'accepted',
      item: { id, channel: 'chan-a', mid: `m${id}`, entryId: null, entryTime: null, event: { message: { mid: `m${id}`, text: id } }, receivedAt: new Date().toISOString() },
    });
    const refused = { type: 'refused', refusal: { id: 1, at: new Date().toISOString(), method: 'POST', path: '/x', status: 401, channel: null, error: { resultMsg: 'no', code: 'bad_signature', requestId: 'r', errors: [] }, body: null, bodyTruncated: false, contentType: null } };
    const bodies = [
      frame('accepted', 'a1', accepted('1')) + frame('refused', 'r1', refused) + 'event: ready\ndata: {}\n\n',
      frame('accepted', 'a1', accepted('1')) + frame('refused', 'r1', refused) + 'event: ready\ndata: {}\n\n' + frame('accepted', 'a2', accepted('2')),
    ];
    const auth: Array<string | null> = [];
    const fetch = async (request: Request) => {
      auth.push(request.headers.get('authorization'));
      const text = bodies.shift();
      if (text === undefined) return new Response(JSON.stringify({ resultMsg: 'no', code: 'unauthorized', requestId: 'r', errors: [] }), { status: 401, headers: { 'content-type': 'application/json' } });
      return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
    };
    const items: string[] = [];
    const states: string[] = [];
    await new Promise<void>((resolve) => {
      const feed = createFeed({
        client: createPushClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, fetch }),
        token: () => 'tok',
        delayMs: 1,
        onItems: (batch) => items.push(...batch.map((i) => (i.type === 'accepted' ? `a${i.item.id}` : `r${i.refusal.id}`))),
        onState: (s) => {
          states.push(s.kind);
          if (s.kind === 'unauthorized') {
            feed.stop();
            resolve();
          }
        },
      });
      feed.start();
    });
    expect(items).toEqual(['a1', 'r1', 'a2']);
    expect(states).toEqual(['connecting', 'live', 'reconnecting', 'live', 'reconnecting', 'unauthorized']);
    expect(auth).toEqual(['Bearer tok', 'Bearer tok', 'Bearer tok']);
  });

  it('classifies events: kinds, echo, seconds or milliseconds, handover', () => {
    const kind = (event: object) => describeEvent(event).kind;
    expect(kind({ message: { text: 'hi' } })).toBe('text');
    expect(kind({ message: { attachments: [{ type: 'ig_reel', payload: { url: 'https://x' } }] } })).toBe('ig_reel');
    expect(kind({ message: { text: 'x', is_deleted: true } })).toBe('deletion');
    expect(kind({ message: { is_unsupported: true } })).toBe('unsupported');
    expect(kind({ message: { text: 'Yes', quick_reply: { payload: 'Y' } } })).toBe('quick_reply');
    expect(kind({ reaction: { action: 'react', emoji: '❤' } })).toBe('reaction');
    expect(kind({ read: { mid: 'm' } })).toBe('read');
    expect(kind({ postback: { title: 'Go' } })).toBe('postback');
    expect(kind({ message_edit: { mid: 'm', text: 'new' } })).toBe('edit');
    expect(kind({ referral: { ref: 'ad' } })).toBe('referral');
    expect(kind({ pass_thread_control: { new_owner_app_id: '1' } })).toBe('handover');
    expect(kind({ something: 'new' })).toBe('unknown');
    expect(describeEvent({ message: { text: 'x', is_echo: true } }).direction).toBe('echo');
    expect(describeEvent({ timestamp: 1732519200 }).eventTime).toBe(1732519200000);
    expect(describeEvent({ timestamp: 1732519200123 }).eventTime).toBe(1732519200123);
    expect(eventMs('soon')).toBeNull();
  });

  it('shows the kind and direction the server stored, the one classification both sides share', () => {
    const stored = (event: Record<string, unknown>, kind = classifyEvent(event).kind, direction = classifyEvent(event).direction): InboxFeedItem => ({
      type: 'accepted',
      item: { id: '7', channel: 'c', mid: null, entryId: null, entryTime: null, event, receivedAt: '2026-11-25T08:00:00.000Z', kind, direction } as InboxItem,
    });
    for (const event of [{ message: { text: 'hi', is_echo: true } }, { message: { attachments: [{ type: 'x'.repeat(100) }] } }, { reaction: { action: 'react' } }, { what: 1 }]) {
      const d = describeItem(stored(event));
      expect([d.kind, d.direction]).toEqual([describeEvent(event).kind, describeEvent(event).direction]);
    }
    expect(classifyEvent({ message: { attachments: [{ type: 'x'.repeat(100) }] } }).kind).toBe('x'.repeat(64));
    expect(classifyEvent({ message: { attachments: [{ type: 'a\u0000b' }] } }).kind).toBe('a\uFFFDb');
    // What the server says wins, even were this page's copy of the rules to differ.
    expect(describeItem(stored({ message: { text: 'hi' } }, 'special', 'echo'))).toMatchObject({ kind: 'special', direction: 'echo' });
  });

  it('labels a refused handshake as one, with its mode, and replays it without a token', () => {
    const refusal: Refusal = {
      id: 3, at: '2026-11-25T08:00:00.000Z', method: 'GET', path: '/apiaccess/api/instagram/message/chan-a', status: 401, channel: 'chan-a',
      error: { resultMsg: 'no', code: 'bad_verify_token', requestId: 'r', errors: [] }, body: null, bodyTruncated: false, contentType: null,
      handshake: { mode: 'subscribe', verifyTokenSent: true },
    };
    const d = describeItem({ type: 'refused', refusal });
    expect(d).toMatchObject({ kind: 'handshake', direction: null, summary: 'hub.mode=subscribe, verify token sent (never shown)' });
    const curl = curlFor(d, 'http://127.0.0.1:8080');
    expect(curl).toContain(`curl -X GET 'http://127.0.0.1:8080/apiaccess/api/instagram/message/chan-a?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=<VERIFY_TOKEN>'`);
    expect(curl).not.toContain('x-hub-signature-256');
    // A server that did not say: a GET on a push path is still a handshake.
    const { handshake: _, ...older } = refusal;
    expect(describeItem({ type: 'refused', refusal: older })).toMatchObject({ kind: 'handshake', summary: null });
    expect(describeItem({ type: 'refused', refusal: { ...older, method: 'POST' } }).kind).toBe('unknown');
  });

  it('matches live items as the server filters: the event JSON, every word, ASCII case', () => {
    const d = describeItem({ type: 'accepted', item: { id: '1', channel: 'c', mid: 'm', entryId: null, entryTime: null, event: { message: { mid: 'm', text: 'Blue Jacket, Ü' } }, receivedAt: '2026-11-25T08:00:00.000Z', kind: 'text', direction: 'inbound' } });
    const f = readFilters('');
    expect(matches(d, { ...f, q: 'jacket BLUE' })).toBe(true);
    expect(matches(d, { ...f, q: 'jacket red' })).toBe(false);
    expect(matches(d, { ...f, q: 'Ü' })).toBe(true);
    expect(matches(d, { ...f, q: 'ü' })).toBe(false);
    expect(matches(d, { ...f, direction: 'echo' })).toBe(false);
    expect(serverFilters({ ...f, kind: 'text', q: ' a  b c d e f g h i j ', status: 'accepted' })).toEqual({ kind: 'text', q: 'a b c d e f g h' });
  });

  it('holds at most its cap: new items push out the oldest, older pages the newest', () => {
    const item = (id: number): InboxFeedItem => ({
      type: 'accepted',
      item: { id: String(id), channel: 'c', mid: null, entryId: null, entryTime: null, event: {}, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(), kind: 'unknown', direction: null },
    });
    const store = new Store(3);
    store.add([1, 2, 3].map(item), 'feed');
    expect(store.add([item(3)], 'feed').added).toEqual([]);
    expect(store.add([item(4)], 'feed').dropped.map((e) => e.key)).toEqual(['a1']);
    const older = store.add([item(0)], 'history', 'older');
    expect(older.dropped.map((e) => e.key)).toEqual(['a4']);
    expect(store.entries.map((e) => e.key)).toEqual(['a3', 'a2', 'a0']);
    expect(compareIds('10', '9')).toBeGreaterThan(0);
    expect(compareIds('9223372036854775806', '9223372036854775807')).toBeLessThan(0);
  });

  it('walks back from the oldest id held, and resumes above what the cap pushed out', async () => {
    const asked: URLSearchParams[] = [];
    const fetch = async (request: Request) => {
      asked.push(new URL(request.url).searchParams);
      const full = asked.length === 1;
      const items = Array.from({ length: full ? 2 : 1 }, (_, i) => ({ id: String(10 - i), channel: 'c', mid: null, entryId: null, entryTime: null, event: {}, receivedAt: '2026-11-25T08:00:00.000Z', kind: 'text', direction: null }));
      return new Response(JSON.stringify({ items, nextCursor: full ? '9' : '8' }), { headers: { 'content-type': 'application/json' } });
    };
    const older = new OlderPages(createPushClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, fetch }), () => 'tok', 2);
    older.fedFrom(['15', '11', '12'], { gap: false, holdsAll: false });
    const filters = { ...readFilters(''), kind: 'text', q: 'blue' };
    expect((await older.next(filters))!.map((i) => (i.type === 'accepted' ? i.item.id : ''))).toEqual(['10', '9']);
    expect(Object.fromEntries(asked[0]!)).toEqual({ order: 'desc', limit: '2', cursor: '11', kind: 'text', q: 'blue' });
    expect(older.reachedOldest).toBe(false);
    older.dropped(['13', '12']);
    await older.next(filters);
    expect(asked[1]!.get('cursor')).toBe('14');
    expect(older.reachedOldest).toBe(true);
    older.restart();
    expect(older.reachedOldest).toBe(false);
    // A backlog shorter than asked for held the whole inbox: nothing older to ask for.
    older.reset();
    older.fedFrom(['2', '1'], { gap: false, holdsAll: true });
    expect(older.reachedOldest).toBe(true);
    older.restart();
    expect(older.reachedOldest).toBe(true);
  });

  it('does not take a page the byte budget cut short (truncated) for the oldest', async () => {
    let truncated = true;
    const fetch = async () => {
      const items = [{ id: '5', channel: 'c', mid: null, entryId: null, entryTime: null, event: {}, receivedAt: '2026-11-25T08:00:00.000Z', kind: 'text', direction: null }];
      return new Response(JSON.stringify({ items, nextCursor: '5', ...(truncated && { truncated: true }) }), { headers: { 'content-type': 'application/json' } });
    };
    const older = new OlderPages(createPushClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, fetch }), () => 'tok', 10);
    older.fedFrom(['6'], { gap: false, holdsAll: false });
    await older.next(readFilters(''));
    expect(older.reachedOldest).toBe(false);
    truncated = false;
    await older.next(readFilters(''));
    expect(older.reachedOldest).toBe(true);
  });

  it('asks again, after Retry-After, for a page the server refused while another search ran', async () => {
    let asked = 0;
    const fetch = async () => {
      asked++;
      if (asked === 1) return new Response(JSON.stringify({ resultMsg: 'busy', code: 'store_unavailable', requestId: 'r', errors: [] }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' } });
      const items = [{ id: '5', channel: 'c', mid: null, entryId: null, entryTime: null, event: {}, receivedAt: '2026-11-25T08:00:00.000Z', kind: 'text', direction: null }];
      return new Response(JSON.stringify({ items, nextCursor: '5' }), { headers: { 'content-type': 'application/json' } });
    };
    const older = new OlderPages(createPushClient({ baseUrl: 'http://127.0.0.1:1', retries: 0, fetch }), () => 'tok', 10);
    older.fedFrom(['6'], { gap: false, holdsAll: false });
    expect((await older.next({ ...readFilters(''), q: 'blue' }))!.map((i) => (i.type === 'accepted' ? i.item.id : ''))).toEqual(['5']);
    expect(asked).toBe(2);
    // Started over while waiting: the old walk's answer is dropped.
    asked = 0;
    const stale = older.next({ ...readFilters(''), q: 'blue' });
    older.restart();
    expect(await stale).toBeNull();
  });

  it('quotes curl arguments so any body is safe to paste into a shell', () => {
    const body = `it's $(rm -rf /) \`x\` "q" \\ \n done`;
    const quoted = shellQuote(body);
    const r = spawnSync('bash', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(body);
  });

  it('keeps filters, never the token, in the query string', () => {
    const f = readFilters('?status=refused&q=hello&token=secret&kind=text&direction=echo');
    expect(f).toEqual({ channel: '', kind: 'text', direction: 'echo', status: 'refused', q: 'hello' });
    expect(writeFilters(f)).toBe('?kind=text&direction=echo&status=refused&q=hello');
    expect(writeFilters({ channel: '', kind: '', direction: '', status: '', q: '' })).toBe('');
    expect(readFilters('?direction=sideways').direction).toBe('');
  });
});
