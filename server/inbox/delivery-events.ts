// A delivery's events: splits a delivery into the events the inbox stores, and names each event's dedupe key.
import { createHash } from 'node:crypto';
import { MID_MEMBERS } from '../events/kinds.js';
import type { Channel } from '../push/channels.js';
import type { NewEvent } from './inbox.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with object keys sorted, so the same event hashes the same whatever key order it arrived in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The message ID an event refers to, from whichever member carries one (the kinds table says which do). */
export function midOf(event: Json): string | null {
  for (const key of MID_MEMBERS) {
    const member = event[key];
    if (isObject(member) && typeof member.mid === 'string') return member.mid;
  }
  return null;
}

/**
 * The dedupe key. A message event is keyed by channel and `message.mid`; a deletion repeats the mid of
 * the message it deletes, so it gets its own key. Everything else (reactions, reads, edits, events with
 * no mid) is keyed by a hash of its canonical JSON. Keys are JSON arrays: unambiguous whatever the
 * channel or mid contains, and free of NUL characters, which PostgreSQL text cannot hold.
 */
export function dedupeKey(channel: string, event: Json): string {
  const message = event.message;
  if (isObject(message) && typeof message.mid === 'string' && message.mid !== '') {
    return JSON.stringify(message.is_deleted === true ? ['deleted', channel, message.mid] : ['m', channel, message.mid]);
  }
  return JSON.stringify(['h', channel, createHash('sha256').update(canonicalJson(event)).digest('base64url')]);
}

/** The events of a delivery whose entry i goes to `channels[i]` (or to one channel for all). */
export function eventsOf(payload: unknown, channels: Channel[] | Channel): NewEvent[] {
  if (!isObject(payload) || !Array.isArray(payload.entry)) return [];
  const out: NewEvent[] = [];
  payload.entry.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const channel = Array.isArray(channels) ? channels[i]! : channels;
    const entryId = str(entry.id);
    const entryTime = typeof entry.time === 'number' ? entry.time : null;
    for (const list of [entry.messaging, entry.standby, entry.changes]) {
      if (!Array.isArray(list)) continue;
      for (const event of list) {
        if (!isObject(event)) continue;
        out.push({ channel: channel.id, mid: midOf(event), entryId, entryTime, event, dedupeKey: dedupeKey(channel.id, event) });
      }
    }
  });
  return out;
}
