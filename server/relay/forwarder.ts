// The forwarding loop: one lane per enabled destination, independent of the others. Each tick takes
// the deliveries its room allows (concurrency, rate limit and circuit breaker count deliveries, not
// events) from the outbox, oldest first (a backlog is never read whole), leases them, sends them, and
// records the outcome durably.
import type { Logger } from 'pino';
import { Breaker, DEFAULT_BREAKER, type BreakerOptions } from './breaker.js';
import { deliveryBytes } from './delivery.js';
import type { Destination } from './destinations.js';
import type { AttemptRecord, ClaimedDelivery, Outbox } from './outbox.js';
import { cut, decide, DEFAULT_RETRY, isFailure, type RetryPolicy } from './policy.js';
import { createHttpSender, type Send } from './sender.js';

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
}

/** Sees each attempt: its record, and the delivery it was (its events, each with when its forwarding started). */
export type AttemptObserver = (record: AttemptRecord, delivery: ClaimedDelivery) => void;

/** A claimed forward stays leased this long past its timeout, so a crash mid-send makes it due again. */
const LEASE_MARGIN_MS = 5000;

interface Lane {
  destination: Destination;
  breaker: Breaker;
  inflight: number;
  tokens: number;
  refilledAt: number;
  ticking: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
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

  constructor(private readonly options: ForwarderOptions) {
    this.now = options.now ?? Date.now;
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
      }));
    this.poll = setInterval(() => this.wake(), options.pollMs ?? 250);
    this.poll.unref();
    this.wake();
  }

  /** Looks for due forwards now (called after events are stored). */
  wake(): void {
    for (const lane of this.lanes) void this.tick(lane);
  }

  /** The circuit of each destination, for status views. */
  circuits(): Record<string, 'closed' | 'open'> {
    return Object.fromEntries(this.lanes.map((l) => [l.destination.id, l.breaker.state]));
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    for (const lane of this.lanes) clearTimeout(lane.timer);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.closeSender();
  }

  private async tick(lane: Lane): Promise<void> {
    if (this.stopped) return;
    // One tick at a time per lane; a wake during a tick runs one more after it.
    if (lane.ticking) {
      lane.again = true;
      return;
    }
    lane.ticking = true;
    try {
      await this.fill(lane);
    } catch (err) {
      this.options.logger.warn({ destination: lane.destination.id, err: String(err) }, 'relay: could not read the outbox; will try again');
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
    if (claimed.length === 0) lane.breaker.neutral();
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
    } else {
      const at = this.now();
      const result = await this.send(d, bytes);
      const now = this.now();
      const decision = decide(result, { retry: delivery.attempts, createdAt: delivery.createdAt, maxAgeMs: d.maxAgeMs, now, random: (this.options.random ?? Math.random)(), policy: this.options.retry ?? DEFAULT_RETRY });
      if (isFailure(result, decision)) lane.breaker.failure(now);
      else lane.breaker.success();
      record = {
        ...base,
        at,
        status: 'status' in result ? result.status : null,
        latencyMs: result.latencyMs,
        error: decision.state === 'delivered' ? null : decision.reason,
        state: decision.state,
        nextAt: decision.state === 'retrying' ? decision.at : 0,
      };
      if (decision.state === 'dead') this.options.logger.warn({ destination: d.id, eventIds: delivery.events.map((e) => e.eventId), reason: decision.reason }, 'relay: delivery dead');
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
    } catch (err) {
      // Unrecorded, the leases run out and the events are sent again: at least once, never lost.
      this.options.logger.warn({ destinations: [...new Set(batch.map((o) => o.record.destination))], events: batch.length, err: String(err) }, 'relay: could not record an attempt');
    } finally {
      for (const o of batch) o.written();
    }
  }
}

const burst = (d: Destination) => (d.ratePerSecond ? Math.max(1, d.ratePerSecond) : Number.POSITIVE_INFINITY);

/** Token bucket: `rate` tokens a second, at most one second's worth saved up. */
function refill(lane: Lane, now: number): void {
  const rate = lane.destination.ratePerSecond;
  if (!rate) return;
  lane.tokens = Math.min(burst(lane.destination), lane.tokens + ((now - lane.refilledAt) / 1000) * rate);
  lane.refilledAt = now;
}
