// Everything the console has seen, newest first, capped so a console left open for days stays light.
import { describe, newerFirst, type Described } from './describe.js';
import type { InboxFeedItem } from 'instagram-push-kit';

export type Entry = Described & { seq: number };

export class Store {
  readonly entries: Entry[] = [];
  readonly channels = new Set<string>();
  readonly kinds = new Set<string>();
  private seq = 0;

  constructor(readonly cap = 1000) {}

  /** Adds items in feed order; returns the entries added and those dropped by the cap. */
  add(items: InboxFeedItem[]): { added: Entry[]; dropped: Entry[] } {
    const added: Entry[] = [];
    for (const item of items) {
      const entry: Entry = { ...describe(item), seq: this.seq++ };
      if (entry.channel !== null) this.channels.add(entry.channel);
      this.kinds.add(entry.kind);
      // Usually the newest, so the search from the front ends at once.
      let i = 0;
      while (i < this.entries.length && newerFirst(entry, this.entries[i]!) > 0) i++;
      this.entries.splice(i, 0, entry);
      added.push(entry);
    }
    const dropped = this.entries.length > this.cap ? this.entries.splice(this.cap) : [];
    return { added: added.filter((e) => !dropped.includes(e)), dropped };
  }

  get(key: string): Entry | undefined {
    return this.entries.find((e) => e.key === key);
  }
}
