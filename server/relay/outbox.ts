// The relay's store: the durable outbox of forwarded deliveries (one row per event and destination,
// written by the store in the same transaction as the event), their attempts, and each destination's
// pause switch. The forwarder, the API and retention see it only through this interface.

export type ForwardState = 'pending' | 'retrying' | 'delivered' | 'dead';

/** An event claimed for one attempt, with what the delivery is built from. */
export interface ClaimedForward {
  eventId: number;
  destination: string;
  /** When the forwarding started (ms since the epoch): the event's receipt, or its last replay. */
  createdAt: number;
  /** Attempts made before this one. */
  attempts: number;
  entryId: string | null;
  entryTime: number | null;
  /** The stored event's JSON text, exactly as stored: the same bytes on every attempt. */
  eventJson: string;
  /** The claim's token, where the store shares forwards between instances (PostgreSQL). */
  lease?: string;
}

/** One attempt's outcome and what it makes of the forward. */
export interface AttemptRecord {
  eventId: number;
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
  channel: string;
  destination: string;
  state: ForwardState;
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

export interface Outbox {
  /**
   * Ready to take events: schema and destinations in place. Every append waits for it, so no event is
   * stored before its destinations are known; rejects while the store is unreachable.
   */
  open(): Promise<void>;
  /**
   * Takes up to `limit` due forwards of a destination, oldest event first, and leases them until
   * `leaseUntil`: a crash before their outcome is recorded makes them due again then.
   */
  claim(destination: string, now: number, leaseUntil: number, limit: number): Promise<ClaimedForward[]>;
  /** Writes attempts and the forwards' new states in one transaction. */
  record(records: AttemptRecord[]): Promise<void>;
  paused(destination: string): Promise<boolean>;
  setPaused(destination: string, paused: boolean): Promise<boolean>;
  /** Makes one event's forward(s) due now with a fresh maximum age; returns how many. */
  replayEvent(eventId: number, destination?: string): Promise<number>;
  /** Makes a destination's dead forwards due now; returns how many. */
  replayDead(query: ReplayQuery, now: number): Promise<number>;
  list(query: ForwardQuery): Promise<ForwardView[]>;
  status(): Promise<DestinationStatus[]>;
  close(): Promise<void>;
}
