// The start's word on destinations no longer configured that still hold open forwards: the same line on
// both stores, with or without a relay running.
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';

/**
 * Says, once at start, which destinations not configured here still hold open forwards, and what ends
 * them: configuring the destination again delivers them; only the admin's discard ends them.
 */
export async function reportHeld(outbox: Pick<Outbox, 'status'>, logger: Pick<Logger, 'warn'>, relayRunning = true): Promise<void> {
  const held = (await outbox.status()).filter((d) => !d.configured);
  if (held.length === 0) return;
  const forwards = Object.fromEntries(held.map((d) => [d.id, d.counts.pending + d.counts.retrying]));
  const list = held.map((d) => `${d.id} (${forwards[d.id]})`).join(', ');
  const end = relayRunning
    ? `To end them for good: ig-push relay discard <destination> --url <this server> (POST /relay/destinations/<destination>/discard with the admin token).`
    : 'To end them for good, start the server with at least one destination configured (the relay API then runs) and use ig-push relay discard <destination>.';
  logger.warn({ held: forwards }, `relay: the store holds open forwards for destinations not configured here: ${list}. They are kept, not sent: configure the destination again to deliver them. ${end}`);
}
