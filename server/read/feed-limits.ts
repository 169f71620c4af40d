// The live feed's bounds, so that readers cannot exhaust the server: how many streams are open at once,
// and how much may wait unsent for one reader before its stream is ended (the spec's numbers).
import type { Response } from 'express';
import { ApiError } from '../contract/errors.js';

export const DEFAULT_MAX_STREAMS = 100;
export const DEFAULT_MAX_UNSENT_BYTES = 1024 * 1024;
/** A stream lasts as long as its reader stays, so a slot frees up slowly: not worth retrying at once. */
export const DEFAULT_STREAMS_RETRY_AFTER_S = 10;

export function tooManyStreams(retryAfterS: number): ApiError {
  return new ApiError(503, 'too_many_streams', 'Too many live feed streams are open on this server. Retry later.', [], {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterS))),
  });
}

/** Counts the streams open (or opening) against `max`. */
export class StreamSlots {
  private open = 0;

  constructor(private readonly max: number) {}

  /** Takes a slot; false when none is free. */
  take(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  release(): void {
    this.open--;
  }

  get size(): number {
    return this.open;
  }
}

/** Resolves once the response has drained its buffer, or closed. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes one stream, honouring its reader's pace. What the feed reads for itself (the backlog, pages of
 * the inbox) is paced: the next write waits for the socket to drain, so a slow reader slows only its own
 * reads. What happens whether or not this reader keeps up (refusals, keep-alives) is written at once, and
 * the stream is ended (destroyed) once more than `maxUnsentBytes` waits unsent: the reader reconnects.
 */
export class FeedWriter {
  constructor(
    private readonly res: Response,
    private readonly maxUnsentBytes: number,
    private readonly onOverflow: (unsentBytes: number) => void,
  ) {}

  get open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  /** True while `extra` more bytes, on top of those unsent, stay within the bound. */
  fits(extra = 0): boolean {
    return this.res.writableLength + extra <= this.maxUnsentBytes;
  }

  /** Ends the stream because its reader fell behind. */
  overflow(extra = 0): void {
    if (!this.open) return;
    this.onOverflow(this.res.writableLength + extra);
    this.res.destroy();
  }

  push(text: string): void {
    if (!this.open) return;
    this.res.write(text);
    if (!this.fits()) this.overflow();
  }

  /** Resolves once nothing written waits beyond the socket's own buffer (or the stream ended). */
  async idle(): Promise<void> {
    if (this.open && this.res.writableNeedDrain) await drained(this.res);
  }

  async pace(texts: Iterable<string>): Promise<void> {
    for (const text of texts) {
      if (!this.open) return;
      if (!this.res.write(text)) await drained(this.res);
    }
  }
}
