// Every delivery answered 200 reads back, within the contract, through GET /inbox/messages page by page
// and through the live feed; every delivery refused is refused with an error body naming a path. Checked
// as a property over real HTTP, on both stores and both push paths (the precompiled fast path and the
// general validator path), with deliveries generated from the bundled schema and as raw JSON text holding
// numbers at the edge of what JSON and a double can say. And one stored row the contract cannot serve
// (written before non-finite numbers were refused) never fails the page beside it.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboxItem } from 'instagram-push-kit';
import type { Inbox, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { arbitraryOf, deliveryArbitrary } from '../support/arbitraries.js';
import { spec, validateSchema } from '../support/contract.js';
import { get, push, type Answer } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openSse, type SseReader } from '../support/sse.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs per property and store; together they keep this file well under a minute. */
const SCHEMA_RUNS = 40;
const RAW_RUNS = 60;
/** Small pages, so reading back crosses page boundaries. */
const LIMIT = 3;

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const stores: { name: string; open: () => Promise<{ inbox: Inbox; dispose(): void }> }[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'ipk-read-back-'));
      return { inbox: new SqliteInbox({ file: join(dir, 'inbox.sqlite') }), dispose: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      return { inbox: new PostgresInbox({ connectionString: await cluster.createDatabase() }), dispose: () => undefined };
    },
  },
];

