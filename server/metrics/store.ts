// The store's side of the metrics: commit latency and batch size per batch (told by TurnBatch, which
// both stores use), appends waiting, and store errors by cause.
import { Gauge, Histogram, type Registry } from 'prom-client';
import { StoreUnavailableError } from '../inbox/inbox.js';
import type { BatchObserver } from '../inbox/turn-batch.js';
import { Tally } from './tally.js';

/**
 * Causes, from the store's own messages (inbox/*.ts): a fixed list, so a cause is never a label value
 * made from an error text. A message this list does not know is counted as `other`.
 */
const CAUSES: readonly [cause: string, messageStart: string][] = [
  ['closed', 'the inbox is closed'],
  ['write', 'the delivery could not be written'],
  ['commit', 'the inbox could not commit'],
  ['writer_stopped', 'the inbox writer stopped'],
  ['unreachable', 'the inbox database is unreachable'],
  ['database', 'the inbox database failed'],
];

export const STORE_ERROR_CAUSES = [...CAUSES.map(([c]) => c), 'other'];

export function storeErrorCause(err: StoreUnavailableError): string {
  return CAUSES.find(([, start]) => err.message.startsWith(start))?.[0] ?? 'other';
}

export class StoreMetrics implements BatchObserver {
  /** Deliveries handed to append() and not yet settled by their commit. */
  waiting = 0;
  readonly errors: Tally[] = STORE_ERROR_CAUSES.map((cause) => new Tally({ cause }));
  private readonly latency: Histogram<string>;
  private readonly batchSize: Histogram<string>;

  constructor(registry: Registry) {
    this.latency = new Histogram({
      name: 'ipk_store_commit_duration_seconds',
      help: 'Time from handing a batch of deliveries to the store until its commit settled (one transaction and fsync on SQLite).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'ipk_store_commit_batch_deliveries',
      help: 'Deliveries committed together in one batch (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
    const self = this;
    new Gauge({
      name: 'ipk_store_appends_waiting',
      help: 'Deliveries waiting for their commit: queued for the next batch or in the batch being written.',
      registers: [registry],
      collect() {
        this.set(self.waiting);
      },
    });
  }

  queued(): void {
    this.waiting++;
  }

  written(size: number, seconds: number): void {
    this.waiting -= size;
    this.latency.observe(seconds);
    this.batchSize.observe(size);
  }

  /** Counts a push that failed because the store did. */
  failed(err: StoreUnavailableError): void {
    const cause = storeErrorCause(err);
    this.errors.find((t) => t.labels.cause === cause)!.value++;
  }
}

export { StoreUnavailableError };
