// Reads a server-sent event stream in a test: collects messages and waits for one that matches.
export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

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
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { event: 'message', data: '' };
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            fields++;
            if (field === 'event') message.event = value;
            else if (field === 'id') message.id = value;
            else if (field === 'data') message.data += value;
          }
          if (fields) messages.push(message);
          for (const w of waiters) w();
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
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