function expectValid(schema: string, value: unknown): void {
  const verdict = validateSchema(schema, value);
  expect(verdict.errors, `${schema}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}

/** What a JSON reader gets back for a value: -0 becomes 0, and so on. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Sorted keys: equal events hash alike in the store whatever their key order. */
const canonical = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : isObject(v) ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}` : JSON.stringify(v);

/** PostgreSQL text columns cannot hold NUL; the store keeps U+FFFD there (the event's JSON keeps NUL). */
const noNul = (s: string | null) => (s === null ? null : s.replace(/\u0000/g, '\uFFFD'));

interface Stored {
  entryId: string | null;
  entryTime: number | null;
  event: unknown;
}

const viewOf = (item: InboxItem): Stored => ({ entryId: noNul(item.entryId), entryTime: item.entryTime, event: item.event });

/**
 * The events a channel should hold after these accepted deliveries, in commit order. Every message
 * here has a mid no other event has, so the only duplicates are events equal to an earlier one.
 */
function expectedEvents(accepted: unknown[]): Stored[] {
  const out: Stored[] = [];
  const seen = new Set<string>();
  for (const body of accepted) {
    if (!isObject(body) || !Array.isArray(body.entry)) continue;
    for (const entry of body.entry) {
      if (!isObject(entry)) continue;
      for (const list of [entry.messaging, entry.standby, entry.changes]) {
        if (!Array.isArray(list)) continue;
        for (const event of list) {
          if (!isObject(event)) continue;
          const key = canonical(roundTrip(event));
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({
            entryId: typeof entry.id === 'string' ? noNul(entry.id) : null,
            entryTime: typeof entry.time === 'number' ? roundTrip(entry.time) : null,
            event: roundTrip(event),
          });
        }
      }
    }
  }
  return out;
}

/** Gives every message of a generated delivery a mid of its own, keeping what was generated after it. */
function uniqueMids(delivery: unknown, next: () => string): void {
  if (!isObject(delivery) || !Array.isArray(delivery.entry)) return;
  for (const entry of delivery.entry) {
    for (const list of isObject(entry) ? [entry.messaging, entry.standby] : []) {
      for (const event of Array.isArray(list) ? list : []) {
        if (isObject(event) && isObject(event.message) && typeof event.message.mid === 'string') event.message.mid = `${next()}${event.message.mid}`;
      }
    }
  }
}

function expectRefusalNamingAPath(answer: Answer): void {
  expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.text).toBeLessThan(500);
  expectValid('ErrorBody', answer.json);
  expect(answer.json.errors.length, answer.text).toBeGreaterThan(0);
  for (const e of answer.json.errors) expect(e.path, answer.text).toMatch(/^\/(body|path|query|headers)(\/|$)/);
}

/** Edge-of-JSON number literals that parse to a finite double: negative zero, subnormal, underflowing, past 2^53, odd spellings. */
const FINITE_EDGES = ['-0', '5e-324', '1e-400', '9007199254740993', '1E3', '1e+308', '1.7976931348623157e+308', `1${'0'.repeat(308)}`, '0', '1569262486134'];
/** Literals JSON.parse turns into ±Infinity. */
const OVERFLOWING = [
  '1e400',
  '-1e400',
  // Rounds up past the largest double.
  '1.7976931348623159e308',
  // Overflows with neither a 3-digit exponent nor 309 digits.
  `1${'0'.repeat(250)}e60`,
  `2${'0'.repeat(308)}`,
];

/** Where the raw-text delivery puts each number: the two EpochTime positions, and unknown keys at four depths. */
const SLOTS = {
  time: '/entry/0/time',
  timestamp: '/entry/0/messaging/0/timestamp',
  eventExtra: '/entry/0/messaging/0/x_score',
  messageExtra: '/entry/0/messaging/0/message/x_n/0',
  entryExtra: '/entry/0/x_seq/1',
  top: '/x_top/n',
} as const;
type Slot = keyof typeof SLOTS;
type RawCase = Partial<Record<Slot, string>>;
const EPOCH_SLOTS: Slot[] = ['time', 'timestamp'];

function rawText(c: RawCase, mid: string): string {
  const opt = (key: string, literal: string | undefined, wrap = (l: string) => l) => (literal === undefined ? '' : `,"${key}":${wrap(literal)}`);
  return (
    `{"object":"instagram"${opt('x_top', c.top, (l) => `{"n":${l}}`)},"entry":[{"id":"17841400000000000"${opt('time', c.time)}${opt('x_seq', c.entryExtra, (l) => `[0, ${l}]`)},` +
    `"messaging":[{"sender":{"id":"6543210987654321"},"recipient":{"id":"17841400000000000"}${opt('timestamp', c.timestamp)}${opt('x_score', c.eventExtra)},` +
    `"message":{"mid":"${mid}","text":"${c.time ?? '1e400'} looks like a number"${opt('x_n', c.messageExtra, (l) => `[${l}]`)}}}]}]}`
  );
}

// Each slot is left out half the time, so about half the deliveries hold only finite numbers.
const edgeNumber = fc.oneof({ arbitrary: fc.constantFrom(...FINITE_EDGES), weight: 3 }, { arbitrary: fc.constantFrom(...OVERFLOWING), weight: 1 });
const rawCase: fc.Arbitrary<RawCase> = fc.record(
  Object.fromEntries(Object.keys(SLOTS).map((slot) => [slot, fc.option(edgeNumber, { nil: undefined, freq: 2 })])) as Record<Slot, fc.Arbitrary<string | undefined>>,
);

/** Deliveries from the bundled schema as it stands, and (since it leaves most lists short or empty) ones sure to hold events. */
const schemas = spec.components.schemas;
const deliveryWithEvents = fc.record({
  object: fc.constant('instagram'),
  entry: fc.array(
    fc.tuple(arbitraryOf(schemas.Entry), fc.array(arbitraryOf(schemas.MessagingEvent), { minLength: 1, maxLength: 4 })).map(([entry, messaging]) => ({ ...(entry as Json), messaging })),
    { minLength: 1, maxLength: 2 },
  ),
});
const schemaDelivery = fc.oneof(deliveryArbitrary(), deliveryWithEvents);

/** Code point ranges of characters that are 3 or 4 bytes in UTF-8: CJK, emoji, CJK extension B, and the three mixed. */
const WIDE_ALPHABETS: Array<Array<[number, number]>> = [
  [[0x4e00, 20_000]],
  [[0x1f300, 0x350]],
  [[0x20000, 40_000]],
  [[0x4e00, 20_000], [0x1f300, 0x350], [0x20000, 40_000]],
];
const WIDE_RUNS = 8;

/** `length` code points drawn from the alphabet, varied (a repeated character compresses, which would hide a size limit). */
function wide(alphabet: Array<[number, number]>, seed: number, length: number, prefix = ''): string {
  let x = seed >>> 0 || 1;
  const chars = Array.from({ length: length - prefix.length }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const [first, range] = alphabet[x % alphabet.length]!;
    return String.fromCodePoint(first + ((x >>> 8) % range));
  });
  return prefix + chars.join('');
}

