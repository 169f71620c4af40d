// Which channel each entry of a delivery belongs to (push/channels.ts).
import { describe, expect, it } from 'vitest';
import { channelSet, channelsByEntry } from '../../server/push/channels.js';

describe('routing by entry', () => {
  const set = channelSet([{ id: 'a', accountId: '1', enabled: true }]);
  it('routes each entry to its channel and refuses an entry without an id', () => {
    expect(channelsByEntry(set, ['1', '1']).map((c) => c.id)).toEqual(['a', 'a']);
    expect(() => channelsByEntry(set, [undefined])).toThrow(/entry 0/);
  });
});
