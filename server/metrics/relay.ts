// The relay's metrics: read from its outbox and breakers when scraped, so forwarding pays nothing for
// them. Label values are the configured destinations' IDs (a bounded set) and the four forward states.
import { Gauge, type Registry } from 'prom-client';
import type { DestinationStatus, ForwardState } from '../relay/outbox.js';

export interface RelayMetricsSource {
  /** Each destination's forwards by state and its oldest pending event (the outbox's status()). */
  status(): Promise<DestinationStatus[]>;
  /** Each destination's circuit. */
  circuits(): Record<string, 'closed' | 'open'>;
}

const STATES: readonly ForwardState[] = ['pending', 'retrying', 'delivered', 'dead'];

/** Registers the relay's gauges on the app's registry (see RegisterRelayMetrics in server-metrics.ts). */
export function registerRelayMetrics(registry: Registry, source: RelayMetricsSource, now: () => number = Date.now): void {
  new Gauge({
    name: 'ipk_relay_forwards',
    help: 'Forwards of stored events to each relay destination, by state (pending and retrying are the backlog; dead needs a replay).',
    labelNames: ['destination', 'state'],
    registers: [registry],
    async collect() {
      for (const d of await source.status()) for (const state of STATES) this.labels(d.id, state).set(d.counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'ipk_relay_oldest_pending_age_seconds',
    help: 'Age of the oldest event each destination has neither delivered nor given up on (0 when none waits).',
    labelNames: ['destination'],
    registers: [registry],
    async collect() {
      for (const d of await source.status()) this.labels(d.id).set(d.oldestPendingAt === null ? 0 : Math.max(0, (now() - Date.parse(d.oldestPendingAt)) / 1000));
    },
  });
  new Gauge({
    name: 'ipk_relay_destination_paused',
    help: 'Whether each destination is paused by an operator (1) or forwarding (0).',
    labelNames: ['destination'],
    registers: [registry],
    async collect() {
      for (const d of await source.status()) this.labels(d.id).set(d.paused ? 1 : 0);
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
