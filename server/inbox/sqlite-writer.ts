// The main thread's side of the SQLite writer thread (sqlite-writer-thread.ts): group commit without
// blocking the event loop. Deliveries appended while no batch is in flight go to the thread together at
// the start of the next turn; deliveries appended while one is in flight go together as soon as it
// returns. Each delivery is settled by its own outcome, only after the thread's COMMIT returned.
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import { StoreUnavailableError, type AppendResult } from './inbox.js';
import type { DeliveryOutcome } from './sqlite-commit.js';
import type { EventRow } from './sqlite-schema.js';
import { TurnBatch, type BatchObserver } from './turn-batch.js';

/** What the thread needs to open its connection. */
export interface WriterData {
  file: string;
  busyTimeoutMs: number;
}

export type WriterRequest =
  | { id: number; type: 'append'; deliveries: EventRow[][] }
  | { id: number; type: 'prune'; before: string; max: number }
  | { id: number; type: 'probe'; row: EventRow }
  | { id: number; type: 'close' };

export type WriterReply =
  | { id: number; outcomes: DeliveryOutcome[] }
  | { id: number; pruned: number }
  | { id: number }
  | { id: number; error: string; code?: string };

type RequestBody = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  rows: EventRow[];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** An error the thread reported, as an Error again, with SQLite's code (storeErrorCode reads it). */
function threadError(reply: { error: string; code?: string }): Error {
  return Object.assign(new Error(reply.error), reply.code === undefined ? {} : { code: reply.code });
}

/** Starts the thread (start-worker.ts: the built JavaScript, or the source through tsx in the tests). */
const startThread = (data: WriterData): Worker => startWorker(new URL('./sqlite-writer-thread', import.meta.url), data);

export class SqliteWriter {
  private thread: Worker | undefined;
  private readonly requests = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: unknown) => void }>();
  private nextId = 0;
  /** One batch in flight: SQLite has one writer, and deliveries arriving meanwhile make the next batch. */
  private readonly batches: TurnBatch<Pending>;

  constructor(
    private readonly data: WriterData,
    observer?: BatchObserver,
  ) {
    this.batches = new TurnBatch<Pending>((batch) => this.commit(batch), 1, observer);
    // Started now, so it boots on the other core while the server compiles its validators, not when the
    // first push is waiting; unref'd until it has work, so an idle store never keeps a process alive.
    this.thread = this.start();
    this.thread.unref();
  }

  /** Queues one delivery's rows; resolves once they are committed, rejects with StoreUnavailableError. */
  append(rows: EventRow[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => this.batches.add({ rows, resolve, reject }));
  }

  /** Deletes through the writer, so pruning never blocks the loop nor contends for the write lock. */
  async prune(before: Date, max: number): Promise<number> {
    const reply = await this.request({ type: 'prune', before: before.toISOString(), max });
    return (reply as { pruned: number }).pruned;
  }

  /** Inserts the row and deletes it again in one committed transaction (sqlite-commit.ts, probeCommit). */
  async probe(row: EventRow): Promise<void> {
    await this.request({ type: 'probe', row });
  }

  /** Commits (and answers) what is queued, then closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    await this.batches.drain();
    const thread = this.thread;
    if (!thread) return;
    await this.request({ type: 'close' }).catch(() => {});
    this.thread = undefined;
    await thread.terminate();
  }

  /** Sends one batch to the thread; settles each delivery by its own outcome once COMMIT returned. */
  private commit(batch: Pending[]): Promise<void> {
    return this.request({ type: 'append', deliveries: batch.map((p) => p.rows) }).then(
      (reply) => {
        const outcomes = (reply as { outcomes: DeliveryOutcome[] }).outcomes;
        batch.forEach((p, i) => {
          const outcome = outcomes[i]!;
          if ('error' in outcome) p.reject(new StoreUnavailableError('the delivery could not be written', { cause: threadError(outcome) }));
          else p.resolve(outcome);
        });
      },
      (err) => {
        const error = err instanceof StoreUnavailableError ? err : new StoreUnavailableError('the inbox could not commit', { cause: err });
        for (const p of batch) p.reject(error);
      },
    );
  }

  private request(body: RequestBody): Promise<WriterReply> {
    const thread = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      thread.ref();
      thread.postMessage({ ...body, id });
    });
  }

  /** The thread, started with the store and again, on the next request, after it died. */
  private start(): Worker {
    const thread = startThread(this.data);
    thread.on('message', (reply: WriterReply) => {
      const request = this.requests.get(reply.id);
      if (!request) return;
      this.requests.delete(reply.id);
      if ('error' in reply) request.reject(threadError(reply));
      else request.resolve(reply);
      // Idle, the thread must not keep the process alive; busy, it must (an awaited append would be cut).
      if (this.requests.size === 0) thread.unref();
    });
    // A thread that died fails whatever it was asked and never answered: those pushes answer 500 and
    // their senders retry (a commit that did happen makes the retry a duplicate, stored once).
    const fail = (cause: unknown) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      const pending = [...this.requests.values()];
      this.requests.clear();
      for (const r of pending) r.reject(new StoreUnavailableError('the inbox writer stopped', { cause }));
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the writer thread exited with code ${code}`)));
    return thread;
  }
}
