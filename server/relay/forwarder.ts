// The forwarding loop: one lane per enabled destination, independent of the others. Each tick takes
// the deliveries its room allows (concurrency, rate limit and circuit breaker count deliveries, not
// events) from the outbox, oldest first (a backlog is never read whole), leases them, sends them, and
// records the outcome durably. What happens to each destination is said in the log (relay-log.ts), and
// each destination's live state (circuit, last error, next attempt) is kept for the status views.
import type { Logger } from 'pino';
import { Breaker, DEFAULT_BREAKER, type BreakerOptions, type BreakerState } from './breaker.js';
import { causeOf, type Cause } from './cause.js';
import { deliveryBytes } from './delivery.js';
import type { Destination } from './destinations.js';
import type { AttemptRecord, ClaimedDelivery, Outbox } from './outbox.js';
import { cut, decide, DEFAULT_RETRY, isFailure, type RetryPolicy } from './policy.js';
import { DEFAULT_RELAY_LOG, DestinationLog, StoreLog, type Outage, type RelayLogLine, type RelayLogOptions } from './relay-log.js';
import { createHttpSender, type Send } from './sender.js';
import { shownUrl } from './shown-url.js';

/** Null when the delivery is valid against the bundled spec, else why not. */
export type ValidateDelivery = (delivery: unknown) => string | null;

export interface ForwarderOptions {
  outbox: Outbox;
  destinations: Destination[];
  validate: ValidateDelivery;
  logger: Logger;
  /** How a delivery is sent; by default over keep-alive connections of the forwarder's own (sender.ts). */
  send?: Send;
  /** How often an idle lane looks for due forwards (default 250 ms); a stored event wakes it at once. */
  pollMs?: number;
  /** Most deliveries claimed per tick (default 64). */
  batch?: number;
  retry?: RetryPolicy;
  breaker?: BreakerOptions;
  now?: () => number;
  random?: () => number;
  /** Told each attempt's record once it is decided (server/metrics/relay.ts counts them). */
  observe?: AttemptObserver;
  /** When the relay's log lines repeat, summarise and count a backlog (relay-log.ts). */
  log?: Partial<RelayLogOptions>;
  /** How often the store's open forwards are counted to notice a backlog (default 30 s; every second while one drains). */
  backlogEveryMs?: number;
}

/** A destination as this instance sees it, for GET /relay/destinations. */
export interface LiveDestination {
  url: string;
  circuit: BreakerState;
  lastError: { message: string; at: string } | null;
  nextAttemptAt: string | null;
}

/** Sees each attempt: its record, and the delivery it was (its events, each with when its forwarding started). */
export type AttemptObserver = (record: AttemptRecord, delivery: ClaimedDelivery) => void;

/** A claimed forward stays leased this long past its timeout, so a crash mid-send makes it due again. */
const LEASE_MARGIN_MS = 5000;
/** While a backlog drains, an idle lane counts the store's open forwards at most this often. */
const DRAIN_CHECK_MS = 1000;

interface Lane {
  destination: Destination;
  breaker: Breaker;
  inflight: number;
  tokens: number;
  refilledAt: number;
  ticking: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
  log: DestinationLog;
  /** The newest attempt not delivered (bounded: one per destination). */
  lastError?: { message: string; at: number };
  /** The soonest retry this lane scheduled that is still ahead (0: none). */
  retryAt: number;
}

export class Forwarder {
  private readonly lanes: Lane[];
  private readonly running = new Set<Promise<void>>();
  private readonly poll: NodeJS.Timeout;
  private stopped = false;
  private readonly now: () => number;
  /** Outcomes waiting for the next batched write (see record()). */
  private readonly outcomes: { record: AttemptRecord; written: () => void }[] = [];
  private flushing?: NodeJS.Immediate;
  private readonly send: Send;
  /** Closes the connections of the forwarder's own sender, once its attempts are done. */
  private readonly closeSender: () => void;
  private readonly backlogTimer: NodeJS.Timeout;
  private countingBacklog = false;
  /** The store failing under the lanes: said once, not once per tick. */
  private readonly reads: StoreLog;
  private readonly records: StoreLog;
  private backlogCountedAt = 0;

  constructor(private readonly options: ForwarderOptions) {
    this.now = options.now ?? Date.now;
    const logOptions = { ...DEFAULT_RELAY_LOG, ...options.log };
    this.reads = new StoreLog('read', logOptions);
    this.records = new StoreLog('record', logOptions);
    const sender = options.send ? undefined : createHttpSender();
    this.send = options.send ?? sender!.send;
    this.closeSender = () => sender?.close();
    this.lanes = options.destinations
      .filter((d) => d.enabled)
      .map((destination) => ({
        destination,
        breaker: new Breaker(options.breaker ?? DEFAULT_BREAKER),
        inflight: 0,
        tokens: burst(destination),
        refilledAt: this.now(),
        ticking: false,
        again: false,
        log: new DestinationLog(destination.id, logOptions),
        retryAt: 0,
      }));
    this.poll = setInterval(() => this.wake(), options.pollMs ?? 250);
    this.poll.unref();
    this.backlogTimer = setInterval(() => this.countBacklog(), options.backlogEveryMs ?? 30_000);
    this.backlogTimer.unref();
    this.wake();
  }

