// Hot-path counts as plain numbers, one pre-made slot per known label set, copied into prom-client's
// metrics only when someone scrapes. Why not prom-client's own `counter.labels(...).inc()` on every
// request: each call hashes its labels into a new string and returns a new object; a slot's `value++`
// allocates nothing and costs one add, which is what the push path can afford (README, Metrics).
import type { Counter } from 'prom-client';

/** One label set's running count. */
export class Tally {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

/** Label value every channel that is not configured is counted under (a configured ID cannot start with `_`). */
export const OTHER_CHANNEL = '_other';

/**
 * One Tally per configured channel plus one for everything else: an unknown, random or sandbox chanId
 * never becomes a label value, so the number of series is fixed when the app starts.
 */
export class ChannelTallies {
  private readonly byId = new Map<string, Tally>();
  readonly other: Tally;
  readonly all: Tally[];

  constructor(channelIds: readonly string[], labels: Readonly<Record<string, string>> = {}) {
    for (const id of channelIds) this.byId.set(id, new Tally({ ...labels, channel: id }));
    this.other = new Tally({ ...labels, channel: OTHER_CHANNEL });
    this.all = [...this.byId.values(), this.other];
  }

  of(channelId: string | undefined): Tally {
    return (channelId === undefined ? undefined : this.byId.get(channelId)) ?? this.other;
  }
}

/** Sets `counter` to the tallies' values (a collect() callback: runs at scrape time only). */
export function publish(counter: Counter<string>, tallies: readonly Tally[]): void {
  counter.reset();
  for (const t of tallies) counter.inc(t.labels, t.value);
}
