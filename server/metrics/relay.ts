// The relay's metrics: read from its outbox and breakers when scraped, so forwarding pays nothing for
// them. Label values are the configured destinations' IDs (a bounded set) and the four forward states.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptObserver } from '../relay/forwarder.js';
import type { DestinationStatus, ForwardState } from '../relay/outbox.js';

export interface RelayMetricsSource {
  /** Each destination's forwards by state and its oldest pending event (the outbox's status()). */
  status(): Promise<DestinationStatus[]>;
  /** Each destination's circuit. */
  circuits(): Record<string, 'closed' | 'open'>;
}

const STATES: readonly ForwardState[] = ['pending', 'retrying', 'delivered', 'dead'];

/**
 * The gauges read from the shared store (the outbox): every instance on one PostgreSQL database reports
 * the same figures, so a dashboard or a rule aggregates them across instances with max, never sum
 * (README, Metrics). The circuit is each instance's own.
 */
export const SHARED_STORE_GAUGES = ['ipk_relay_forwards', 'ipk_relay_oldest_pending_age_seconds', 'ipk_relay_destination_paused'] as const;
const SHARED = ' Read from the shared store: every instance reports the same, so aggregate with max, not sum.';

/**
 * The destinations' status, or none while the store cannot be read: the scrape then leaves the shared-store
 * gauges out instead of failing whole (a 500 would hide ipk_ready, which says why, and every other metric).
 * The store's failure itself is logged by the store and answered by /readyz.
 */
async function statusOrNone(source: RelayMetricsSource): Promise<DestinationStatus[]> {
  try {
    return await source.status();
  } catch {
    return [];
  }
}

/** Registers the relay's gauges on the app's registry (see RegisterRelayMetrics in server-metrics.ts). */
export function registerRelayMetrics(registry: Registry, source: RelayMetricsSource, now: () => number = Date.now): void {
  new Gauge({
    name: SHARED_STORE_GAUGES[0],
    help: 'Forwards of stored events to each relay destination, by state (pending and retrying are the backlog; dead needs a replay).' + SHARED,
    labelNames: ['destination', 'state'],
    registers: [registry],
    async collect() {
      const status = await statusOrNone(source);
      this.reset();
      for (const d of status) for (const state of STATES) this.labels(d.id, state).set(d.counts[state] ?? 0);
    },
  });
  new Gauge({
    name: SHARED_STORE_GAUGES[1],
    help: 'Age of the oldest event each destination has neither delivered nor given up on (0 when none waits).' + SHARED,
    labelNames: ['destination'],
    registers: [registry],
    async collect() {
      const status = await statusOrNone(source);
      this.reset();
      for (const d of status) this.labels(d.id).set(d.oldestPendingAt === null ? 0 : Math.max(0, (now() - Date.parse(d.oldestPendingAt)) / 1000));
    },
  });
  new Gauge({
    name: SHARED_STORE_GAUGES[2],
    help: 'Whether each destination is paused by an operator (1) or forwarding (0).' + SHARED,
    labelNames: ['destination'],
    registers: [registry],
    async collect() {
      const status = await statusOrNone(source);
      this.reset();
      for (const d of status) this.labels(d.id).set(d.paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ipk_relay_circuit_open',
    help: 'Whether each destination circuit is open (1: failing, one probe per interval) or closed (0).',
    labelNames: ['destination'],
    registers: [registry],
    collect() {
      for (const [id, state] of Object.entries(source.circuits())) this.labels(id).set(state === 'open' ? 1 : 0);
    },
  });
}

/** Seconds: an attempt's answer on loopback is milliseconds; a destination's timeout is 10 s by default. */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Events per delivery: from one (no backlog) to the largest batch a destination allows (1 000). */
const EVENTS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];
/** Seconds from an event's receipt (or replay) to its delivery: sub-second normally, hours after an outage. */
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400];

/**
 * Counts each attempt by destination and outcome, with its duration and its number of events, and the
 * lag from receipt to delivery of each event delivered: the forwarder calls the observer returned (one increment each, no I/O).
 */
export function relayAttemptMetrics(registry: Registry, now: () => number = Date.now): AttemptObserver {
  const attempts = new Counter({
    name: 'ipk_relay_attempts_total',
    help: 'Attempts to forward a delivery (one or more events), by destination and what came of it: delivered, retrying (will be sent again) or dead.',
    labelNames: ['destination', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ipk_relay_attempt_duration_seconds',
    help: 'Time from sending a forwarded delivery to the destination answer (or the error), per destination.',
    labelNames: ['destination'],
    buckets: ATTEMPT_BUCKETS,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'ipk_relay_delivery_lag_seconds',
    help: 'Time from the receipt of an event (or its replay) to its delivery at the destination, per destination.',
    labelNames: ['destination'],
    buckets: LAG_BUCKETS,
    registers: [registry],
  });
  const size = new Histogram({
    name: 'ipk_relay_delivery_events',
    help: 'Events per forwarded delivery attempted, per destination: 1 under light load, up to the destination batch.maxEvents under a backlog.',
    labelNames: ['destination'],
    buckets: EVENTS_BUCKETS,
    registers: [registry],
  });
  return (record, delivery) => {
    attempts.labels(record.destination, record.state).inc();
    duration.labels(record.destination).observe(record.latencyMs / 1000);
    size.labels(record.destination).observe(delivery.events.length);
    if (record.state !== 'delivered') return;
    const at = now();
    for (const e of delivery.events) lag.labels(record.destination).observe(Math.max(0, at - e.createdAt) / 1000);
  };
}
