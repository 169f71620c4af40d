// What the console holds, newest first, capped so that a console left open for days, or walked back
// through a whole inbox, stays light: past the cap, live items push out the oldest, and older pages push
// out the newest (the view then no longer reaches the live edge: see main.ts).
import { describe, newerFirst, type Described } from './describe.js';
import type { InboxFeedItem } from 'instagram-push-kit';

/** Where an entry came from: the live feed (its backlog included), or an older page of GET /inbox/messages. */
export type Source = 'feed' | 'history';

export type Entry = Described & { seq: number; source: Source };

/** Compares inbox ids (decimal strings, up to 19 digits on PostgreSQL: beyond a double's exact range). */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The id after `id`, as a decimal string. */
export function nextId(id: string): string {
  return (BigInt(id) + 1n).toString();
}

export class Store {
  readonly entries: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private seq = 0;

  constructor(readonly cap = 1000) {}

  /**
   * Adds items not held yet, in order. Past the cap it drops from the far end: the oldest when the
   * items are new (`from: 'newer'`), the newest when they are older pages (`from: 'older'`).
   */
  add(items: InboxFeedItem[], source: Source, from: 'newer' | 'older' = 'newer'): { added: Entry[]; dropped: Entry[] } {
    const added: Entry[] = [];
    for (const item of items) {
      if (this.byKey.has(keyOf(item))) continue;
      const entry: Entry = { ...describe(item), seq: this.seq++, source };
      this.byKey.set(entry.key, entry);
      // New items are usually the newest and older pages the oldest: search from that end.
      let i: number;
      if (from === 'newer') {
        i = 0;
        while (i < this.entries.length && newerFirst(entry, this.entries[i]!) > 0) i++;
      } else {
        i = this.entries.length;
        while (i > 0 && newerFirst(entry, this.entries[i - 1]!) < 0) i--;
      }
      this.entries.splice(i, 0, entry);
      added.push(entry);
    }
    const over = this.entries.length - this.cap;
    const dropped = over <= 0 ? [] : from === 'newer' ? this.entries.splice(this.cap) : this.entries.splice(0, over);
    for (const e of dropped) this.byKey.delete(e.key);
    const gone = new Set(dropped);
    return { added: added.filter((e) => !gone.has(e)), dropped };
  }

  /** Removes the entries `drop` picks; returns them. */
  remove(drop: (e: Entry) => boolean): Entry[] {
    const removed: Entry[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (!drop(e)) continue;
      this.entries.splice(i, 1);
      this.byKey.delete(e.key);
      removed.push(e);
    }
    return removed;
  }

  clear(): Entry[] {
    return this.remove(() => true);
  }

  get(key: string): Entry | undefined {
    return this.byKey.get(key);
  }

  /** The channels and kinds of the entries held, for the filter menus. */
  values(field: 'channel' | 'kind'): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries) if (e[field] !== null) out.add(e[field]);
    return out;
  }
}

/** An item's key, as `describe` makes it: the feed's own SSE id. */
export function keyOf(item: InboxFeedItem): string {
  return item.type === 'accepted' ? `a${item.item.id}` : `r${item.refusal.id}`;
}

/** The inbox id of an accepted entry; null for a refusal. */
export function inboxId(e: Described): string | null {
  return e.item.type === 'accepted' ? e.item.item.id : null;
}
