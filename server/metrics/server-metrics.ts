// createServerMetrics: one registry per app (createApp may run many times in one process, so never
// prom-client's global default registry), holding every metric the reference server exposes at /metrics.
// The relay registers its own metrics on the same registry (metrics/relay.ts, registerRelayMetrics).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { MinuteRing } from './minute-ring.js';
import { PushMetrics, RequestMetrics } from './push.js';
import { StoreMetrics } from './store.js';
import { publish, type Tally } from './tally.js';

export interface ServerMetricsOptions {
  /** IDs of the configured channels: the only channel label values (others count as `_other`). */
  channelIds?: readonly string[];
  /** Node's process metrics (event-loop delay, GC, heap, CPU); default true. */
  processMetrics?: boolean;
  /** Clock of the per-minute ring (tests). */
  now?: () => number;
}

/** Live figures the app owns, read at scrape time. */
export interface AppGauges {
  streamsOpen(): number;
  refusalLogEntries(): number;
  refusalLogBytes(): number;
  /** What /readyz would answer now: warmed up, store reachable and writing. */
  ready(): Promise<boolean>;
}

export interface ServerMetrics {
  registry: Registry;
  push: PushMetrics;
  requests: RequestMetrics;
  store: StoreMetrics;
  minutes: MinuteRing;
  /** The app tells where its open streams and refusal log are (createApp calls this). */
  watch(gauges: AppGauges): void;
  /** Stops the per-minute timer (the server's close calls this). */
  stop(): void;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[], tallies: () => readonly Tally[]): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      publish(this, tallies());
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  const channelIds = options.channelIds ?? [];
  const push = new PushMetrics(channelIds);
  const requests = new RequestMetrics();
  const store = new StoreMetrics(registry);
  // Not ready until the app says where its readiness is (createApp calls watch()).
  let gauges: AppGauges = { streamsOpen: () => 0, refusalLogEntries: () => 0, refusalLogBytes: () => 0, ready: async () => false };

  counter(registry, 'ipk_http_requests_total', 'Requests answered, by operation and status class.', ['operation', 'status_class'], () => requests.all);
  counter(registry, 'ipk_push_accepted_total', 'Deliveries answered 200, by channel (`_other`: not a configured channel).', ['channel'], () => push.accepted.all);
  counter(registry, 'ipk_push_duplicate_events_total', 'Events in accepted deliveries that were already stored (redeliveries), by channel.', ['channel'], () => push.duplicates.all);
  counter(registry, 'ipk_events_stored_total', 'Events newly stored in the inbox, by channel.', ['channel'], () => push.stored.all);
  counter(registry, 'ipk_push_refused_total', "Deliveries refused, by the error body's code and by channel.", ['code', 'channel'], () => push.refused);
  counter(registry, 'ipk_store_errors_total', 'Pushes that failed because the store did (answered 500 store_unavailable), by cause.', ['cause'], () => store.errors);
  gauge(registry, 'ipk_feed_streams_open', "Live-feed streams (the inbox console's) open now.", () => gauges.streamsOpen());
  gauge(registry, 'ipk_refusal_log_entries', 'Refusals kept in memory for the inbox console.', () => gauges.refusalLogEntries());
  gauge(registry, 'ipk_refusal_log_bytes', 'Bytes of the refusals kept for the inbox console (their JSON text).', () => gauges.refusalLogBytes());
  // Readiness as a number, so an alert can see an instance its balancer routes around (README, Alerts).
  new Gauge({
    name: 'ipk_ready',
    help: 'Whether this instance is ready (1: /readyz answers 200) or not (0: warming up, or its store cannot be reached or cannot write).',
    registers: [registry],
    async collect() {
      this.set((await gauges.ready().catch(() => false)) ? 1 : 0);
    },
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const minutes = new MinuteRing({ totals: () => push.totals(), now: options.now });
  minutes.start();
  return {
    registry,
    push,
    requests,
    store,
    minutes,
    watch(next) {
      gauges = next;
    },
    stop() {
      minutes.stop();
    },
  };
}

/**
 * How a part of the server adds its metrics to the app's registry: the relay's (forwards per
 * destination and state, oldest pending age, paused, circuit state) do so in metrics/relay.ts.
 */
export type RegisterRelayMetrics = (registry: Registry) => void;