  /** Looks for due forwards now (called after events are stored). */
  wake(): void {
    for (const lane of this.lanes) void this.tick(lane);
  }

  /** The circuit of each destination, for the metrics (a probe on its way is still an open circuit). */
  circuits(): Record<string, 'closed' | 'open'> {
    return Object.fromEntries(this.lanes.map((l) => [l.destination.id, l.breaker.state === 'closed' ? 'closed' : 'open']));
  }

  /** Every configured destination as this instance sees it (a disabled one is never tried). */
  live(): Record<string, LiveDestination> {
    const now = this.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    return Object.fromEntries(
      this.options.destinations.map((d) => {
        const lane = this.lanes.find((l) => l.destination === d);
        const circuit = lane?.breaker.state ?? 'closed';
        // Open: the next probe; half-open: the probe is on its way; closed: the soonest retry still ahead.
        const next = !lane ? null : circuit === 'open' ? lane.breaker.nextProbeAt : circuit === 'closed' && lane.retryAt > now ? lane.retryAt : null;
        const lastError = lane?.lastError ? { message: lane.lastError.message, at: iso(lane.lastError.at) } : null;
        return [d.id, { url: shownUrl(d.url), circuit, lastError, nextAttemptAt: next === null ? null : iso(next) }];
      }),
    );
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    clearInterval(this.backlogTimer);
    for (const lane of this.lanes) clearTimeout(lane.timer);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    // Dead letters still counted for their summary are said now rather than never.
    for (const lane of this.lanes) this.say(lane.log.flush());
    this.closeSender();
  }

  private say(lines: RelayLogLine[]): void {
    for (const l of lines) this.options.logger[l.level](l.fields, l.msg);
  }

