// The timeline's filters and their place in the URL query string, so a reload or a shared link keeps
// the view. The token never goes here: it lives in the fragment and then in sessionStorage only.
// Channel, kind, direction and the search are the server's filters too (GET /inbox/messages), so older
// pages come back already filtered; the same rules match live items here (search.ts).
import type { operations } from 'instagram-push-kit';
import { matchesWords, MAX_SEARCH_WORDS, searchWords } from '../events/search.js';
import type { Described } from './describe.js';

export interface Filters {
  channel: string;
  kind: string;
  direction: '' | 'inbound' | 'echo';
  status: '' | 'accepted' | 'refused';
  q: string;
}

export const NO_FILTERS: Filters = { channel: '', kind: '', direction: '', status: '', q: '' };

/** The longest search the server takes (the spec's `q`). */
export const MAX_SEARCH_LENGTH = 200;

const KEYS = ['channel', 'kind', 'direction', 'status', 'q'] as const;

export function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const status = p.get('status');
  const direction = p.get('direction');
  return {
    channel: p.get('channel') ?? '',
    kind: p.get('kind') ?? '',
    direction: direction === 'inbound' || direction === 'echo' ? direction : '',
    status: status === 'accepted' || status === 'refused' ? status : '',
    q: p.get('q') ?? '',
  };
}

/** `?status=refused&q=hello`, or '' when nothing is filtered; fixed key order keeps URLs stable. */
export function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  for (const key of KEYS) if (f[key]) p.set(key, f[key]);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The words searched for: what the server would search (at most MAX_SEARCH_WORDS, within 200 characters). */
export function wordsOf(f: Filters): string[] {
  return searchWords(f.q.slice(0, MAX_SEARCH_LENGTH)).slice(0, MAX_SEARCH_WORDS);
}

export function matches(d: Described, f: Filters): boolean {
  if (f.status && d.status !== f.status) return false;
  if (f.channel && d.channel !== f.channel) return false;
  if (f.kind && d.kind !== f.kind) return false;
  if (f.direction && d.direction !== f.direction) return false;
  // Every word must appear somewhere in the event's JSON, in any order.
  return matchesWords(d.search, wordsOf(f));
}

export type ServerFilters = Pick<NonNullable<operations['listInboxMessages']['parameters']['query']>, 'channel' | 'kind' | 'direction' | 'q'>;

/** The filters GET /inbox/messages applies itself; the outcome is the console's own (refusals live in memory). */
export function serverFilters(f: Filters): ServerFilters {
  const words = wordsOf(f);
  return {
    ...(f.channel && { channel: f.channel }),
    ...(f.kind && { kind: f.kind }),
    ...(f.direction && { direction: f.direction }),
    ...(words.length && { q: words.join(' ') }),
  };
}

/** Two filter sets ask the server the same question. */
export function sameServerFilters(a: Filters, b: Filters): boolean {
  return JSON.stringify(serverFilters(a)) === JSON.stringify(serverFilters(b));
}
