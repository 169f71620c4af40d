// A bounded, in-memory record of refused requests for the inbox console. Refusals were never
// acknowledged, so they do not belong in the inbox; secrets and signatures are never kept. Each refusal
// is kept as its JSON text, serialised once: the live feed sends that text to every open stream, and the
// bounds are on what is sent (a control character takes six bytes once escaped, not one).
import type { Refusal } from 'instagram-push-kit';

export type { Refusal };

export const DEFAULT_REFUSAL_CAPACITY = 500;
export const DEFAULT_MAX_REFUSAL_BODY_BYTES = 64 * 1024;
export const DEFAULT_MAX_REFUSAL_LOG_BYTES = 8 * 1024 * 1024;

export interface RefusalLogOptions {
  /** How many refusals are kept, the newest. */
  capacity?: number;
  /** Largest body kept, in UTF-8 bytes of its JSON-escaped form (without the quotes); longer ones are cut. */
  maxBodyBytes?: number;
  /** Largest total of the refusals kept, in UTF-8 bytes of their JSON text; the oldest go first. */
  maxTotalBytes?: number;
}

export type RefusalInput = Omit<Refusal, 'id' | 'body' | 'bodyTruncated'> & { body: Buffer | null };

/** One refusal as kept: `json` is `JSON.stringify(refusal)`, `bytes` its UTF-8 length. */
export interface LoggedRefusal {
  readonly id: number;
  readonly at: string;
  readonly json: string;
  readonly bytes: number;
}

/** UTF-8 bytes JSON.stringify writes for one UTF-16 code unit outside a surrogate pair. */
function escapedBytes(code: number): number {
  if (code < 0x20) return code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  // A lone surrogate is written as \udxxx.
  if (code >= 0xd800 && code <= 0xdfff) return 6;
  return 3;
}

/** The longest prefix of `text` whose JSON-escaped form (quotes aside) takes at most `max` UTF-8 bytes. */
export function cutEscaped(text: string, max: number): { text: string; cut: boolean } {
  let size = 0;
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const cost = pair ? 4 : escapedBytes(code);
    if (size + cost > max) return { text: text.slice(0, i), cut: true };
    size += cost;
    i += pair ? 2 : 1;
  }
  return { text, cut: false };
}

/**
 * The body as UTF-8 text, cut to `max` bytes once escaped. Only the first `max + 4` bytes are decoded:
 * every character takes at least as many bytes escaped as it took raw (an invalid byte becomes U+FFFD,
 * three), so the cut ends inside them, and the extra 4 keep a sequence split at the edge from changing it.
 */
function keptBody(body: Buffer, max: number): { text: string; cut: boolean } {
  const decoded = cutEscaped(body.subarray(0, max + 4).toString('utf8'), max);
  return { text: decoded.text, cut: decoded.cut || body.length > max + 4 };
}

export class RefusalLog {
  private readonly entries: LoggedRefusal[] = [];
  private totalBytes = 0;
  private nextId = 1;
  private readonly listeners = new Set<(r: LoggedRefusal) => void>();
  private readonly capacity: number;
  private readonly maxBodyBytes: number;
  private readonly maxTotalBytes: number;

  constructor(options: RefusalLogOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_REFUSAL_CAPACITY;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_REFUSAL_BODY_BYTES;
    this.maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_REFUSAL_LOG_BYTES;
  }

  add(input: RefusalInput): Refusal {
    const body = input.body ? keptBody(input.body, this.maxBodyBytes) : null;
    const refusal: Refusal = { ...input, id: this.nextId++, body: body ? body.text : null, bodyTruncated: body?.cut ?? false };
    const json = JSON.stringify(refusal);
    const entry: LoggedRefusal = { id: refusal.id, at: refusal.at, json, bytes: Buffer.byteLength(json) };
    this.entries.push(entry);
    this.totalBytes += entry.bytes;
    let drop = Math.max(0, this.entries.length - this.capacity);
    let total = this.totalBytes;
    for (let i = 0; i < drop; i++) total -= this.entries[i]!.bytes;
    while (total > this.maxTotalBytes && drop < this.entries.length) total -= this.entries[drop++]!.bytes;
    if (drop) this.entries.splice(0, drop);
    this.totalBytes = total;
    // Readers that are open now are told even when the log could not keep it.
    for (const listener of this.listeners) listener(entry);
    return refusal;
  }

  /** Newest last; only those with an id above `afterId`. */
  since(afterId = 0): Refusal[] {
    return this.entries.filter((r) => r.id > afterId).map((r) => JSON.parse(r.json) as Refusal);
  }

  /** The newest `count` as kept, oldest first; none for 0. */
  latest(count: number): LoggedRefusal[] {
    return count > 0 ? this.entries.slice(-count) : [];
  }

  get size(): number {
    return this.entries.length;
  }

  /** UTF-8 bytes of the JSON text of the refusals kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  subscribe(listener: (r: LoggedRefusal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
