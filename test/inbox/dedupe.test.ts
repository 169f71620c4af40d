// Which events a delivery holds and when two of them are the same event (inbox/delivery-events.ts): redeliveries are
// stored once, different events never collapse, whatever their mids, channels or key order.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../server/push/channels.js';
import { canonicalJson, dedupeKey, eventsOf, midOf } from '../../server/inbox/delivery-events.js';
import { KEY_DIGEST_PATTERN, keyDigest } from '../../server/inbox/key-digest.js';
import { push } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const channel = (id: string): Channel => ({ id, enabled: true });

/** A delivery of these messaging events in one entry. */
const delivery = (...messaging: object[]) => ({
  object: 'instagram',
  entry: [{ id: '17841400000000000', time: 1732519200123, messaging }],
});
const from = (at: number, message: object) => ({ sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: at, message });

describe('events with an empty mid, over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });
  const stored = async (text: string) => (await server.inbox.list({ limit: 1000 })).items.filter((i) => (i.event.message as { text?: string } | undefined)?.text === text);

  it('stores two different messages that both carry mid "" as two events', async () => {
    expect((await push(server.url, delivery(from(1, { mid: '', text: 'empty-mid one' })))).status).toBe(200);
    expect((await push(server.url, delivery(from(2, { mid: '', text: 'empty-mid two' })))).status).toBe(200);
    expect((await stored('empty-mid one')).map((i) => i.mid)).toEqual(['']);
    expect((await stored('empty-mid two')).map((i) => i.mid)).toEqual(['']);
  });

  it('still stores a redelivery of the same message with mid "" once', async () => {
    for (let i = 0; i < 3; i++) expect((await push(server.url, delivery(from(3, { mid: '', text: 'empty-mid again' })))).status).toBe(200);
    expect(await stored('empty-mid again')).toHaveLength(1);
  });

  it('keeps a deletion with mid "" apart from a message with mid ""', async () => {
    await push(server.url, delivery(from(4, { mid: '', text: 'empty-mid deleted' })));
    await push(server.url, delivery(from(5, { mid: '', is_deleted: true })));
    const items = (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === '');
    expect(items.filter((i) => (i.event.message as { is_deleted?: boolean }).is_deleted === true)).toHaveLength(1);
    expect(await stored('empty-mid deleted')).toHaveLength(1);
  });
});

describe('dedupeKey', () => {
  it('keys a message by channel and mid, so a redelivery with other details is the same event', () => {
    expect(dedupeKey('a', { timestamp: 1, message: { mid: 'm1', text: 'hi' } })).toBe(dedupeKey('a', { timestamp: 2, message: { mid: 'm1', text: 'edited?' } }));
    expect(dedupeKey('a', { message: { mid: 'm1' } })).not.toBe(dedupeKey('b', { message: { mid: 'm1' } }));
    expect(dedupeKey('a', { message: { mid: 'm1' } })).not.toBe(dedupeKey('a', { message: { mid: 'm2' } }));
  });

  it('keys a deletion apart from the message it deletes, and only a deletion that says true', () => {
    const message = dedupeKey('a', { message: { mid: 'm1' } });
    const deletion = dedupeKey('a', { message: { mid: 'm1', is_deleted: true } });
    expect(deletion).not.toBe(message);
    expect(dedupeKey('a', { timestamp: 9, message: { mid: 'm1', is_deleted: true } })).toBe(deletion);
    expect(dedupeKey('a', { message: { mid: 'm1', is_deleted: 'true' } })).toBe(message);
  });

  it('keys events with an empty, missing or non-string mid by their whole content', () => {
    for (const message of [{ mid: '' }, {}, { mid: 7 }]) {
      const a = dedupeKey('a', { timestamp: 1, message });
      expect(dedupeKey('a', { timestamp: 2, message })).not.toBe(a);
      expect(dedupeKey('a', { message, timestamp: 1 })).toBe(a);
      expect(dedupeKey('b', { timestamp: 1, message })).not.toBe(a);
    }
    expect(dedupeKey('a', { message: 'm1' })).not.toBe(dedupeKey('a', { message: 'm2' }));
  });

  it('keys reactions and reads by content, though they carry the mid of the message they refer to', () => {
    const react = (reaction: string) => dedupeKey('a', { reaction: { mid: 'm1', action: 'react', reaction } });
    expect(react('love')).not.toBe(react('sad'));
    expect(react('love')).not.toBe(dedupeKey('a', { message: { mid: 'm1' } }));
    expect(react('love')).toBe(react('love'));
  });

  it('is a JSON array whatever the channel or mid holds', () => {
    expect(JSON.parse(dedupeKey('a","b', { message: { mid: 'x"]\u0000' } }))).toEqual(['m', 'a","b', 'x"]\u0000']);
    expect(JSON.parse(dedupeKey('c', { message: { mid: 'x', is_deleted: true } }))).toEqual(['deleted', 'c', 'x']);
    const [tag, chan, hash] = JSON.parse(dedupeKey('c', { read: { mid: 'x' } }));
    expect([tag, chan]).toEqual(['h', 'c']);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}');
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ 'k"ey': 'va"l' })).toBe('{"k\\"ey":"va\\"l"}');
  });

  it('writes a value JSON has no text for as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([undefined, 'x', true])).toBe('[null,"x",true]');
  });
});

