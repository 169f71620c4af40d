// GET /inbox/events: the live feed the inbox console reads, as server-sent events. Accepted events come
// from the inbox (polled by cursor, so instances sharing one PostgreSQL inbox all see every event);
// refusals come from this process's refusal log as they happen. The bounds are in feed-limits.ts.
import type { Request, Response } from 'express';
import type { InboxItem } from 'instagram-push-kit';
import type { Logger } from 'pino';
import {
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_UNSENT_BYTES,
  DEFAULT_STREAMS_RETRY_AFTER_S,
  FeedWriter,
  StreamSlots,
  tooManyStreams,
} from '../read/feed-limits.js';
import { DEFAULT_PAGE_MAX_BYTES, type Inbox } from '../inbox/inbox.js';
import { createLogger } from '../run/logger.js';
import type { LoggedRefusal, RefusalLog } from '../read/refusal-log.js';

/** How often an idle stream gets a comment line, so proxies (and the server's idle timeout) keep it open. */
export const FEED_KEEP_ALIVE_MS = 15_000;

export interface FeedDeps {
  inbox: Inbox;
  refusals: RefusalLog;
  /** How often the inbox is asked for new events; the console promises "within a second". */
  pollMs?: number;
  /** Comment lines keep idle proxies from closing the stream. */
  keepAliveMs?: number;
  /** Open streams, so shutdown can end them (they never finish on their own). */
  streams: Set<Response>;
  /** Streams open at once; one more is answered 503 too_many_streams. */
  maxStreams?: number;
  /** Seconds the 503's Retry-After gives. */
  retryAfterS?: number;
  /** Bytes that may wait unsent for one reader before its stream is ended. */
  maxUnsentBytes?: number;
  /** The byte budget of the backlog and of each poll's page (the stored events' JSON text). */
  pageMaxBytes?: number;
  /**
   * False for a stored event that cannot be served within the contract: it is left out, and this
   * function logs it (servable.ts's `Servable.item` does both). The default serves every event.
   */
  serveItem?: (item: InboxItem) => boolean;
  logger?: Pick<Logger, 'warn'>;
}

const DEFAULT_BACKLOG = 200;
const POLL_PAGE = 500;

// JSON never contains a raw newline, so one data line suffices.
const acceptedFrame = (item: InboxItem) => `event: accepted\nid: a${item.id}\ndata: ${JSON.stringify({ type: 'accepted', item })}\n\n`;
// The refusal's JSON text is the log's, serialised once for every stream; this is JSON.stringify({ type, refusal }).
const refusedFrame = (r: LoggedRefusal) => `event: refused\nid: r${r.id}\ndata: {"type":"refused","refusal":${r.json}}\n\n`;

type Past = { at: string; frame: () => string };

export function inboxFeed({
  inbox,
  refusals,
  pollMs = 250,
  keepAliveMs = FEED_KEEP_ALIVE_MS,
  streams,
  maxStreams = DEFAULT_MAX_STREAMS,
  retryAfterS = DEFAULT_STREAMS_RETRY_AFTER_S,
  maxUnsentBytes = DEFAULT_MAX_UNSENT_BYTES,
  pageMaxBytes = DEFAULT_PAGE_MAX_BYTES,
  serveItem = () => true,
  logger = createLogger(),
}: FeedDeps) {
  const slots = new StreamSlots(maxStreams);
  return async (req: Request, res: Response): Promise<void> => {
    if (!slots.take()) throw tooManyStreams(retryAfterS);
    const backlog = req.query.backlog === undefined ? DEFAULT_BACKLOG : Number(req.query.backlog);
    const writer = new FeedWriter(res, maxUnsentBytes, (unsentBytes) =>
      logger.warn({ requestId: res.locals.requestId, unsentBytes }, 'live feed reader fell behind; stream ended'),
    );
    // Refusals that happen while the backlog is read and sent are held back, then sent after it, in
    // order; they wait unsent for this reader, so they count towards its bound.
    let held: LoggedRefusal[] | null = [];
    let heldBytes = 0;
    const unsubscribe = refusals.subscribe((r) => {
      if (!held) return writer.push(refusedFrame(r));
      held.push(r);
      heldBytes += r.bytes;
      if (!writer.fits(heldBytes)) writer.overflow(heldBytes);
    });
    let timer: NodeJS.Timeout | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      slots.release();
      unsubscribe();
      held = null;
      clearTimeout(timer);
      clearInterval(keepAlive);
      streams.delete(res);
    };
    // 'close' fires when the reader goes away or the stream is ended; either way, stop.
    res.on('close', stop);

    let page;
    try {
      page = await inbox.tail(backlog, pageMaxBytes);
    } catch (err) {
      stop();
      throw err;
    }
    if (stopped) return;
    streams.add(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    const pastRefusals = refusals.latest(backlog);
    const past: Past[] = [
      ...page.items.filter(serveItem).map((item): Past => ({ at: item.receivedAt, frame: () => acceptedFrame(item) })),
      ...pastRefusals.map((r): Past => ({ at: r.at, frame: () => refusedFrame(r) })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    await writer.pace(framesOf(past));
    // Ended meanwhile (by its reader, shutdown, or falling behind): 'close' stops the rest.
    if (!writer.open || !held) return;
    // A backlog cut short by its byte budget says so: the console then knows older events remain.
    writer.push(`event: ready\ndata: ${page.truncated ? '{"truncated":true}' : '{}'}\n\n`);
    const lastBacklogRefusal = pastRefusals.at(-1)?.id ?? 0;
    for (const r of held) if (r.id > lastBacklogRefusal) writer.push(refusedFrame(r));
    held = null;

    let cursor = page.nextCursor;
    const poll = async () => {
      try {
        for (;;) {
          // Nothing more is read for this reader while what was written waits unsent: a reader that
          // stops reading costs one page at most, not the inbox.
          await writer.idle();
          if (!writer.open) return;
          const next = await inbox.list({ cursor, limit: POLL_PAGE, maxBytes: pageMaxBytes });
          if (!writer.open) return;
          cursor = next.nextCursor;
          await writer.pace(next.items.filter(serveItem).map(acceptedFrame));
          if (next.items.length < POLL_PAGE && !next.truncated) break;
        }
      } catch {
        // The store is down for a moment (readyz reports it); the next poll tries again.
      }
      if (writer.open) timer = setTimeout(poll, pollMs);
    };
    timer = setTimeout(poll, pollMs);
    keepAlive = setInterval(() => writer.push(': keep-alive\n\n'), keepAliveMs);
  };
}

/** Frames one at a time, so a backlog is never held as one string per stream. */
function* framesOf(items: Past[]): Iterable<string> {
  for (const item of items) yield item.frame();
}
