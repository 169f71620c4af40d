// The kinds of event this receiver names, one row each: how an event is recognised as that kind, the
// member that carries the message ID it refers to, and the line the console shows for it. Classification
// (classify.ts), the dedupe's mid (inbox/delivery-events.ts), the console's lines (console/describe.ts)
// and the `kind` filter's list all derive from this table: adding a kind is adding a row. Pure, DOM-free.

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const HANDOVER_KEYS = ['pass_thread_control', 'take_thread_control', 'request_thread_control'] as const;

export interface EventKind {
  /** The stored value (InboxItem.kind) and the console's name for it: Meta's own lower-case snake_case. */
  kind: string;
  /** The event's member that says it is of this kind (any of several for a handover). */
  member: string | readonly string[];
  /** Among events with that member, which are of this kind; absent: every one. */
  is?: (member: Json) => boolean;
  /**
   * Precedence: an event is of the matching kind with the lowest rank. A deleted or unsupported message
   * may still carry text or attachments, and those flags are what a person needs to notice first; a
   * message that is none of its kinds is `unknown`, whatever else the event carries.
   */
  rank: number;
  /** A message's first attachment names the kind (`image`…); other attachment types are kinds of their own, as sent. */
  attachment?: true;
  /** The member's `mid` is the message the event refers to. */
  mid?: true;
  /** The console's one line for an event with this member: text, emoji, title… whatever says most. */
  line: (member: Json, event: Json, kind: string) => string | null;
  /** The smallest event of this kind (the kinds table's own test classifies each). */
  example: Json;
}

const messageLine = (m: Json, _e: Json, kind: string) => str(m.text) ?? (kind === 'quick_reply' ? str(obj(m.quick_reply)?.payload) : null);
const attached = (type: string): EventKind => ({
  kind: type,
  member: 'message',
  is: (m) => Array.isArray(m.attachments) && m.attachments.length > 0,
  rank: 5,
  attachment: true,
  mid: true,
  line: messageLine,
  example: { message: { mid: 'm', attachments: [{ type, payload: { url: 'https://example.com/a' } }] } },
});

/** In the order the console's filter and the `kind` refusal list them. */
export const EVENT_KINDS: readonly EventKind[] = [
  { kind: 'text', member: 'message', is: (m) => typeof m.text === 'string', rank: 6, mid: true, line: messageLine, example: { message: { mid: 'm', text: 'hi' } } },
  ...['image', 'audio', 'video', 'file', 'share', 'story_mention', 'reel', 'ig_reel', 'ig_story'].map(attached),
  {
    kind: 'reaction',
    member: 'reaction',
    rank: 8,
    mid: true,
    line: (r) => [str(r.action), str(r.emoji) ?? str(r.reaction)].filter(Boolean).join(' ') || null,
    example: { reaction: { mid: 'm', action: 'react', emoji: '❤' } },
  },
  { kind: 'read', member: 'read', rank: 9, mid: true, line: (r) => str(r.mid), example: { read: { mid: 'm' } } },
  { kind: 'postback', member: 'postback', rank: 10, mid: true, line: (p) => str(p.title) ?? str(p.payload), example: { postback: { mid: 'm', title: 'Go' } } },
  { kind: 'edit', member: 'message_edit', rank: 0, mid: true, line: (e) => str(e.text), example: { message_edit: { mid: 'm', text: 'new' } } },
  { kind: 'deletion', member: 'message', is: (m) => m.is_deleted === true, rank: 1, mid: true, line: messageLine, example: { message: { mid: 'm', text: 'x', is_deleted: true } } },
  {
    kind: 'referral',
    member: 'referral',
    rank: 11,
    line: (r) => [str(r.source), str(r.ref)].filter(Boolean).join(' ') || null,
    example: { referral: { source: 'SHORTLINK', ref: 'ad' } },
  },
  { kind: 'quick_reply', member: 'message', is: (m) => obj(m.quick_reply) !== null, rank: 3, mid: true, line: messageLine, example: { message: { mid: 'm', quick_reply: { payload: 'Y' } } } },
  { kind: 'unsupported', member: 'message', is: (m) => m.is_unsupported === true, rank: 2, mid: true, line: messageLine, example: { message: { mid: 'm', text: 'x', is_unsupported: true } } },
  {
    kind: 'handover',
    member: HANDOVER_KEYS,
    rank: 12,
    line: (_m, e) => HANDOVER_KEYS.find((k) => k in e)?.replace(/_/g, ' ') ?? null,
    example: { pass_thread_control: { new_owner_app_id: '1' } },
  },
  { kind: 'unknown', member: 'message', rank: 7, mid: true, line: messageLine, example: { message: { mid: 'm' } } },
];

/** The member of `event` a row looks at, or null when the event has none. */
export function memberOf(row: EventKind, event: Json): Json | null {
  if (typeof row.member === 'string') return obj(event[row.member]);
  // A handover's member may be any value: its presence says it.
  const key = row.member.find((k) => k in event);
  return key === undefined ? null : (obj(event[key]) ?? {});
}

/** The rows by precedence: what classifies an event and picks its console line. */
export const BY_RANK: readonly EventKind[] = [...EVENT_KINDS].sort((a, b) => a.rank - b.rank);

/** The members whose `mid` an event refers to, in the order they are looked at. */
export const MID_MEMBERS: readonly string[] = [...new Set(EVENT_KINDS.filter((k) => k.mid).map((k) => k.member as string))];