/**
 * A delivery whose every string with a maxLength in the contract is exactly that long in wide characters
 * (`object`, entry and participant IDs, `mid`, an attachment's `type`, a change's `field`), with a long
 * text, a reaction to the message and a deletion of it (each its own dedupe key, as long as the mid).
 */
function widestDelivery(alphabet: Array<[number, number]>, seed: number, unique: string): object {
  const w = (n: number, salt: number, prefix = '') => wide(alphabet, seed + salt, n, prefix);
  const mid = w(1024, 1, unique);
  const person = { sender: { id: w(128, 2) }, recipient: { id: w(128, 3) }, timestamp: 1732519199876 };
  return {
    object: w(64, 4),
    entry: [
      {
        id: w(128, 5),
        time: 1732519200123,
        messaging: [
          { ...person, message: { mid, text: w(3000, 6), attachments: [{ type: w(64, 7), payload: { url: `https://example.com/${w(200, 8)}` } }] } },
          { ...person, reaction: { mid, action: 'react', reaction: 'other', emoji: w(16, 9) } },
          { ...person, message: { mid, is_deleted: true } },
        ],
        changes: [{ field: w(128, 10), value: { note: w(500, 11) } }],
      },
    ],
  };
}

describe.each(stores)('on the $name inbox', ({ open }) => {
  let store: Awaited<ReturnType<(typeof stores)[number]['open']>>;
  /** One server per push path, on the same inbox. */
  let fast: TestServer;
  let general: TestServer;
  let feed: SseReader;
  const runs = { channels: 0, mids: 0 };

  beforeAll(async () => {
    store = await open();
    fast = await startTestServer({ inbox: store.inbox, app: { feedPollMs: 20 } });
    general = await startTestServer({ inbox: store.inbox, app: { fastPush: false } });
    const opened = await openSse(`${fast.url}/inbox/events?backlog=0`);
    expect(opened.status).toBe(200);
    feed = opened.reader;
    await feed.waitFor((m) => m.event === 'ready');
  });
  afterAll(async () => {
    feed?.close();
    // close() throws when a response broke the contract; the store is closed and removed regardless.
    const closed = await Promise.allSettled([fast?.close(), general?.close()]);
    await store?.inbox.close();
    store?.dispose();
    for (const c of closed) if (c.status === 'rejected') throw c.reason;
  });

  async function readPages(channel: string): Promise<InboxItem[]> {
    const items: InboxItem[] = [];
    let cursor: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ channel, limit: String(LIMIT), ...(cursor === undefined ? {} : { cursor }) });
      const page = await get(`${general.url}/inbox/messages?${query}`);
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.json.skipped, 'a row stored for a delivery answered 200 cannot be served').toBeUndefined();
      for (const item of page.json.items) expectValid('InboxItem', item);
      items.push(...page.json.items);
      cursor = page.json.nextCursor;
      if (page.json.items.length < LIMIT) return items;
    }
  }

  /** Accepted frames of the live feed by channel, parsed once each as they arrive; frames off the contract apart. */
  const feedByChannel = new Map<string, InboxItem[]>();
  const offContract: string[] = [];
  let feedParsed = 0;
  function ingestFeed(): void {
    for (; feedParsed < feed.messages.length; feedParsed++) {
      const m = feed.messages[feedParsed]!;
      if (m.event !== 'accepted') continue;
      const frame = JSON.parse(m.data);
      // Collected, not thrown: this runs inside the stream reader's callback.
      if (!validateSchema('InboxFeedItem', frame).valid) offContract.push(m.data);
      const list = feedByChannel.get(frame.item.channel) ?? [];
      list.push(frame.item);
      feedByChannel.set(frame.item.channel, list);
    }
  }

  /** The accepted items of `channel` the live feed has sent, once it has sent `count` of them. */
  async function feedItems(channel: string, count: number): Promise<InboxItem[]> {
    const ofChannel = () => {
      ingestFeed();
      return feedByChannel.get(channel) ?? [];
    };
    if (count > 0) await feed.waitFor(() => ofChannel().length >= count, 10_000);
    expect(offContract, 'live feed frames that break InboxFeedItem').toEqual([]);
    return ofChannel();
  }

  /** Reads the channel back both ways and compares with what the accepted deliveries held. */
  async function expectReadBack(channel: string, accepted: unknown[]): Promise<void> {
    const expected = expectedEvents(accepted);
    const pages = await readPages(channel);
    expect(pages.map(viewOf)).toEqual(expected);
    expect(pages.every((i) => i.channel === channel)).toBe(true);
    const live = await feedItems(channel, expected.length);
    expect(live.map(viewOf)).toEqual(expected);
    expect(live.map((i) => i.id)).toEqual(pages.map((i) => i.id));
  }

  it('reads back every delivery generated from the schema that it answered 200 for', async () => {
    const via = fc.constantFrom<'fast' | 'general'>('fast', 'general');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(schemaDelivery, via), { minLength: 1, maxLength: 3 }), async (pushes) => {
        const channel = `schema-${++runs.channels}`;
        const accepted: unknown[] = [];
        for (const [delivery, path] of pushes) {
          uniqueMids(delivery, () => `u${++runs.mids}.`);
          const answer = await push((path === 'fast' ? fast : general).url, delivery, { chanId: channel });
          if (answer.status === 200) accepted.push(delivery);
          else expectRefusalNamingAPath(answer);
        }
        await expectReadBack(channel, accepted);
      }),
      { numRuns: SCHEMA_RUNS },
    );
  }, 60_000);

  it('refuses a number that is not finite wherever it sits, and reads back every edge-of-JSON number it accepted', async () => {
    const via = fc.constantFrom<'fast' | 'general'>('fast', 'general');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(rawCase, via), { minLength: 1, maxLength: 2 }), async (pushes) => {
        const channel = `raw-${++runs.channels}`;
        const accepted: unknown[] = [];
        for (const [c, path] of pushes) {
          const text = rawText(c, `raw-${++runs.mids}`);
          const slots = Object.keys(c).filter((s) => c[s as Slot] !== undefined) as Slot[];
          const nonFinite = slots.filter((s) => !Number.isFinite(Number(c[s])));
          const negativeEpoch = EPOCH_SLOTS.filter((s) => c[s] !== undefined && Number(c[s]) < 0);
          const answer = await push((path === 'fast' ? fast : general).url, text, { chanId: channel });
          if (nonFinite.length === 0 && negativeEpoch.length === 0) {
            expect(answer.status, `${text.slice(0, 400)}\n→ ${answer.text}`).toBe(200);
            accepted.push(JSON.parse(text));
          } else {
            expect(answer.status, `${text.slice(0, 400)}\n→ ${answer.text}`).toBe(400);
            expectRefusalNamingAPath(answer);
            expect(answer.json.code).toBe('schema_violation');
            const offending = [...nonFinite, ...negativeEpoch].map((s) => `/body${SLOTS[s]}`);
            expect(answer.json.errors.map((e: { path: string }) => e.path).filter((p: string) => offending.includes(p)), answer.text).not.toEqual([]);
          }
        }
        await expectReadBack(channel, accepted);
      }),
      { numRuns: RAW_RUNS },
    );
  }, 60_000);

  it('stores and reads back deliveries whose every bounded string is at its maximum in 4-byte or CJK characters', async () => {
    const via = fc.constantFrom<'fast' | 'general'>('fast', 'general');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WIDE_ALPHABETS), fc.nat(), via, async (alphabet, seed, path) => {
        const channel = `wide-${++runs.channels}`;
        const delivery = widestDelivery(alphabet, seed, `w${++runs.mids}-`);
        const answer = await push((path === 'fast' ? fast : general).url, delivery, { chanId: channel });
        expect(answer.status, answer.text.slice(0, 400)).toBe(200);
        await expectReadBack(channel, [delivery]);
      }),
      { numRuns: WIDE_RUNS },
    );
  }, 60_000);

  /** Writes good and unservable rows straight through the store, as rows accepted before non-finite numbers were refused were. */
  async function storeRowsWithBadOnes(channel: string): Promise<void> {
    const row = (mid: string, change: Partial<NewEvent> = {}): NewEvent => ({
      channel,
      mid,
      entryId: '17841400000000000',
      entryTime: 1569262486134,
      event: { message: { mid, text: 'stored before the fix' } },
      dedupeKey: JSON.stringify(['m', channel, mid]),
      ...change,
    });
    const rows = [
      row('good-1'),
      row('bad-time', { entryTime: Infinity }),
      row('good-2'),
      // JSON has no Infinity: the store keeps null, which EpochTime refuses.
      row('bad-event', { event: { message: { mid: 'bad-event' }, timestamp: Infinity } }),
      row('good-3'),
    ];
    for (const r of rows) await store.inbox.append([r], new Date());
  }

  it('serves the rows beside one it cannot serve, lists that one under skipped, and reads on past it', async () => {
    const channel = 'unservable-page';
    await storeRowsWithBadOnes(channel);
    const pages: { items: InboxItem[]; skipped?: { id: string; reason: string }[]; nextCursor: string }[] = [];
    let cursor: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ channel, limit: '2', ...(cursor === undefined ? {} : { cursor }) });
      const page = await get(`${general.url}/inbox/messages?${query}`);
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      pages.push(page.json);
      cursor = page.json.nextCursor;
      if (page.json.items.length + (page.json.skipped?.length ?? 0) < 2) break;
    }
    // Skipped rows count towards the limit: each page of two holds one good row and one skipped.
    expect(pages.map((p) => p.items.map((i) => i.mid))).toEqual([['good-1'], ['good-2'], ['good-3']]);
    expect(pages.map((p) => p.skipped?.map((s) => s.reason))).toEqual([['/entryTime: must be a finite number'], ['/event/timestamp: must be number'], undefined]);
    const ids = pages.flatMap((p) => [...p.items.map((i) => i.id), ...(p.skipped ?? []).map((s) => s.id)]);
    expect(new Set(ids).size).toBe(5);
  });

  it('leaves a row it cannot serve out of the live feed, from the backlog and as it arrives', async () => {
    const channel = 'unservable-feed';
    await storeRowsWithBadOnes(channel);
    // The backlog comes from the store's tail, later events from polling.
    const replay = await openSse(`${fast.url}/inbox/events?backlog=1000`);
    try {
      await replay.reader.waitFor((m) => m.event === 'ready');
      const frames = replay.reader.messages.filter((m) => m.event === 'accepted').map((m) => JSON.parse(m.data));
      expect(frames.filter((f) => !validateSchema('InboxFeedItem', f).valid)).toEqual([]);
      expect(frames.filter((f) => f.item.channel === channel).map((f) => f.item.mid)).toEqual(['good-1', 'good-2', 'good-3']);
    } finally {
      replay.reader.close();
    }
    const live = await feedItems(channel, 3);
    expect(live.map((i) => i.mid)).toEqual(['good-1', 'good-2', 'good-3']);
  });
});
