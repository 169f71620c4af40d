// Pure classification of one feed item into what the timeline shows: kind, direction, parties, times,
// a one-line summary and, for refusals, the reason. No DOM here, so it is easy to reason about and test.
import type { InboxFeedItem } from 'instagram-push-kit';

export type Status = 'accepted' | 'refused';
export type Direction = 'inbound' | 'echo';

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
  /** Lower-cased text the free-text search runs over. */
  search: string;
  item: InboxFeedItem;
}

/** Kinds offered in the kind filter; attachment types beyond these still show up as their own kind. */
export const KINDS = [
  'text', 'image', 'audio', 'video', 'file', 'share', 'story_mention', 'reel', 'ig_reel', 'ig_story',
  'reaction', 'read', 'postback', 'edit', 'deletion', 'referral', 'quick reply', 'unsupported', 'handover', 'unknown',
] as const;

const HANDOVER_KEYS = ['pass_thread_control', 'take_thread_control', 'request_thread_control'];

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

/** Classifies one messaging event. It takes `unknown` because refused bodies were never validated. */
export function describeEvent(value: unknown): EventFacts {
  const event = obj(value) ?? {};
  const message = obj(event.message);
  const attachments: AttachmentView[] = Array.isArray(message?.attachments)
    ? message.attachments.map((a) => {
        const att = obj(a);
        return { type: str(att?.type)?.slice(0, 64) || 'attachment', url: str(obj(att?.payload)?.url) };
      })
    : [];
  const facts: EventFacts = {
    kind: 'unknown',
    direction: message?.is_echo === true ? 'echo' : 'inbound',
    sender: str(obj(event.sender)?.id),
    recipient: str(obj(event.recipient)?.id),
    eventTime: eventMs(event.timestamp),
    summary: null,
    attachments,
  };
  const edit = obj(event.message_edit);
  const reaction = obj(event.reaction);
  const postback = obj(event.postback);
  const referral = obj(event.referral);
  // Order matters: a deleted or unsupported message may still carry text or attachments, and those
  // flags are what a person needs to notice first.
  if (edit) {
    facts.kind = 'edit';
    facts.summary = str(edit.text);
  } else if (message) {
    const text = str(message.text);
    facts.summary = text;
    if (message.is_deleted === true) facts.kind = 'deletion';
    else if (message.is_unsupported === true) facts.kind = 'unsupported';
    else if (obj(message.quick_reply)) {
      facts.kind = 'quick reply';
      facts.summary = text ?? str(obj(message.quick_reply)?.payload);
    } else if (attachments.length) facts.kind = attachments[0]!.type;
    else if (text !== null) facts.kind = 'text';
  } else if (reaction) {
    facts.kind = 'reaction';
    facts.summary = [str(reaction.action), str(reaction.emoji) ?? str(reaction.reaction)].filter(Boolean).join(' ') || null;
  } else if (obj(event.read)) {
    facts.kind = 'read';
    facts.summary = str(obj(event.read)?.mid);
  } else if (postback) {
    facts.kind = 'postback';
    facts.summary = str(postback.title) ?? str(postback.payload);
  } else if (referral) {
    facts.kind = 'referral';
    facts.summary = [str(referral.source), str(referral.ref)].filter(Boolean).join(' ') || null;
  } else {
    const handover = HANDOVER_KEYS.find((k) => k in event);
    if (handover) {
      facts.kind = 'handover';
      facts.summary = handover.replace(/_/g, ' ');
    }
  }
  if (!message) facts.direction = facts.kind === 'unknown' ? null : 'inbound';
  return facts;
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

export function describe(item: InboxFeedItem): Described {
  if (item.type === 'accepted') {
    const { item: stored } = item;
    const facts = describeEvent(stored.event);
    return {
      key: `a${stored.id}`,
      status: 'accepted',
      httpStatus: 200,
      channel: stored.channel,
      ...facts,
      at: timeOf(stored.receivedAt),
      reason: null,
      failingPaths: [],
      search: JSON.stringify(item).toLowerCase(),
      item,
    };
  }
  const { refusal } = item;
  // What the refused body would have been, so a refused text still reads as a text.
  const event = firstEventOf(refusal.body);
  const facts = event === undefined
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
    search: `${JSON.stringify(item)}\n${refusal.body ?? ''}`.toLowerCase(),
    item,
  };
}

/** Newest first; ties (same millisecond) keep the order the feed sent them in, newest first. */
export function newerFirst(a: { at: number; seq: number }, b: { at: number; seq: number }): number {
  return b.at - a.at || b.seq - a.seq;
}
