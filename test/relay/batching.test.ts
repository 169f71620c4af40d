// Which due forwards travel together: pure, so every bound is checked here on its own; both outboxes
// store what it picks (test/relay/outbox.test.ts).
import { describe, expect, it } from 'vitest';
import { dueRowsFor, entryBytes, pickDeliveries, type DueForward } from '../../server/relay/batching.js';

const due = (eventId: number, entryId: string | null = '1', bytes = 100, delivery: number | null = null): DueForward => ({ eventId, delivery, entryId, bytes });
const wide = { maxEvents: 100, maxBytes: 1 << 20 };

describe('picking deliveries', () => {
  it('puts one account’s due events in one delivery, named by its first, oldest first', () => {
    expect(pickDeliveries([due(1), due(2, '2'), due(3), due(4, null), due(5, '2')], 10, wide)).toEqual([
      { id: 1, newMembers: [1, 3] },
      { id: 2, newMembers: [2, 5] },
      { id: 4, newMembers: [4] },
    ]);
  });

  it('takes a delivery made before as it is, adding nothing to it', () => {
    expect(pickDeliveries([due(1, '1', 100, 1), due(2), due(3)], 10, wide)).toEqual([
      { id: 1, newMembers: [] },
      { id: 2, newMembers: [2, 3] },
    ]);
  });

  it('starts a new delivery at the events bound, and picks no more deliveries than asked', () => {
    const rows = [1, 2, 3, 4, 5, 6, 7].map((id) => due(id));
    expect(pickDeliveries(rows, 2, { maxEvents: 3, maxBytes: 1 << 20 })).toEqual([
      { id: 1, newMembers: [1, 2, 3] },
      { id: 4, newMembers: [4, 5, 6] },
    ]);
    expect(pickDeliveries(rows, 1, { maxEvents: 1, maxBytes: 1 << 20 })).toEqual([{ id: 1, newMembers: [1] }]);
    expect(pickDeliveries([due(1, '1', 1, 1), due(2, '1', 1, 2)], 1, wide)).toEqual([{ id: 1, newMembers: [] }]);
  });

  it('keeps a delivery within its bytes, counting each entry’s wrapping, and sends an event too large alone', () => {
    // The event, an entry's wrapping, and its account id twice over (quoted, escaped at worst).
    expect(entryBytes(due(0, '12345', 100))).toBe(100 + 64 + 10);
    expect(entryBytes(due(0, null, 100))).toBe(164);
    const size = entryBytes(due(0, '1', 100));
    // Exactly two entries and the envelope fit in the first bound; one byte less and the second starts a delivery.
    const fits = 40 + 2 * size;
    expect(pickDeliveries([due(1), due(2)], 10, { maxEvents: 10, maxBytes: fits })).toEqual([{ id: 1, newMembers: [1, 2] }]);
    expect(pickDeliveries([due(1), due(2)], 10, { maxEvents: 10, maxBytes: fits - 1 })).toEqual([
      { id: 1, newMembers: [1] },
      { id: 2, newMembers: [2] },
    ]);
    // The bytes add up: a third entry does not fit where two filled the bound.
    expect(pickDeliveries([due(1), due(2), due(3)], 10, { maxEvents: 10, maxBytes: fits })).toEqual([
      { id: 1, newMembers: [1, 2] },
      { id: 3, newMembers: [3] },
    ]);
    expect(pickDeliveries([due(1, '1', 5000), due(2)], 10, { maxEvents: 10, maxBytes: 1024 })).toEqual([
      { id: 1, newMembers: [1] },
      { id: 2, newMembers: [2] },
    ]);
  });

  it('lets a later event join a delivery still filling after the last delivery is picked', () => {
    // The limit stops new deliveries, not the ones being filled: event 3 rides with 1.
    expect(pickDeliveries([due(1), due(2, '2'), due(3)], 2, wide)).toEqual([
      { id: 1, newMembers: [1, 3] },
      { id: 2, newMembers: [2] },
    ]);
    expect(pickDeliveries([due(1), due(2, '2'), due(3, '3')], 2, wide)).toHaveLength(2);
  });

  it('reads enough rows for full deliveries, never fewer than asked, never more than 4 096', () => {
    expect(dueRowsFor(4, { maxEvents: 100, maxBytes: 1 })).toBe(400);
    expect(dueRowsFor(4, { maxEvents: 1, maxBytes: 1 })).toBe(4);
    expect(dueRowsFor(64, { maxEvents: 1000, maxBytes: 1 })).toBe(4096);
    expect(dueRowsFor(5000, { maxEvents: 1, maxBytes: 1 })).toBe(5000);
  });
});
