// Which channel each entry of a delivery belongs to (push/channels.ts).
import { describe, expect, it } from 'vitest';
import { channelById, channelSet, channelsByEntry } from '../../server/push/channels.js';

describe('routing by entry', () => {
  const set = channelSet([{ id: 'a', accountId: '1', enabled: true }]);
  it('routes each entry to its channel and refuses an entry without an id', () => {
    expect(channelsByEntry(set, ['1', '1']).map((c) => c.id)).toEqual(['a', 'a']);
    expect(() => channelsByEntry(set, [undefined])).toThrow(/entry 0/);
  });
});

describe('the open sandbox (no configuration)', () => {
  const open = channelSet(undefined);
  it('routes every entry, with an id or without, to the one enabled channel "sandbox"', () => {
    expect(open.configured).toBe(false);
    expect(channelsByEntry(open, ['1', undefined])).toEqual([
      { id: 'sandbox', enabled: true },
      { id: 'sandbox', enabled: true },
    ]);
  });
  it('takes any channel the path names, enabled', () => {
    expect(channelById(open, 'any-name')).toEqual({ id: 'any-name', enabled: true });
  });
});
