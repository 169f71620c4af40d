// events/: what an event is, apart from where it is stored or shown: its kind and direction (here) and
// the words a search matches in it (search.ts). The stores (inbox/) use both to fill and query their
// columns, and the console's page (console/) bundles the same modules to show and filter live events,
// so both sides agree by construction. Imports nothing of the server: pure, DOM-free and Node-free.
//
// What kind of event a messaging event is and which way it went. Decided once, by the inbox as it
// stores the event (so GET /inbox/messages can filter on it, indexed), and shown as is by the console,
// which bundles this same module. Pure and DOM-free: it runs in Node and in the browser.

import { BY_RANK, EVENT_KINDS, HANDOVER_KEYS, memberOf } from './kinds.js';

export type Direction = 'inbound' | 'echo';

export interface EventClass {
  kind: string;
  direction: Direction | null;
}

/**
 * The kinds this receiver names, as the console offers them in its filter (the rows of kinds.ts);
 * attachment types beyond these are kinds of their own, as sent. One spelling everywhere: Meta's own,
 * lower-case snake_case (its attachment types are stored as sent, so `story_mention`, `ig_reel`);
 * `ig-push trigger` takes the same.
 */
export const KINDS: readonly string[] = EVENT_KINDS.map((k) => k.kind);

/** The spelling of a kind: what KINDS use and Meta's attachment types follow (`ig_reel`, `story_mention`). */
export const KIND_SPELLING = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** The longest kind, in characters (the spec's InboxItem.kind maxLength). */
export const MAX_KIND_LENGTH = 64;

export { HANDOVER_KEYS };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);

/**
 * An attachment type as a kind: the sender chose it, so it is cut at MAX_KIND_LENGTH characters (never
 * inside a surrogate pair) and NUL, which PostgreSQL text cannot hold, becomes U+FFFD on both stores.
 */
export function attachmentKind(type: unknown): string {
  if (typeof type !== 'string' || type === '') return 'attachment';
  const clean = type.includes('\u0000') ? type.replace(/\u0000/g, '\uFFFD') : type;
  return clean.length <= MAX_KIND_LENGTH ? clean : Array.from(clean).slice(0, MAX_KIND_LENGTH).join('');
}

// One rule per rank: the attachment rows share one (the first attachment's type names the kind).
const RULES = BY_RANK.filter((row, i) => !row.attachment || !BY_RANK[i - 1]?.attachment);

/** Classifies one messaging event. It takes `unknown`: refused bodies were never validated. */
export function classifyEvent(value: unknown): EventClass {
  const event = obj(value) ?? {};
  let kind = 'unknown';
  for (const row of RULES) {
    const member = memberOf(row, event);
    if (member === null || (row.is && !row.is(member))) continue;
    kind = row.attachment ? attachmentKind(obj((member.attachments as unknown[])[0])?.type) : row.kind;
    break;
  }
  const message = obj(event.message);
  const direction: Direction | null = message ? (message.is_echo === true ? 'echo' : 'inbound') : kind === 'unknown' ? null : 'inbound';
  return { kind, direction };
}
