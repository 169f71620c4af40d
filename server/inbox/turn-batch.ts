// Group commit's front half, shared by both stores: appends made in the same event-loop turn are
// handed to the store together at the start of the next turn, so one commit (SQLite) or one
// statement (PostgreSQL) carries them all while each delivery is still settled by its own outcome.

export class TurnBatch<T> {
  private items: T[] = [];
  private scheduled = false;

  /** `write` receives every item queued since the last call; it never receives an empty batch. */
  constructor(private readonly write: (batch: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands over what is queued now (close calls this so nothing queued is left behind). */
  flush(): void {
    const batch = this.items;
    this.items = [];
    this.scheduled = false;
    if (batch.length) this.write(batch);
  }
}
