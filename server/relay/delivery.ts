// The bytes a forwarded delivery sends, built from its stored events alone (their JSON text spliced in as
// stored, never re-serialised), so every attempt of the same delivery sends the very same bytes and the
// destination's dedupe by `mid` holds; and the signature over them.
import { createHmac } from 'node:crypto';
import type { ClaimedEvent } from './outbox.js';

/** An event that is a field change (`{field, value}`) travels in `changes`, every other in `messaging`. */
function listOf(eventJson: string): 'changes' | 'messaging' {
  const event = JSON.parse(eventJson) as Record<string, unknown>;
  return 'field' in event && 'value' in event && !('sender' in event) ? 'changes' : 'messaging';
}

/** One event as an entry of this contract: its account and time as Meta sent them. */
function entry(e: Pick<ClaimedEvent, 'entryId' | 'entryTime' | 'eventJson'>): string {
  const id = JSON.stringify(e.entryId ?? '');
  const time = JSON.stringify(e.entryTime ?? 0);
  return `{"id":${id},"time":${time},"${listOf(e.eventJson)}":[${e.eventJson}]}`;
}

/** Events as one delivery of this contract: an entry each, in the order given (Meta batches the same way). */
export function deliveryBytes(events: readonly Pick<ClaimedEvent, 'entryId' | 'entryTime' | 'eventJson'>[]): Buffer {
  return Buffer.from(`{"object":"instagram","entry":[${events.map(entry).join(',')}]}`);
}

/** X-Hub-Signature-256's value for these bytes, as Meta signs. */
export function signature(secret: string, bytes: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
}
