// The main thread's side of one store thread (the SQLite writer, a reader, the relay's outbox): each
// request gets an id, its reply is routed back by it, and a thread that dies fails whatever it was asked.
// Written once so the three store threads keep the same guarantees (no lost promise, no thread keeping an
// idle process alive, the store's error code crossing the thread).
import type { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from './inbox.js';

/** What a thread answers when a request failed: the error's message and, when it had one, its code. */
export interface ThreadFailure {
  id: number;
  error: string;
  code?: string;
}

/** An error a store thread reported, as an Error again with its code (SQLITE_FULL…): storeErrorCode reads it. */
export class WorkerError extends Error {
  readonly code?: string;

  constructor(failure: Pick<ThreadFailure, 'error' | 'code'>) {
    super(failure.error);
    this.name = 'WorkerError';
    if (failure.code !== undefined) this.code = failure.code;
  }
}

/** The reply to failure (in words, for users and logs) a thread's request can meet. */
export interface WorkerClientWords {
  /** The thread died with requests pending: `the inbox writer stopped`. */
  stopped: string;
  /** Its cause, completed with ` with code N`: `the writer thread exited`. */
  exited: string;
  /** A request after close(): `the relay outbox is closed`. */
  closed: string;
}

export interface WorkerClientOptions {
  words: WorkerClientWords;
  /** Requests in flight at most; one more is refused (StoreUnavailableError) rather than queued without end. */
  maxPending?: number;
}

/** Far above what the store's callers put in flight (one batch, a bounded pool of reads, one relay pass). */
export const DEFAULT_MAX_PENDING = 10_000;

/** Each request's body without its id (the client numbers them); a union stays a union. */
export type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

interface Waiting<Reply> {
  resolve: (reply: Reply) => void;
  reject: (e: unknown) => void;
}

/**
 * Requests to one thread, started by `start` when first needed and again, on the next request, after it
 * died. `Request` and `Reply` are the thread's message unions, each with its `id`.
 */
export class WorkerClient<Request extends { id: number }, Reply extends { id: number }> {
  private thread: Worker | undefined;
  private readonly waiting = new Map<number, Waiting<Exclude<Reply, ThreadFailure>>>();
  private nextId = 0;
  private closed = false;
  private readonly maxPending: number;

  constructor(
    private readonly start: () => Worker,
    private readonly options: WorkerClientOptions,
  ) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Starts the thread now, unref'd: it boots on another core while the server starts, and an idle store
   * never keeps a process alive.
   */
  warm(): void {
    if (this.closed || this.thread) return;
    this.thread = this.launch();
    this.thread.unref();
  }

  /** Sends one request; resolves with its reply, rejects with the thread's error (WorkerError) or StoreUnavailableError. */
  request(body: Body<Request>): Promise<Exclude<Reply, ThreadFailure>> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(this.options.words.closed));
    if (this.waiting.size >= this.maxPending) {
      return Promise.reject(new StoreUnavailableError(`${this.options.words.stopped}: ${this.waiting.size} requests already wait for it`));
    }
    const thread = (this.thread ??= this.launch());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // Busy, the thread must keep the process alive (an awaited write would be cut).
      thread.ref();
      thread.postMessage({ ...body, id });
    });
  }

  /**
   * Sends `last` (the thread's own close: it answers what it was asked before, in order), then ends the
   * thread; requests after it reject. A thread that is not running is simply not started again.
   */
  async close(last: Body<Request>): Promise<void> {
    if (this.closed) return;
    const thread = this.thread;
    if (thread) await this.request(last).catch(() => {});
    this.closed = true;
    this.thread = undefined;
    await thread?.terminate();
    // The store threads answer in order, so nothing is left; a reply still owed now never comes.
    const unanswered = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of unanswered) w.reject(new StoreUnavailableError(this.options.words.closed));
  }

  private launch(): Worker {
    const thread = this.start();
    thread.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) waiting.reject(new WorkerError(reply as unknown as ThreadFailure));
      else waiting.resolve(reply as Exclude<Reply, ThreadFailure>);
      // Idle, the thread must not keep the process alive.
      if (this.waiting.size === 0) thread.unref();
    });
    // A thread that died fails whatever it was asked and never answered; the next request starts a new one.
    const fail = (cause: unknown) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      const pending = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of pending) w.reject(new StoreUnavailableError(this.options.words.stopped, { cause }));
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`${this.options.words.exited} with code ${code}`)));
    return thread;
  }
}
