// GET /inbox/events: the live feed the inbox console reads, as server-sent events. Accepted events come
// from the inbox (polled by cursor, so instances sharing one PostgreSQL inbox all see every event);
// refusals come from this process's refusal log as they happen.
import type { Request, Response } from 'express';
import type { InboxFeedItem } from 'instagram-push-kit';
import type { Inbox } from '../inbox/inbox.js';
import type { Refusal, RefusalLog } from '../refusal-log.js';

export interface FeedDeps {
  inbox: Inbox;
  refusals: RefusalLog;
  /** How often the inbox is asked for new events; the console promises "within a second". */
  pollMs?: number;
  /** Comment lines keep idle proxies from closing the stream. */
  keepAliveMs?: number;
  /** Open streams, so shutdown can end them (they never finish on their own). */
  streams: Set<Response>;
}

const DEFAULT_BACKLOG = 200;
const POLL_PAGE = 500;

/** One server-sent event; JSON never contains a raw newline, so one data line suffices. */
function frame(item: InboxFeedItem): string {
  const id = item.type === 'accepted' ? `a${item.item.id}` : `r${item.refusal.id}`;
  return `event: ${item.type}\nid: ${id}\ndata: ${JSON.stringify(item)}\n\n`;
}

const refused = (refusal: Refusal): InboxFeedItem => ({ type: 'refused', refusal });
const timeOf = (item: InboxFeedItem) => (item.type === 'accepted' ? item.item.receivedAt : item.refusal.at);

export function inboxFeed({ inbox, refusals, pollMs = 250, keepAliveMs = 15_000, streams }: FeedDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const backlog = req.query.backlog === undefined ? DEFAULT_BACKLOG : Number(req.query.backlog);
    // Refusals that happen while the backlog is read are held back, then sent after it, in order.
    let held: Refusal[] | null = [];
    // Shutdown may end the response while a poll is in flight; never write after that.
    const send = (text: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    const unsubscribe = refusals.subscribe((r) => (held ? held.push(r) : send(frame(refused(r)))));
    let timer: NodeJS.Timeout | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      clearInterval(keepAlive);
      streams.delete(res);
    };
    // 'close' fires when the reader goes away or the stream is ended; either way, stop.
    res.on('close', stop);

    let page;
    try {
      page = await inbox.tail(backlog);
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
    const past: InboxFeedItem[] = [
      ...page.items.map((item): InboxFeedItem => ({ type: 'accepted', item })),
      ...refusals.since(0).slice(-backlog).map(refused),
    ].sort((a, b) => timeOf(a).localeCompare(timeOf(b)));
    send(past.map(frame).join(''));
    send('event: ready\ndata: {}\n\n');
    const lastBacklogRefusal = past.reduce((n, i) => (i.type === 'refused' ? Math.max(n, i.refusal.id) : n), 0);
    for (const r of held) if (r.id > lastBacklogRefusal) send(frame(refused(r)));
    held = null;

    let cursor = page.nextCursor;
    const poll = async () => {
      try {
        for (;;) {
          const next = await inbox.list({ cursor, limit: POLL_PAGE });
          if (res.writableEnded || res.destroyed) return;
          cursor = next.nextCursor;
          if (next.items.length) send(next.items.map((item) => frame({ type: 'accepted', item })).join(''));
          if (next.items.length < POLL_PAGE) break;
        }
      } catch {
        // The store is down for a moment (readyz reports it); the next poll tries again.
      }
      if (!res.writableEnded && !res.destroyed) timer = setTimeout(poll, pollMs);
    };
    timer = setTimeout(poll, pollMs);
    keepAlive = setInterval(() => send(': keep-alive\n\n'), keepAliveMs);
  };
}
