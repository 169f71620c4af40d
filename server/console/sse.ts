// Server-sent events parsing, as the HTML standard describes it, for a stream read through fetch
// (EventSource cannot send an Authorization header, and the console must go through the typed client).

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

/** Feed it text as it arrives; it returns the messages completed by that text. */
export class SseParser {
  private buffer = '';
  private event = '';
  private id: string | null = null;
  private data: string[] = [];

  feed(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of CRLF: wait for the next chunk to decide.
      if (c === '\r' && i === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, i);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null; // a comment (the server's keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }

  private dispatch(): SseMessage | null {
    const message = this.data.length ? { event: this.event || 'message', id: this.id, data: this.data.join('\n') } : null;
    this.event = '';
    this.data = [];
    return message;
  }
}

/** Reads a byte stream to its end, handing over the messages of each chunk together. */
export async function readSse(stream: ReadableStream<Uint8Array>, onMessages: (messages: SseMessage[]) => void): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const messages = parser.feed(decoder.decode(value, { stream: true }));
      if (messages.length) onMessages(messages);
    }
  } finally {
    reader.releaseLock();
  }
}
