// Accepted and refused deliveries per minute over the last hour, for the inbox console's header chart.
// No new storage and nothing on the push path: once a minute it notes the running totals the metrics
// already keep; a minute's figure is the difference between two notes.

export const RING_MINUTES = 60;
const MINUTE_MS = 60_000;

export interface MinuteTotals {
  accepted: number;
  refused: number;
}

export interface MinuteRate extends MinuteTotals {
  /** Start of the minute (ISO 8601). */
  start: string;
}

export interface MinuteRingOptions {
  /** The running totals (the same counters /metrics exposes). */
  totals: () => MinuteTotals;
  now?: () => number;
  minutes?: number;
}

export class MinuteRing {
  /** Totals noted at the start of each minute, oldest first; at most `minutes + 1` (the current minute's start). */
  private readonly notes: { minute: number; totals: MinuteTotals }[] = [];
  private readonly totals: () => MinuteTotals;
  private readonly now: () => number;
  private readonly minutes: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MinuteRingOptions) {
    this.totals = options.totals;
    this.now = options.now ?? Date.now;
    this.minutes = options.minutes ?? RING_MINUTES;
    this.tick();
  }

  /** Notes the totals if a new minute began since the last note. */
  tick(): void {
    const minute = Math.floor(this.now() / MINUTE_MS);
    const last = this.notes.at(-1);
    if (last && last.minute === minute) return;
    // A minute with no note (its timer could not run) reads 0: counts are never guessed across a gap.
    const totals = this.totals();
    this.notes.push({ minute, totals: { accepted: totals.accepted, refused: totals.refused } });
    if (this.notes.length > this.minutes) this.notes.splice(0, this.notes.length - this.minutes);
  }

  /** Starts noting each minute; the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), MINUTE_MS / 4);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One entry per minute, oldest first, ending with the current (partial) minute; minutes with no note read 0. */
  rates(): MinuteRate[] {
    this.tick();
    const current = Math.floor(this.now() / MINUTE_MS);
    const now = this.totals();
    const byMinute = new Map(this.notes.map((n) => [n.minute, n.totals]));
    const out: MinuteRate[] = [];
    for (let m = current - this.minutes + 1; m <= current; m++) {
      const from = byMinute.get(m);
      const to = m === current ? now : byMinute.get(m + 1);
      out.push({
        start: new Date(m * MINUTE_MS).toISOString(),
        accepted: from && to ? to.accepted - from.accepted : 0,
        refused: from && to ? to.refused - from.refused : 0,
      });
    }
    return out;
  }
}
