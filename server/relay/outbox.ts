// The relay's store: the durable outbox of forwarded deliveries (one row per event and destination,
// written by the store in the same transaction as the event), their attempts, and each destination's
// pause switch. The forwarder, the API and retention see it only through this interface.

import type { DeliveryShape } from './batching.js';

export type ForwardState = 'pending' | 'retrying' | 'delivered' | 'dead';

/** One event of a claimed delivery, with what its entry is built from. */
export interface ClaimedEvent {
  eventId: number;
  entryId: string | null;
  entryTime: number | null;
  /** The stored event's JSON text, exactly as stored: the same bytes on every attempt. */
  eventJson: string;
  /** When its forwarding started (ms since the epoch): its receipt, or its last replay. */
  createdAt: number;
}

/**
 * A forwarded delivery claimed for one attempt: one or more events of one account, grouped at their
 * first claim and stored so, so every attempt and every replay sends the same events in the same bytes.
 */
export interface ClaimedDelivery {
  /** The delivery's id: its first event's id. */
  id: number;
  destination: string;
  /** The oldest event's start: the delivery is dead when that one reaches the maximum age. */
  createdAt: number;
  /** Attempts made before this one. */
  attempts: number;
  /** Oldest first. */
  events: ClaimedEvent[];
  /** The claim's token, where the store shares forwards between instances (PostgreSQL). */
  lease?: string;
}

/** One attempt's outcome and what it makes of every forward in the delivery. */
export interface AttemptRecord {
  /** The delivery (its first event's id). */
  delivery: number;
  destination: string;
  at: number;
  status: number | null;
  latencyMs: number;
  /** The receiver's error body or the network error, cut short. */
  error: string | null;
  state: Exclude<ForwardState, 'pending'>;
  /** When a retrying forward is due again. */
  nextAt: number;
  /** The claim's lease: the outcome is recorded only while the forward is still leased to it. */
  lease?: string;
}

export interface Attempt {
  at: string;
  status: number | null;
  latencyMs: number;
  error: string | null;
}

export interface ForwardView {
  eventId: string;
  /** The forwarded delivery the event travels in (its first event's id); null before its first claim. */
  deliveryId: string | null;
  channel: string;
  destination: string;
  state: ForwardState;
  /** Open, but its destination is configured nowhere: nothing is sent until it is again, or it is discarded. */
  held: boolean;
  attempts: number;
  createdAt: string;
  /** When the next attempt is due (pending and retrying only). */
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  /** The newest attempts, newest first. */
  recentAttempts: Attempt[];
}

export interface ForwardQuery {
  state?: ForwardState;
  destination?: string;
  channel?: string;
  /** Newest first, before this event id. */
  before?: number;
  /** Only the forwards of these events (at most 100, the API's bound); an empty list matches none. */
  eventIds?: number[];
  limit: number;
}

export interface DestinationStatus {
  id: string;
  channel: string;
  /**
   * False for a destination no longer configured (by no live instance, on PostgreSQL) that still has open
   * forwards: they are held until it is configured again, or discarded.
   */
  configured: boolean;
  paused: boolean;
  counts: Record<ForwardState, number>;
  /** Receipt time of the oldest event not yet delivered or dead. */
  oldestPendingAt: string | null;
}

export interface ReplayQuery {
  destination: string;
  /** Only events stored in [since, until). */
  since?: Date;
  until?: Date;
}

/** The last error of a forward an operator ended with `discard`. */
export const DISCARDED = 'an operator discarded it: its destination was removed from the configuration (POST /relay/destinations/{destinationId}/discard)';

/** What `discard` did: refused, the destination being configured, or ended this many open forwards. */
export type DiscardResult = { configured: true } | { configured: false; discarded: number };

export interface Outbox {
  /**
   * Ready to take events: schema and destinations in place. Every append waits for it, so no event is
   * stored before its destinations are known; rejects while the store is unreachable.
   */
  open(): Promise<void>;
  /**
   * Takes up to `limit` due deliveries of a destination, oldest first, and leases them until
   * `leaseUntil`: a crash before their outcome is recorded makes them due again then. Forwards never
   * claimed before are grouped into deliveries of the shape given (batching.ts), and stay so.
   */
  claim(destination: string, now: number, leaseUntil: number, limit: number, shape: DeliveryShape): Promise<ClaimedDelivery[]>;
  /** Writes attempts and the deliveries' forwards' new states in one transaction. */
  record(records: AttemptRecord[]): Promise<void>;
  paused(destination: string): Promise<boolean>;
  setPaused(destination: string, paused: boolean): Promise<boolean>;
  /**
   * Makes one event's forward(s) due now with a fresh maximum age, each with the delivery it travelled
   * in (its companions are sent again too: same bytes; the destination dedupes them); returns how many.
   */
  replayEvent(eventId: number, destination?: string): Promise<number>;
  /** Makes a destination's dead deliveries due now (every forward in one, if any is in range); returns how many forwards. */
  replayDead(query: ReplayQuery, now: number): Promise<number>;
  /**
   * Ends the held forwards of a destination configured nowhere: every open one turns dead, with
   * DISCARDED as its last error. Refused, changing nothing, while the destination is configured.
   */
  discard(destination: string): Promise<DiscardResult>;
  list(query: ForwardQuery): Promise<ForwardView[]>;
  status(): Promise<DestinationStatus[]>;
  close(): Promise<void>;
}
