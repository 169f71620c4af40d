// A bounded, in-memory record of refused requests for the inbox console. Refusals were never
// acknowledged, so they do not belong in the inbox; secrets and signatures are never kept.
import type { Refusal } from 'instagram-push-kit';

export type { Refusal };

export interface RefusalLogOptions {
  capacity: number;
  maxBodyBytes: number;
}

export type RefusalInput = Omit<Refusal, 'id' | 'body' | 'bodyTruncated'> & { body: Buffer | null };

export class RefusalLog {
  private readonly items: Refusal[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(r: Refusal) => void>();

  constructor(private readonly options: RefusalLogOptions = { capacity: 500, maxBodyBytes: 64 * 1024 }) {}

  add(input: RefusalInput): Refusal {
    const cut = input.body && input.body.length > this.options.maxBodyBytes;
    const refusal: Refusal = {
      ...input,
      id: this.nextId++,
      // Cutting may split a UTF-8 sequence; the decoder replaces the broken tail, which is fine for display.
      body: input.body ? input.body.subarray(0, this.options.maxBodyBytes).toString('utf8') : null,
      bodyTruncated: Boolean(cut),
    };
    this.items.push(refusal);
    if (this.items.length > this.options.capacity) this.items.splice(0, this.items.length - this.options.capacity);
    for (const listener of this.listeners) listener(refusal);
    return refusal;
  }

  /** Newest last; only those with an id above `afterId`. */
  since(afterId = 0): Refusal[] {
    return this.items.filter((r) => r.id > afterId);
  }

  get size(): number {
    return this.items.length;
  }

  subscribe(listener: (r: Refusal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
