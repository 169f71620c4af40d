// What the relay says about each destination (and about its own store), decided apart from time and I/O:
// fed attempt outcomes, circuit transitions and backlog readings with the time they happened, it answers
// the log lines to write. A state change is one line; the same cause repeating is none (a reminder at
// most every few minutes); dead letters are counted and summarised once per interval.
import type { Cause } from './cause.js';

export interface RelayLogOptions {
  /** A destination still failing for the same cause is mentioned again at most this often. */
  reminderMs: number;
  /** Dead letters of a destination: at most one line per this interval (the first at once). */
  deadEveryMs: number;
  /** Open forwards (pending + retrying) above this are a backlog worth a line. */
  backlogAbove: number;
  /** At or below this many open forwards a backlog has drained. */
  backlogNormal: number;
}

export const DEFAULT_RELAY_LOG: RelayLogOptions = { reminderMs: 5 * 60_000, deadEveryMs: 60_000, backlogAbove: 1000, backlogNormal: 10 };

/** What a line is about: stable words for whoever filters the log (the README lists them). */
export type RelayLogEvent = 'failing' | 'cause-changed' | 'still-failing' | 'circuit-open' | 'circuit-closed' | 'recovered' | 'backlog' | 'drained' | 'dead' | 'store-failing' | 'store-recovered';

export interface RelayLogLine {
  level: 'info' | 'warn';
  msg: string;
  /** `destination` on every line about one. */
  fields: { relay: RelayLogEvent; destination?: string } & Record<string, unknown>;
}

/** An outage that just ended: what the recovery line says besides how many events waited. */
export interface Outage {
  downForMs: number;
  attempts: number;
}

