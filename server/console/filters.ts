// The timeline's filters and their place in the URL query string, so a reload or a shared link keeps
// the view. The token never goes here: it lives in the fragment and then in sessionStorage only.
import type { Described } from './describe.js';

export interface Filters {
  channel: string;
  kind: string;
  status: '' | 'accepted' | 'refused';
  q: string;
}

export const NO_FILTERS: Filters = { channel: '', kind: '', status: '', q: '' };

export function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const status = p.get('status');
  return {
    channel: p.get('channel') ?? '',
    kind: p.get('kind') ?? '',
    status: status === 'accepted' || status === 'refused' ? status : '',
    q: p.get('q') ?? '',
  };
}

/** `?status=refused&q=hello`, or '' when nothing is filtered; fixed key order keeps URLs stable. */
export function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  for (const key of ['channel', 'kind', 'status', 'q'] as const) if (f[key]) p.set(key, f[key]);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function matches(d: Described, f: Filters): boolean {
  if (f.status && d.status !== f.status) return false;
  if (f.channel && d.channel !== f.channel) return false;
  if (f.kind && d.kind !== f.kind) return false;
  // Every word must appear somewhere in the item's JSON, in any order.
  const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => d.search.includes(w));
}
