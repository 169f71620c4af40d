// The main thread's side of the SQLite reader threads (sqlite-reader-thread.ts): reads off the push
// path. A small pool of threads, each with its own read connection; a request goes to the thread with
// the fewest requests in flight, so a page or a feed poll does not queue behind a long search while
// another thread is free.
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import { StoreUnavailableError, type ListQuery } from './inbox.js';
import type { RowPage } from './sqlite-reads.js';

/** What a thread needs to open its connection. */
export interface ReaderData {
  file: string;
  busyTimeoutMs: number;
  /** The thread's CPU niceness (19, the lowest priority, by default). */
  niceness: number;
}

export type ReaderRequest =
  | { id: number; type: 'list'; query: ListQuery; maxBytes: number }
  | { id: number; type: 'tail'; limit: number; maxBytes: number }
  | { id: number; type: 'close' };

export type ReaderReply = { id: number; page: RowPage } | { id: number } | { id: number; error: string };

type RequestBody = ReaderRequest extends infer R ? (R extends ReaderRequest ? Omit<R, 'id'> : never) : never;

interface Slot {
  thread: Worker | undefined;
  requests: Map<number, { resolve: (r: ReaderReply) => void; reject: (e: unknown) => void }>;
}

/** Starts the thread (start-worker.ts: the built JavaScript, or the source through tsx in the tests). */
const startThread = (data: ReaderData): Worker => startWorker(new URL('./sqlite-reader-thread', import.meta.url), data);

export class SqliteReader {
  private readonly slots: Slot[];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly data: ReaderData,
    threads: number,
  ) {
    this.slots = Array.from({ length: Math.max(1, threads) }, () => ({ thread: undefined, requests: new Map() }));
    // Started on the first read, not now: a server that is never read starts no reader thread, and a
    // start does not compete with the writer thread's and the validators' compilation.
  }

  async list(query: ListQuery, maxBytes: number): Promise<RowPage> {
    return ((await this.request({ type: 'list', query, maxBytes })) as { page: RowPage }).page;
  }

  async tail(limit: number, maxBytes: number): Promise<RowPage> {
    return ((await this.request({ type: 'tail', limit, maxBytes })) as { page: RowPage }).page;
  }

  /** Ends every thread after it answered what it was asked. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const thread = slot.thread;
        if (!thread) return;
        await this.send(slot, thread, { type: 'close' }).catch(() => {});
        slot.thread = undefined;
        await thread.terminate();
      }),
    );
  }

  private request(body: RequestBody): Promise<ReaderReply> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the inbox is closed'));
    const slot = this.slots.reduce((a, b) => (b.requests.size < a.requests.size ? b : a));
    const thread = (slot.thread ??= this.start(slot));
    return this.send(slot, thread, body).catch((err: unknown) => {
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError('the inbox could not be read', { cause: err });
    });
  }

  private send(slot: Slot, thread: Worker, body: RequestBody): Promise<ReaderReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.requests.set(id, { resolve, reject });
      thread.ref();
      thread.postMessage({ ...body, id });
    });
  }

  /** A slot's thread, started on its first request and again after it died. */
  private start(slot: Slot): Worker {
    const thread = startThread(this.data);
    thread.on('message', (reply: ReaderReply) => {
      const request = slot.requests.get(reply.id);
      if (!request) return;
      slot.requests.delete(reply.id);
      if ('error' in reply) request.reject(new Error(reply.error));
      else request.resolve(reply);
      // Idle, the thread must not keep the process alive.
      if (slot.requests.size === 0) thread.unref();
    });
    // A thread that died fails what it was asked: those reads answer 500, and the next read starts a new one.
    const fail = (cause: unknown) => {
      if (slot.thread !== thread) return;
      slot.thread = undefined;
      const pending = [...slot.requests.values()];
      slot.requests.clear();
      for (const r of pending) r.reject(new StoreUnavailableError('the inbox reader stopped', { cause }));
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the reader thread exited with code ${code}`)));
    return thread;
  }
}