/** "400 ms", "12 s", "4 min", "3 h 5 min": a duration as people say it. */
export function spoken(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class DestinationLog {
  /** The outage under way: since when, its cause, attempts that failed, when it was last mentioned. */
  private failing: { since: number; cause: Cause; attempts: number; saidAt: number } | undefined;
  private openedAt = 0;
  /** Dead letters not logged yet, by cause key, and when the last dead line was written. */
  private readonly dead = new Map<string, { text: string; events: number }>();
  private deadSaidAt = Number.NEGATIVE_INFINITY;
  /** A backlog being worked off: since when, and the most open forwards seen. */
  private draining: { since: number; peak: number } | undefined;

  constructor(
    readonly destination: string,
    private readonly options: RelayLogOptions = DEFAULT_RELAY_LOG,
  ) {}

  private line(level: RelayLogLine['level'], relay: RelayLogEvent, msg: string, fields: Record<string, unknown> = {}): RelayLogLine {
    return { level, msg: `relay: ${msg}`, fields: { destination: this.destination, relay, ...fields } };
  }

  /** True while an outage is under way (a failure not yet followed by a delivery). */
  get isFailing(): boolean {
    return this.failing !== undefined;
  }

  /** An attempt that says the destination is unwell (policy.ts's isFailure). */
  failed(cause: Cause, now: number): RelayLogLine[] {
    const f = this.failing;
    if (!f) {
      this.failing = { since: now, cause, attempts: 1, saidAt: now };
      return [this.line('warn', 'failing', `destination ${this.destination} starts failing: ${cause.text}`, { cause: cause.text })];
    }
    f.attempts++;
    if (f.cause.key !== cause.key) {
      const was = f.cause.text;
      f.cause = cause;
      f.saidAt = now;
      return [this.line('warn', 'cause-changed', `destination ${this.destination} now fails with ${cause.text} (was: ${was})`, { cause: cause.text, was, failingForMs: now - f.since, attempts: f.attempts })];
    }
    if (now - f.saidAt < this.options.reminderMs) return [];
    f.saidAt = now;
    const msg = `destination ${this.destination} still failing after ${spoken(now - f.since)} and ${plural(f.attempts, 'attempt')}: ${cause.text}`;
    return [this.line('warn', 'still-failing', msg, { cause: cause.text, failingForMs: now - f.since, attempts: f.attempts })];
  }

  /** An attempt that says the destination is well (delivered, or refused these bytes): ends the outage, if any; the caller counts what waited and asks recovered(). */
  well(now: number): Outage | undefined {
    const f = this.failing;
    if (!f) return undefined;
    this.failing = undefined;
    return { downForMs: now - f.since, attempts: f.attempts };
  }

  /**
   * The recovery line, with the open forwards that waited (undefined when the store could not count them);
   * a backlog that large is then watched until it drains.
   */
  recovered(outage: Outage, waiting: number | undefined, now: number): RelayLogLine[] {
    if (waiting !== undefined && waiting > this.options.backlogNormal) this.draining = { since: now, peak: Math.max(waiting, this.draining?.peak ?? 0) };
    const waited = waiting === undefined ? 'the events that waited could not be counted' : `${plural(waiting, 'event')} waited`;
    const msg = `destination ${this.destination} recovered after ${spoken(outage.downForMs)} down (${plural(outage.attempts, 'failed attempt')}); ${waited}`;
    return [this.line('info', 'recovered', msg, { downForMs: outage.downForMs, attempts: outage.attempts, waiting })];
  }

  circuitOpened(now: number, nextProbeAt: number, failuresInARow: number): RelayLogLine[] {
    this.openedAt = now;
    const msg = `circuit open for ${this.destination} after ${plural(failuresInARow, 'failure')} in a row; next probe in ${spoken(nextProbeAt - now)}`;
    return [this.line('warn', 'circuit-open', msg, { nextProbeAt: new Date(nextProbeAt).toISOString(), failuresInARow })];
  }

  circuitClosed(now: number): RelayLogLine[] {
    return [this.line('info', 'circuit-closed', `circuit closed for ${this.destination}: a probe was delivered after ${spoken(now - this.openedAt)} open`, { openForMs: now - this.openedAt })];
  }

  /** Events given up on; the first of an interval is said at once, the rest counted for due(). */
  deadLettered(cause: Cause, events: number, now: number): RelayLogLine[] {
    const kept = this.dead.get(cause.key);
    this.dead.set(cause.key, { text: cause.text, events: (kept?.events ?? 0) + events });
    return this.due(now);
  }

  /** Open forwards of the destination as the store counted them. */
  backlog(open: number, now: number): RelayLogLine[] {
    const d = this.draining;
    if (!d) {
      if (open <= this.options.backlogAbove) return [];
      this.draining = { since: now, peak: open };
      return [this.line('warn', 'backlog', `backlog for ${this.destination}: ${plural(open, 'event')} waiting`, { open })];
    }
    d.peak = Math.max(d.peak, open);
    if (open > this.options.backlogNormal) return [];
    this.draining = undefined;
    return [this.line('info', 'drained', `backlog for ${this.destination} drained: ${d.peak} events worked off in ${spoken(now - d.since)}`, { peak: d.peak, tookMs: now - d.since, open })];
  }

  /** True while a backlog is being worked off (the caller reads the store's counts more often then). */
  get isDraining(): boolean {
    return this.draining !== undefined;
  }

  /** The lines whose time has come: the dead-letter summary, once per interval. */
  due(now: number): RelayLogLine[] {
    if (this.dead.size === 0 || now - this.deadSaidAt < this.options.deadEveryMs) return [];
    this.deadSaidAt = now;
    return this.flush();
  }

  /** Every count not yet said (at stop). */
  flush(): RelayLogLine[] {
    if (this.dead.size === 0) return [];
    const causes = [...this.dead.values()];
    this.dead.clear();
    const events = causes.reduce((n, c) => n + c.events, 0);
    const why = causes.map((c) => (causes.length === 1 ? c.text : `${c.events} ${c.text}`)).join('; ');
    const replay = `ig-push relay replay ${this.destination}`;
    const msg = `${plural(events, 'event')} dead-lettered for ${this.destination}: ${why}; replay with \`${replay}\` (or POST /relay/destinations/${this.destination}/replay)`;
    return [this.line('warn', 'dead', msg, { events, causes: Object.fromEntries(causes.map((c) => [c.text, c.events])), replay })];
  }
}

/** What the forwarder does with its store: read due forwards, or record attempts. */
const STORE_WORDS = {
  read: { failing: 'could not read the outbox', still: 'still cannot read the outbox', again: 'the outbox can be read again', then: 'will try again' },
  record: { failing: 'could not record an attempt', still: 'still cannot record attempts', again: 'attempts are recorded again', then: 'the events are sent again once their lease runs out' },
} as const;

/**
 * The store failing under the forwarder: the first failure said at once with its error, a new error
 * at once, the same one again only as a reminder, and the end of the trouble once.
 */
export class StoreLog {
  private trouble: { since: number; error: string; failures: number; saidAt: number } | undefined;

  constructor(
    private readonly what: keyof typeof STORE_WORDS,
    private readonly options: Pick<RelayLogOptions, 'reminderMs'> = DEFAULT_RELAY_LOG,
  ) {}

  failed(error: string, now: number, fields: Record<string, unknown> = {}): RelayLogLine[] {
    const words = STORE_WORDS[this.what];
    const t = this.trouble;
    if (t) {
      t.failures++;
      if (t.error === error && now - t.saidAt < this.options.reminderMs) return [];
      const first = t.error !== error;
      t.error = error;
      t.saidAt = now;
      if (first) return [{ level: 'warn', msg: `relay: ${words.failing} (${error}); ${words.then}`, fields: { relay: 'store-failing', err: error, ...fields } }];
      return [{ level: 'warn', msg: `relay: ${words.still} after ${spoken(now - t.since)} (${plural(t.failures, 'failure')}): ${error}`, fields: { relay: 'store-failing', err: error, failingForMs: now - t.since, failures: t.failures, ...fields } }];
    }
    this.trouble = { since: now, error, failures: 1, saidAt: now };
    return [{ level: 'warn', msg: `relay: ${words.failing} (${error}); ${words.then}`, fields: { relay: 'store-failing', err: error, ...fields } }];
  }

  ok(now: number): RelayLogLine[] {
    const t = this.trouble;
    if (!t) return [];
    this.trouble = undefined;
    return [{ level: 'info', msg: `relay: ${STORE_WORDS[this.what].again} after ${spoken(now - t.since)} (${plural(t.failures, 'failure')})`, fields: { relay: 'store-recovered', failingForMs: now - t.since, failures: t.failures } }];
  }
}