describe('midOf', () => {
  it.each(['message', 'message_edit', 'reaction', 'read', 'postback'])('finds the mid in %s', (member) => {
    expect(midOf({ timestamp: 1, [member]: { mid: `mid-of-${member}` } })).toBe(`mid-of-${member}`);
  });

  it('has none when no member carries a string mid', () => {
    expect(midOf({ message: { mid: 5 }, read: 'm1', referral: { mid: 'x' } })).toBeNull();
    expect(midOf({ message: ['m1'] })).toBeNull();
    expect(midOf({})).toBeNull();
  });

  it('takes the message mid first', () => {
    expect(midOf({ reaction: { mid: 'r' }, message: { mid: 'm' } })).toBe('m');
  });
});

describe('eventsOf', () => {
  it('takes every object event of messaging, standby and changes, each with its entry and channel', () => {
    const payload = {
      entry: [
        { id: 'e1', time: 100, messaging: [{ message: { mid: 'm1' } }, 'junk', null, [1]], standby: [{ read: { mid: 'm2' } }], changes: [{ field: 'comments' }] },
        { id: 7, time: '200', messaging: [{ message: { mid: 'm3' } }], standby: { not: 'a list' } },
      ],
    };
    const events = eventsOf(payload, [channel('a'), channel('b')]);
    expect(events.map((e) => [e.channel, e.mid, e.entryId, e.entryTime])).toEqual([
      ['a', 'm1', 'e1', 100],
      ['a', 'm2', 'e1', 100],
      ['a', null, 'e1', 100],
      ['b', 'm3', null, null],
    ]);
    expect(events[0]!.event).toEqual({ message: { mid: 'm1' } });
    expect(events[0]!.dedupeKey).toBe(dedupeKey('a', { message: { mid: 'm1' } }));
    expect(events[3]!.dedupeKey).toBe(dedupeKey('b', { message: { mid: 'm3' } }));
  });

  it('gives every entry to the one channel it is given', () => {
    const events = eventsOf({ entry: [{ messaging: [{ message: { mid: 'x' } }] }, { messaging: [{ message: { mid: 'y' } }] }] }, channel('only'));
    expect(events.map((e) => [e.channel, e.mid])).toEqual([
      ['only', 'x'],
      ['only', 'y'],
    ]);
  });

  it('finds nothing in what is not a delivery', () => {
    for (const payload of [null, 'text', [], { entry: 'x' }, { entry: {} }, { entry: [null, 'x', []] }, {}]) expect(eventsOf(payload, channel('a'))).toEqual([]);
  });
});

describe('keyDigest, the dedupe key as the stores hold it', () => {
  it('is 64 hex characters whatever the key holds, the same for the same key and different for another', () => {
    const long = dedupeKey('a', { message: { mid: '中😀'.repeat(512) } });
    expect(Buffer.byteLength(long)).toBeGreaterThan(3000);
    for (const key of ['', 'k', long, dedupeKey('a', { read: { mid: 'x' } })]) expect(keyDigest(key)).toMatch(KEY_DIGEST_PATTERN);
    expect(keyDigest(long)).toBe(keyDigest(`${long}`));
    expect(keyDigest(long)).not.toBe(keyDigest(dedupeKey('b', { message: { mid: '中😀'.repeat(512) } })));
  });

  it('is SHA-256 over UTF-8, the digest the PostgreSQL migration computes in SQL for keys stored before', () => {
    expect(keyDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyDigest('中')).toBe(createHash('sha256').update(Buffer.from([0xe4, 0xb8, 0xad])).digest('hex'));
  });
});
