// How a stored forward and its attempts read in the API: one mapping for both outboxes, whose rows
// carry the same columns (times in ms since the epoch, ids as numbers or PostgreSQL's bigint text).
import type { Attempt, ForwardState, ForwardView } from './outbox.js';

/** Attempts shown per forward in the listing (the log keeps all of them). */
export const RECENT_ATTEMPTS = 5;

export interface StoredForward {
  destination: string;
  event_id: number | string;
  state: ForwardState;
  created_at: number | string;
  next_at: number | string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  /** The delivery it travels in (its first event's id); null before its first claim. */
  delivery: number | string | null;
  channel: string;
  /** Open with its destination configured nowhere (SQLite answers 0 or 1). */
  held: boolean | number;
}

export interface StoredAttempt {
  at: number | string;
  status: number | null;
  latency_ms: number;
  error: string | null;
}

export const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export function forwardView(r: StoredForward, recent: StoredAttempt[]): ForwardView {
  return {
    eventId: String(r.event_id),
    deliveryId: r.delivery === null ? null : String(r.delivery),
    channel: r.channel,
    destination: r.destination,
    state: r.state,
    held: Boolean(r.held),
    attempts: r.attempts,
    createdAt: iso(r.created_at),
    nextAttemptAt: r.state === 'pending' || r.state === 'retrying' ? iso(r.next_at) : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    recentAttempts: recent.map((a): Attempt => ({ at: iso(a.at), status: a.status, latencyMs: a.latency_ms, error: a.error })),
  };
}

/**
 * The destinations still holding open forwards that are configured nowhere: those among the counts'
 * rows (every destination with forwards) that are not among the configured ones.
 */
export function heldDestinations(rows: { destination: string; state: ForwardState; n: number | string }[], configured: Set<string>): string[] {
  const held = new Set<string>();
  for (const row of rows) if ((row.state === 'pending' || row.state === 'retrying') && Number(row.n) > 0 && !configured.has(row.destination)) held.add(row.destination);
  return [...held].sort();
}

/** Each state's count for one destination, from (destination, state, n) rows; absent states are 0. */
export function countsOf(rows: { destination: string; state: ForwardState; n: number | string }[], destination: string): Record<ForwardState, number> {
  const c: Record<ForwardState, number> = { pending: 0, retrying: 0, delivered: 0, dead: 0 };
  for (const row of rows) if (row.destination === destination) c[row.state] = Number(row.n);
  return c;
}