  /** Runs work the stop must wait for (it reads the store). */
  private track(work: Promise<void>): void {
    const p = work.finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Counts each destination's open forwards in the store, and tells each lane's log. */
  private countBacklog(): void {
    if (this.countingBacklog || this.stopped) return;
    this.countingBacklog = true;
    this.backlogCountedAt = this.now();
    this.track(
      this.options.outbox
        .status()
        .then((status) => {
          const now = this.now();
          for (const lane of this.lanes) {
            const s = status.find((d) => d.id === lane.destination.id);
            if (s) this.say(lane.log.backlog(s.counts.pending + s.counts.retrying, now));
          }
        })
        .catch(() => undefined) // the store's trouble is said where it is met (reading due forwards)
        .finally(() => {
          this.countingBacklog = false;
        }),
    );
  }

  /** An outage ended: say so with how many events waited for the destination. */
  private recovered(lane: Lane, outage: Outage): void {
    this.track(
      this.options.outbox.status().then(
        (status) => {
          const s = status.find((d) => d.id === lane.destination.id);
          this.say(lane.log.recovered(outage, s ? s.counts.pending + s.counts.retrying : 0, this.now()));
        },
        () => this.say(lane.log.recovered(outage, undefined, this.now())),
      ),
    );
  }

  private async tick(lane: Lane): Promise<void> {
    if (this.stopped) return;
    // One tick at a time per lane; a wake during a tick runs one more after it.
    if (lane.ticking) {
      lane.again = true;
      return;
    }
    lane.ticking = true;
    this.say(lane.log.due(this.now()));
    try {
      await this.fill(lane);
      this.say(this.reads.ok(this.now()));
    } catch (err) {
      this.say(this.reads.failed(String(err), this.now(), { destination: lane.destination.id }));
    } finally {
      lane.ticking = false;
    }
    if (lane.again) {
      lane.again = false;
      void this.tick(lane);
    }
  }

  private async fill(lane: Lane): Promise<void> {
    const d = lane.destination;
    let now = this.now();
    refill(lane, now);
    const wanted = Math.min(d.concurrency - lane.inflight, this.options.batch ?? 64, Math.floor(lane.tokens));
    if (wanted <= 0) {
      // Rate-limited: look again when the next token is due rather than at the next poll.
      if (d.ratePerSecond && lane.inflight < d.concurrency) this.later(lane, Math.ceil(((1 - lane.tokens) / d.ratePerSecond) * 1000));
      return;
    }
    // Asked only with room to fill: every stored event wakes the lane, mostly while it is full.
    if (await this.options.outbox.paused(d.id)) return;
    now = this.now();
    const room = lane.breaker.admit(wanted, now);
    if (room === 0) return;
    const claimed = await this.options.outbox.claim(d.id, now, now + d.timeoutMs + LEASE_MARGIN_MS, room, { maxEvents: d.maxEvents, maxBytes: d.maxBytes });
    if (claimed.length === 0) {
      lane.breaker.neutral();
      // Nothing due: if a backlog was draining, it may just have drained.
      if (lane.log.isDraining && now - this.backlogCountedAt >= DRAIN_CHECK_MS) this.countBacklog();
    }
    lane.tokens -= claimed.length;
    for (const delivery of claimed) {
      lane.inflight++;
      const p = this.attempt(lane, delivery).finally(() => {
        lane.inflight--;
        this.running.delete(p);
        void this.tick(lane);
      });
      this.running.add(p);
    }
    if (claimed.length === room && room === wanted) lane.again = true;
  }

  private later(lane: Lane, ms: number): void {
    clearTimeout(lane.timer);
    lane.timer = setTimeout(() => void this.tick(lane), ms);
    lane.timer.unref();
  }

  private async attempt(lane: Lane, delivery: ClaimedDelivery): Promise<void> {
    const d = lane.destination;
    const bytes = deliveryBytes(delivery.events);
    const base = { delivery: delivery.id, destination: d.id, lease: delivery.lease };
    const problem = this.options.validate(JSON.parse(bytes.toString('utf8')));
    let record: AttemptRecord;
    if (problem) {
      lane.breaker.neutral();
      record = { ...base, at: this.now(), status: null, latencyMs: 0, error: cut(`not valid against the contract: ${problem}`), state: 'dead', nextAt: 0 };
      this.say(lane.log.deadLettered({ key: 'contract', text: 'not valid against the contract (see GET /relay/forwards?state=dead)' }, delivery.events.length, record.at));
    } else {
      const at = this.now();
      const result = await this.send(d, bytes);
      const now = this.now();
      const decision = decide(result, { retry: delivery.attempts, createdAt: delivery.createdAt, maxAgeMs: d.maxAgeMs, now, random: (this.options.random ?? Math.random)(), policy: this.options.retry ?? DEFAULT_RETRY });
      const cause = decision.state === 'delivered' ? undefined : causeOf(result, d.timeoutMs);
      if (cause) lane.lastError = { message: cause.text, at: now };
      if (decision.state === 'retrying') lane.retryAt = lane.retryAt > now ? Math.min(lane.retryAt, decision.at) : decision.at;
      if (isFailure(result, decision)) {
        this.say(lane.log.failed(cause!, now));
        if (lane.breaker.failure(now)) this.say(lane.log.circuitOpened(now, lane.breaker.nextProbeAt, lane.breaker.failuresInARow));
      } else {
        // Any answer that is not the destination being down (a delivery, or a refusal of these bytes) ends an outage.
        if (lane.breaker.success()) this.say(lane.log.circuitClosed(now));
        const outage = lane.log.well(now);
        if (outage) this.recovered(lane, outage);
      }
      if (decision.state === 'dead') this.say(lane.log.deadLettered(deadCause(decision.reason, cause!), delivery.events.length, now));
      record = {
        ...base,
        at,
        status: 'status' in result ? result.status : null,
        latencyMs: result.latencyMs,
        error: decision.state === 'delivered' ? null : decision.reason,
        state: decision.state,
        nextAt: decision.state === 'retrying' ? decision.at : 0,
      };
    }
    this.options.observe?.(record, delivery);
    await this.record(record);
  }

  /**
   * Queues an outcome and resolves once it is written: the outcomes that arrive in one turn of the
   * event loop are written in one transaction (one commit instead of one per event, on the main thread).
   */
  private record(record: AttemptRecord): Promise<void> {
    return new Promise((resolve) => {
      this.outcomes.push({ record, written: resolve });
      this.flushing ??= setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.flushing = undefined;
    const batch = this.outcomes.splice(0);
    try {
      await this.options.outbox.record(batch.map((o) => o.record));
      this.say(this.records.ok(this.now()));
    } catch (err) {
      // Unrecorded, the leases run out and the events are sent again: at least once, never lost.
      this.say(this.records.failed(String(err), this.now(), { destinations: [...new Set(batch.map((o) => o.record.destination))], events: batch.length }));
    } finally {
      for (const o of batch) o.written();
    }
  }
}

/** Why a delivery died, as its dead-letter summary groups it: the maximum age (with the last cause), or the cause itself (a refusal). */
function deadCause(reason: string, last: Cause): Cause {
  return reason.startsWith('gave up after the maximum age') ? { key: 'max-age', text: `maximum age reached (last: ${last.text})` } : last;
}

const burst = (d: Destination) => (d.ratePerSecond ? Math.max(1, d.ratePerSecond) : Number.POSITIVE_INFINITY);

/** Token bucket: `rate` tokens a second, at most one second's worth saved up. */
function refill(lane: Lane, now: number): void {
  const rate = lane.destination.ratePerSecond;
  if (!rate) return;
  lane.tokens = Math.min(burst(lane.destination), lane.tokens + ((now - lane.refilledAt) / 1000) * rate);
  lane.refilledAt = now;
}
