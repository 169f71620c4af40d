// The inbox contract every store implements (embedded SQLite, shared PostgreSQL), so one behaviour
// suite runs against both.
import type { InboxPage } from 'instagram-push-kit';
import type { StoreFailure } from './store-health.js';

/** One messaging event ready to store. */
export interface NewEvent {
  channel: string;
  mid: string | null;
  entryId: string | null;
  entryTime: number | null;
  /** The event as received (after JSON parsing). */
  event: Record<string, unknown>;
  /** Redeliveries of the same event share this key and are stored once. */
  dedupeKey: string;
}

export interface AppendResult {
  stored: number;
  duplicates: number;
}

export interface ListQuery {
  channel?: string;
  /** Only events of this kind (classify.ts). */
  kind?: string;
  direction?: 'inbound' | 'echo';
  /** Words that must all appear in the event's JSON text, ASCII letters in any case (search.ts). */
  q?: string;
  /** `asc` (the default): forward after `cursor`, oldest first. `desc`: newest first, before `cursor`. */
  order?: 'asc' | 'desc';
  limit: number;
  cursor?: string;
  /**
   * The page's byte budget: it ends early (`truncated`) when the next event's JSON text would take the
   * page past this many bytes; it always holds at least one event. Default DEFAULT_PAGE_MAX_BYTES.
   */
  maxBytes?: number;
}

/** A page's byte budget by default: the stored events' JSON text, UTF-8 bytes. */
export const DEFAULT_PAGE_MAX_BYTES = 4 * 1024 * 1024;

export interface Inbox {
  /** Stores one delivery's events atomically; resolves only after they are durably committed. */
  append(events: NewEvent[], receivedAt: Date): Promise<AppendResult>;
  /**
   * Events in commit order after `cursor`, never skipping one that commits later; or, with
   * `order: 'desc'`, newest first before `cursor` (an event's id), down to the oldest.
   */
  list(query: ListQuery): Promise<InboxPage>;
  /**
   * The newest `limit` events within `maxBytes` (default DEFAULT_PAGE_MAX_BYTES; at least one event),
   * in commit order, and the cursor to read on from after them; `truncated` when the bytes cut it short.
   */
  tail(limit: number, maxBytes?: number): Promise<InboxPage>;
  /** True when the store can take writes now. */
  ready(): Promise<boolean>;
  /**
   * Why it cannot, in words and since when; undefined while it can (or before anything failed). Optional,
   * so a store written before it existed still type-checks: /readyz then says only that it cannot.
   */
  failure?(): StoreFailure | undefined;
  /** Deletes events received before `before`, at most `max` of them; returns how many. */
  prune(before: Date, max?: number): Promise<number>;
  close(): Promise<void>;
}

/** The store could not be reached or failed to commit; the push answers 500 so the sender retries. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The cursor was not handed out by this store. */
export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`unknown cursor ${JSON.stringify(cursor)}`);
    this.name = 'InvalidCursorError';
  }
}
