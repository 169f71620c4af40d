// Which due forwards travel together in one forwarded delivery. Pure: both outboxes read the due rows
// (oldest first, under their own locks) and store what this decides, so the grouping is made once, at
// an event's first claim, and every later attempt and replay sends the same events in the same bytes.
//
// No waiting to fill a delivery: what is due now is grouped now. Under light load each delivery holds
// one event (no latency added); under a backlog they fill up, which is when fewer deliveries pay.

/** A due forward as the outbox reads it for grouping. */
export interface DueForward {
  eventId: number;
  /** The delivery it already travels in (its first event's id), or null before its first claim. */
  delivery: number | null;
  /** The Instagram account (entry.id) the event came for: one delivery carries one account's events. */
  entryId: string | null;
  /** The stored event's JSON text length in bytes. */
  bytes: number;
}

/** How large a destination lets a delivery grow. */
export interface DeliveryShape {
  maxEvents: number;
  /** Bound on the delivery's body; an event larger than this alone still travels, alone. */
  maxBytes: number;
}

/** A delivery picked: its id (first event), and the events newly put in it (empty for a retry). */
export interface PickedDelivery {
  id: number;
  newMembers: number[];
}

/** The envelope around the entries, and each entry's own wrapping: an upper bound of what delivery.ts adds. */
const ENVELOPE_BYTES = 40;
const ENTRY_BYTES = 64;

/** An upper bound of one event's share of a delivery body. */
export const entryBytes = (f: Pick<DueForward, 'entryId' | 'bytes'>) => f.bytes + ENTRY_BYTES + 2 * (f.entryId?.length ?? 0);

/**
 * Picks up to `limit` deliveries from due forwards given oldest first. A forward already in a delivery
 * is that delivery's first event (the outboxes read only those) and is taken as stored; the others are
 * grouped in order, by account, up to the shape's bounds.
 */
export function pickDeliveries(due: readonly DueForward[], limit: number, shape: DeliveryShape): PickedDelivery[] {
  const picked: PickedDelivery[] = [];
  /** The delivery still filling for each account, with its size so far. */
  const filling = new Map<string, { delivery: PickedDelivery; bytes: number }>();
  for (const f of due) {
    if (f.delivery !== null) {
      if (picked.length === limit) continue;
      picked.push({ id: f.delivery, newMembers: [] });
      continue;
    }
    // Stryker disable next-line StringLiteral: any key groups the events without an account together alike
    const account = f.entryId ?? '';
    const size = entryBytes(f);
    const open = filling.get(account);
    if (open && open.delivery.newMembers.length < shape.maxEvents && ENVELOPE_BYTES + open.bytes + size <= shape.maxBytes) {
      open.delivery.newMembers.push(f.eventId);
      open.bytes += size;
      continue;
    }
    if (picked.length === limit) continue;
    const delivery = { id: f.eventId, newMembers: [f.eventId] };
    picked.push(delivery);
    filling.set(account, { delivery, bytes: size });
  }
  return picked;
}

/** Rows worth reading to fill `limit` deliveries: enough for full ones, bounded whatever the shape. */
export const dueRowsFor = (limit: number, shape: DeliveryShape) => Math.max(limit, Math.min(limit * shape.maxEvents, 4096));
