// Pure classification of one feed item into what the timeline shows: kind, direction, parties, times,
// a one-line summary and, for refusals, the reason. No DOM here, so it is easy to reason about and test.
import type { InboxFeedItem, Refusal } from 'instagram-push-kit';
import { attachmentKind, classifyEvent, KINDS, type Direction, type EventClass } from '../events/classify.js';
import { BY_RANK, memberOf } from '../events/kinds.js';
import { foldCase, searchTextOf } from '../events/search.js';
import { isPushPath } from '../push/push-path.js';

export type Status = 'accepted' | 'refused';
export type { Direction };
export type HandshakeAttempt = NonNullable<Refusal['handshake']>;

export interface AttachmentView {
  type: string;
  url: string | null;
}

export interface Described {
  /** `a<id>` for accepted items, `r<id>` for refusals: the feed's own SSE ids, unique across both. */
  key: string;
  status: Status;
  /** 200 for accepted items, the status the sender got for refusals. */
  httpStatus: number;
  channel: string | null;
  direction: Direction | null;
  kind: string;
  sender: string | null;
  recipient: string | null;
  /** The event's own time in ms, or null when it carries none. */
  eventTime: number | null;
  /** When the server stored or refused it (ms): the timeline's order. */
  at: number;
  /** Text, emoji, title… whatever says most about the event in one line. */
  summary: string | null;
  attachments: AttachmentView[];
  /** Refusals: the error's sentence, and the JSON paths it names. */
  reason: string | null;
  failingPaths: string[];
  /** The text the free-text search runs over, ASCII letters lower-cased (see foldCase). */
  search: string;
  item: InboxFeedItem;
}

export { KINDS };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Meta sends milliseconds, but some deliveries (and older docs) use seconds: anything below 1e12 is seconds. */
export function eventMs(timestamp: unknown): number | null {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return null;
  return timestamp < 1e12 ? timestamp * 1000 : timestamp;
}

export interface EventFacts {
  kind: string;
  direction: Direction | null;
  sender: string | null;
  recipient: string | null;
  eventTime: number | null;
  summary: string | null;
  attachments: AttachmentView[];
}

/** The one line that says most about an event: the line of the first row (by rank) whose member it has. */
function summaryOf(event: Json, kind: string): string | null {
  for (const row of BY_RANK) {
    const member = memberOf(row, event);
    if (member !== null) return row.line(member, event, kind);
  }
  return null;
}

/**
 * Describes one messaging event. Kind and direction come from the classification the inbox stores
 * (classify.ts); `stored` passes the server's own when there is one. It takes `unknown` because refused
 * bodies were never validated.
 */
export function describeEvent(value: unknown, stored?: EventClass): EventFacts {
  const event = obj(value) ?? {};
  const message = obj(event.message);
  const attachments: AttachmentView[] = Array.isArray(message?.attachments)
    ? message.attachments.map((a) => {
        const att = obj(a);
        return { type: attachmentKind(att?.type), url: str(obj(att?.payload)?.url) };
      })
    : [];
  const { kind, direction } = stored ?? classifyEvent(event);
  return {
    kind,
    direction,
    sender: str(obj(event.sender)?.id),
    recipient: str(obj(event.recipient)?.id),
    eventTime: eventMs(event.timestamp),
    summary: summaryOf(event, kind),
    attachments,
  };
}

/** The first messaging (or standby) event of a body that may not even be JSON. */
export function firstEventOf(body: string | null): unknown {
  if (body === null) return undefined;
  try {
    const entry = (JSON.parse(body) as { entry?: Array<{ messaging?: unknown[]; standby?: unknown[] }> })?.entry?.[0];
    return entry?.messaging?.[0] ?? entry?.standby?.[0];
  } catch {
    return undefined;
  }
}

const timeOf = (iso: string) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/** What a refused handshake asked for; null when the refusal was not a handshake. */
export function handshakeOf(refusal: Refusal): HandshakeAttempt | null {
  if (refusal.handshake) return refusal.handshake;
  // A server that did not say: a GET on a push path is a handshake all the same.
  return (refusal.method === 'GET' || refusal.method === 'HEAD') && isPushPath(refusal.path) ? { mode: null, verifyTokenSent: false } : null;
}

function handshakeSummary(h: HandshakeAttempt, said: boolean): string | null {
  if (!said) return null;
  const mode = h.mode === null ? 'no hub.mode' : `hub.mode=${h.mode}`;
  return `${mode}, ${h.verifyTokenSent ? 'verify token sent (never shown)' : 'no verify token'}`;
}

export function describe(item: InboxFeedItem): Described {
  if (item.type === 'accepted') {
    const { item: stored } = item;
    const facts = describeEvent(stored.event, { kind: stored.kind, direction: stored.direction });
    return {
      key: `a${stored.id}`,
      status: 'accepted',
      httpStatus: 200,
      channel: stored.channel,
      ...facts,
      at: timeOf(stored.receivedAt),
      reason: null,
      failingPaths: [],
      search: searchTextOf(stored.event),
      item,
    };
  }
  const { refusal } = item;
  const handshake = handshakeOf(refusal);
  // What the refused body would have been, so a refused text still reads as a text.
  const event = firstEventOf(refusal.body);
  const facts: EventFacts = handshake
    ? { kind: 'handshake', direction: null, sender: null, recipient: null, eventTime: null, summary: handshakeSummary(handshake, refusal.handshake !== undefined), attachments: [] }
    : event === undefined
      ? { kind: 'unknown', direction: null, sender: null, recipient: null, eventTime: null, summary: null, attachments: [] }
      : describeEvent(event);
  return {
    key: `r${refusal.id}`,
    status: 'refused',
    httpStatus: refusal.status,
    channel: refusal.channel,
    ...facts,
    at: timeOf(refusal.at),
    reason: refusal.error.resultMsg,
    failingPaths: refusal.error.errors.map((e) => e.path),
    // The body is searched as received too: inside the item's JSON its quotes are escaped.
    search: foldCase(`${JSON.stringify(item)}\n${refusal.body ?? ''}`),
    item,
  };
}

/** Newest first; ties (same millisecond) keep the order the feed sent them in, newest first. */
export function newerFirst(a: { at: number; seq: number }, b: { at: number; seq: number }): number {
  return b.at - a.at || b.seq - a.seq;
}
