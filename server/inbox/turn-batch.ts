// Group commit's front half, shared by both stores. Appends made in the same event-loop turn are handed
// to the store together at the start of the next turn, so one commit (SQLite) or one statement
// (PostgreSQL) carries them all while each delivery is still settled by its own outcome. With at most
// `maxInFlight` batches being written, appends made meanwhile wait and go together as soon as one
// returns: the busier the store, the larger its batches, instead of a queue of small commits.

/** Told about each item and batch, for metrics (server/metrics/store.ts); must not throw. */
export interface BatchObserver {
  queued(): void;
  /** `size` items went to the store together and their write settled after `seconds`. */
  written(size: number, seconds: number): void;
}

export class TurnBatch<T> {
  private items: T[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * `write` receives every item queued since the last call (never an empty batch) and settles each
   * item itself; the promise it returns says when the batch is no longer in flight.
   */
  constructor(
    private readonly write: (batch: T[]) => Promise<unknown>,
    private readonly maxInFlight = Number.POSITIVE_INFINITY,
    private readonly observer?: BatchObserver,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.observer?.queued();
    if (!this.scheduled && this.inFlight.size < this.maxInFlight) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands over what is queued now, if a batch may start. */
  flush(): void {
    this.scheduled = false;
    if (this.items.length === 0 || this.inFlight.size >= this.maxInFlight) return;
    const batch = this.items;
    this.items = [];
    const started = performance.now();
    const written = () => this.observer?.written(batch.length, (performance.now() - started) / 1000);
    const done = this.write(batch).then(written, written);
    this.inFlight.add(done);
    void done.then(() => {
      this.inFlight.delete(done);
      // Whatever arrived while that batch was written goes at once.
      this.flush();
    });
  }

  /** Hands over everything queued and waits until no batch is in flight (close calls this). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }
}
