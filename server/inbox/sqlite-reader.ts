// The main thread's side of the SQLite reader threads (sqlite-reader-thread.ts): reads off the push
// path. A small pool of threads, each with its own read connection; a request goes to the thread with
// the fewest requests in flight, so a page or a feed poll does not queue behind a long search while
// another thread is free.
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import { StoreUnavailableError, type ListQuery } from './inbox.js';
import type { RowPage } from './sqlite-reads.js';
import { WorkerClient, type Body, type ThreadFailure } from './worker-client.js';

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

export type ReaderReply = { id: number; page: RowPage } | { id: number } | ThreadFailure;

/** Starts the thread (start-worker.ts: the built JavaScript, or the source through tsx in the tests). */
const startThread = (data: ReaderData): Worker => startWorker(new URL('./sqlite-reader-thread', import.meta.url), data);

export class SqliteReader {
  private readonly slots: WorkerClient<ReaderRequest, ReaderReply>[];
  private closed = false;

  constructor(
    private readonly data: ReaderData,
    threads: number,
  ) {
    // A thread that died fails what it was asked: those reads answer 500, and the next read starts a new one.
    const words = { stopped: 'the inbox reader stopped', exited: 'the reader thread exited', closed: 'the inbox is closed' };
    this.slots = Array.from({ length: Math.max(1, threads) }, () => new WorkerClient<ReaderRequest, ReaderReply>(() => startThread(this.data), { words }));
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
    await Promise.all(this.slots.map((slot) => slot.close({ type: 'close' })));
  }

  /** To the thread with the fewest requests in flight. */
  private request(body: Body<ReaderRequest>): Promise<ReaderReply> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the inbox is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending < a.pending ? b : a));
    return slot.request(body).catch((err: unknown) => {
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError('the inbox could not be read', { cause: err });
    });
  }
}
