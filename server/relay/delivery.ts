// The bytes a forwarded delivery sends, built from the stored event alone (its JSON text spliced in as
// stored, never re-serialised), so every attempt for the same event sends the very same bytes and the
// destination's dedupe by `mid` holds; and the signature over them.
import { createHmac } from 'node:crypto';
import type { ClaimedForward } from './outbox.js';

/** An event that is a field change (`{field, value}`) travels in `changes`, every other in `messaging`. */
function listOf(eventJson: string): 'changes' | 'messaging' {
  const event = JSON.parse(eventJson) as Record<string, unknown>;
  return 'field' in event && 'value' in event && !('sender' in event) ? 'changes' : 'messaging';
}

/** One event as a delivery of this contract: one entry, its account and time as Meta sent them. */
export function deliveryBytes(f: Pick<ClaimedForward, 'entryId' | 'entryTime' | 'eventJson'>): Buffer {
  const id = JSON.stringify(f.entryId ?? '');
  const time = JSON.stringify(f.entryTime ?? 0);
  return Buffer.from(`{"object":"instagram","entry":[{"id":${id},"time":${time},"${listOf(f.eventJson)}":[${f.eventJson}]}]}`);
}

/** X-Hub-Signature-256's value for these bytes, as Meta signs. */
export function signature(secret: string, bytes: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
}
