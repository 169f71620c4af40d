// A delivery's events as the store keeps them (inbox/delivery-events.ts): their keys, mids and sources.
import { describe, expect, it } from 'vitest';
import { canonicalJson, dedupeKey, eventsOf, midOf } from '../../server/inbox/delivery-events.js';

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
