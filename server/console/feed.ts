// The live feed connection: GET /inbox/events through the project's typed client, read as SSE, with
// reconnection (exponential backoff) and de-duplication of what a reconnect's backlog replays.
import type { InboxFeedItem, PushClient } from 'instagram-push-kit';
import { readSse, type SseMessage } from './sse.js';

export type FeedState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inMs: number; reason: string }
  | { kind: 'unauthorized'; hadToken: boolean };

export interface FeedOptions {
  client: PushClient;
  token: () => string | null;
  onItems: (items: InboxFeedItem[]) => void;
  onState: (state: FeedState) => void;
  /**
   * The backlog has been replayed: the inbox ids of the accepted items it held (those shown before
   * included), and whether any of them had been shown before, so that after a reconnect the console
   * can tell a backlog that joins what it holds from one with a gap before it.
   */
  /** `truncated`: the server's byte budget cut the backlog short of `backlog` events (older ones remain). */
  onReady?: (backlog: { ids: string[]; overlapped: boolean; truncated: boolean }) => void;
  /** Past items replayed on each (re)connection; the de-duplication hides the ones already shown. */
  backlog?: number;
  /** Base of the backoff; waits double up to `maxDelayMs`. */
  delayMs?: number;
  maxDelayMs?: number;
}

/** How many ids are remembered for de-duplication; far above any backlog the server replays. */
const SEEN_LIMIT = 5000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

const keyOf = (item: InboxFeedItem) => (item.type === 'accepted' ? `a${item.item.id}` : `r${item.refusal.id}`);

export interface Feed {
  /** (Re)starts the connection, e.g. once a token was typed in, or to go back to the newest deliveries. */
  start(): void;
  stop(): void;
}

export function createFeed(options: FeedOptions): Feed {
  const { client, backlog = 200, delayMs = 500, maxDelayMs = 15_000 } = options;
  const seen = new Set<string>();
  let controller: AbortController | null = null;

  /** `connection.backlog`: the accepted ids of this connection's backlog so far; null once it ended. */
  function accept(messages: SseMessage[], connection: { backlog: string[] | null; overlapped: boolean }, onReady: () => void): void {
    const fresh: InboxFeedItem[] = [];
    for (const m of messages) {
      if (m.event === 'ready') {
        // Items before it are handed over first, so the console holds the backlog when told.
        if (fresh.length) options.onItems(fresh.splice(0));
        const ids = connection.backlog ?? [];
        connection.backlog = null;
        onReady();
        options.onReady?.({ ids, overlapped: connection.overlapped, truncated: m.data.includes('"truncated":true') });
      }
      if (m.event !== 'accepted' && m.event !== 'refused') continue;
      let item: InboxFeedItem;
      try {
        item = JSON.parse(m.data) as InboxFeedItem;
      } catch {
        continue; // the server writes one JSON per message; a broken one is skipped, not fatal
      }
      const key = m.id ?? keyOf(item);
      if (connection.backlog && item.type === 'accepted') {
        connection.backlog.push(item.item.id);
        if (seen.has(key)) connection.overlapped = true;
      }
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
      fresh.push(item);
    }
    if (fresh.length) options.onItems(fresh);
  }

  async function run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    options.onState({ kind: 'connecting' });
    while (!signal.aborted) {
      let reason: string;
      try {
        const token = options.token();
        const { data, response } = await client.raw.GET('/inbox/events', {
          params: { query: { backlog } },
          headers: token ? { authorization: `Bearer ${token}` } : {},
          parseAs: 'stream',
          signal,
        });
        if (response.status === 401) {
          // Retrying cannot help: wait for the person to give a (new) token, then start() again.
          options.onState({ kind: 'unauthorized', hadToken: Boolean(token) });
          return;
        }
        if (!response.ok || !data) throw new Error(`the feed answered ${response.status}`);
        const connection = { backlog: [] as string[] | null, overlapped: false };
        await readSse(data, (messages) =>
          accept(messages, connection, () => {
            failures = 0;
            options.onState({ kind: 'live' });
          }),
        );
        reason = 'the stream ended';
      } catch (err) {
        if (signal.aborted) return;
        reason = (err as Error)?.message || String(err);
      }
      if (signal.aborted) return;
      // Full jitter, so many open consoles do not all come back at the same instant after a restart.
      const wait = Math.round(Math.min(maxDelayMs, delayMs * 2 ** failures) * (0.5 + Math.random() / 2));
      failures++;
      options.onState({ kind: 'reconnecting', inMs: wait, reason });
      await sleep(wait, signal);
    }
  }

  return {
    start() {
      controller?.abort();
      controller = new AbortController();
      // A fresh start shows the backlog again (the console dedupes what it still holds).
      seen.clear();
      void run(controller.signal);
    },
    stop() {
      controller?.abort();
      controller = null;
    },
  };
}
