// The pure decisions of the server, pinned without HTTP.
import { describe, expect, it } from 'vitest';
import { channelSet, channelsByEntry } from '../../server/push/channels.js';
import { canonicalJson, dedupeKey, eventsOf, midOf } from '../../server/inbox/delivery-events.js';
import { nestsDeeperThan } from '../../server/push/json-depth.js';
import { expectedSignature, verifySignature } from '../../server/push/signature.js';
import { RefusalLog } from '../../server/read/refusal-log.js';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or after escapes', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":[1]}}', 2)).toBe(true);
  });
});

describe('signatures', () => {
  const body = new TextEncoder().encode('{"a":1}');
  it('accepts the HMAC of the bytes, in either hex case', () => {
    const sig = expectedSignature(body, 's');
    expect(verifySignature(body, sig, 's')).toBe('valid');
    expect(verifySignature(body, sig.toUpperCase().replace('SHA256=', 'sha256='), 's')).toBe('valid');
  });
  it('tells a missing header from a mismatch, and treats malformed values as mismatches', () => {
    expect(verifySignature(body, undefined, 's')).toBe('missing');
    expect(verifySignature(body, '', 's')).toBe('missing');
    for (const bad of ['sha1=abc', 'sha256=', `sha256=${'g'.repeat(64)}`, `sha256=${'0'.repeat(63)}`, expectedSignature(body, 'other')]) {
      expect(verifySignature(body, bad, 's')).toBe('mismatch');
    }
  });
});

describe('dedupe keys', () => {
  it('keys message events by channel and mid, deletions apart', () => {
    expect(dedupeKey('a', { message: { mid: 'm', text: 'x' } })).toBe(dedupeKey('a', { message: { mid: 'm', text: 'changed' }, timestamp: 9 }));
    expect(dedupeKey('a', { message: { mid: 'm' } })).not.toBe(dedupeKey('a', { message: { mid: 'm', is_deleted: true } }));
    expect(dedupeKey('a', { message: { mid: 'm' } })).not.toBe(dedupeKey('b', { message: { mid: 'm' } }));
  });
  it('keys other events by their canonical JSON, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(dedupeKey('a', { read: { mid: 'x' }, timestamp: 1 })).toBe(dedupeKey('a', { timestamp: 1, read: { mid: 'x' } }));
    expect(dedupeKey('a', { reaction: { mid: 'x', action: 'react' } })).not.toBe(dedupeKey('a', { reaction: { mid: 'x', action: 'unreact' } }));
  });
  it('finds the mid of messages, edits, reactions, reads and postbacks', () => {
    expect(midOf({ message_edit: { mid: 'e' } })).toBe('e');
    expect(midOf({ postback: { mid: 'p' } })).toBe('p');
    expect(midOf({ sender: { id: '1' } })).toBeNull();
  });
  it('takes events from messaging, standby and changes, and skips what is not an object', () => {
    const events = eventsOf({ entry: [{ id: '1', time: 5, messaging: [{ a: 1 }, 'x'], standby: [{ b: 1 }], changes: [{ field: 'messages', value: {} }] }, 7] }, { id: 'c', enabled: true });
    expect(events.map((e) => Object.keys(e.event)[0])).toEqual(['a', 'b', 'field']);
    expect(events[0]).toMatchObject({ channel: 'c', entryId: '1', entryTime: 5, mid: null });
    expect(eventsOf([], { id: 'c', enabled: true })).toEqual([]);
  });
});

describe('routing by entry', () => {
  const set = channelSet([{ id: 'a', accountId: '1', enabled: true }]);
  it('routes each entry to its channel and refuses an entry without an id', () => {
    expect(channelsByEntry(set, ['1', '1']).map((c) => c.id)).toEqual(['a', 'a']);
    expect(() => channelsByEntry(set, [undefined])).toThrow(/entry 0/);
  });
});

describe('the refusal log', () => {
  it('keeps the newest `capacity` refusals and cuts bodies at `maxBodyBytes`', () => {
    const log = new RefusalLog({ capacity: 3, maxBodyBytes: 8 });
    const seen: number[] = [];
    log.subscribe((r) => seen.push(r.id));
    for (let i = 0; i < 5; i++) {
      log.add({ at: '', method: 'POST', path: '/', status: 400, channel: null, contentType: null, error: { resultMsg: '', code: 'bad_request', requestId: '', errors: [] }, body: Buffer.from(`body-number-${i}`) });
    }
    expect(log.size).toBe(3);
    expect(log.since().map((r) => r.id)).toEqual([3, 4, 5]);
    expect(log.since(4).map((r) => r.id)).toEqual([5]);
    expect(log.since()[0]).toMatchObject({ body: 'body-num', bodyTruncated: true });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
