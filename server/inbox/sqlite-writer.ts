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
import { WorkerClient, WorkerError, type ThreadFailure } from './worker-client.js';

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
  | ThreadFailure;

interface Pending {
  rows: EventRow[];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** Starts the thread (start-worker.ts: the built JavaScript, or the source through tsx in the tests). */
const startThread = (data: WriterData): Worker => startWorker(new URL('./sqlite-writer-thread', import.meta.url), data);

export class SqliteWriter {
  private readonly client: WorkerClient<WriterRequest, WriterReply>;
  /** One batch in flight: SQLite has one writer, and deliveries arriving meanwhile make the next batch. */
  private readonly batches: TurnBatch<Pending>;

  constructor(
    private readonly data: WriterData,
    observer?: BatchObserver,
  ) {
    this.batches = new TurnBatch<Pending>((batch) => this.commit(batch), 1, observer);
    // A thread that died fails whatever it was asked and never answered: those pushes answer 500 and
    // their senders retry (a commit that did happen makes the retry a duplicate, stored once).
    this.client = new WorkerClient(() => startThread(this.data), {
      words: { stopped: 'the inbox writer stopped', exited: 'the writer thread exited', closed: 'the inbox writer is closed' },
    });
    // Started now, so it boots on the other core while the server compiles its validators, not when the
    // first push is waiting; unref'd until it has work, so an idle store never keeps a process alive.
    this.client.warm();
  }

  /** Queues one delivery's rows; resolves once they are committed, rejects with StoreUnavailableError. */
  append(rows: EventRow[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => this.batches.add({ rows, resolve, reject }));
  }

  /** Deletes through the writer, so pruning never blocks the loop nor contends for the write lock. */
  async prune(before: Date, max: number): Promise<number> {
    const reply = await this.client.request({ type: 'prune', before: before.toISOString(), max });
    return (reply as { pruned: number }).pruned;
  }

  /** Inserts the row and deletes it again in one committed transaction (sqlite-commit.ts, probeCommit). */
  async probe(row: EventRow): Promise<void> {
    await this.client.request({ type: 'probe', row });
  }

  /** Commits (and answers) what is queued, then closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    await this.batches.drain();
    await this.client.close({ type: 'close' });
  }

  /** Sends one batch to the thread; settles each delivery by its own outcome once COMMIT returned. */
  private commit(batch: Pending[]): Promise<void> {
    return this.client.request({ type: 'append', deliveries: batch.map((p) => p.rows) }).then(
      (reply) => {
        const outcomes = (reply as { outcomes: DeliveryOutcome[] }).outcomes;
        batch.forEach((p, i) => {
          const outcome = outcomes[i]!;
          if ('error' in outcome) p.reject(new StoreUnavailableError('the delivery could not be written', { cause: new WorkerError(outcome) }));
          else p.resolve(outcome);
        });
      },
      (err) => {
        const error = err instanceof StoreUnavailableError ? err : new StoreUnavailableError('the inbox could not commit', { cause: err });
        for (const p of batch) p.reject(error);
      },
    );
  }
}
