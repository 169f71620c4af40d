// Reads a server-sent event stream in a test: collects messages and waits for one that matches. Parsing
// is the console's own SSE parser (server/console/sse.ts), which has its own chunk-splitting tests.
import { readSse, type SseMessage } from '../../server/console/sse.js';

export type { SseMessage };

export interface SseReader {
  messages: SseMessage[];
  /** Resolves with the first message (seen or to come) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; reader: SseReader; body: string }> {
  const abort = new AbortController();
  const r = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  if (!r.ok || !r.body) return { status: r.status, contentType: r.headers.get('content-type'), body: await r.text(), reader: { messages, waitFor: () => Promise.reject(new Error('no stream')), close: () => abort.abort() } };
  readSse(r.body, (batch) => {
    messages.push(...batch);
    for (const w of waiters) w();
  }).catch(() => undefined); // aborted by close()
  const reader: SseReader = {
    messages,
    waitFor(match, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(messages.map((m) => m.event))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => abort.abort(),
  };
  return { status: r.status, contentType: r.headers.get('content-type'), reader, body: '' };
}
