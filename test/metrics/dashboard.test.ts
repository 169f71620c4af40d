// The Grafana dashboard in the repository queries only metrics the server exposes: each name in its
// PromQL (and in its variable query) is one the registry renders, histograms by their _bucket/_sum/_count.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerRelayMetrics, relayAttemptMetrics } from '../../server/metrics/relay.js';
import { createServerMetrics } from '../../server/metrics/server-metrics.js';

const dashboard = JSON.parse(readFileSync(new URL('../../server/metrics/grafana-dashboard.json', import.meta.url), 'utf8'));

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const queries: string[] = [
  ...(dashboard.panels as Panel[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...(dashboard.templating.list as { definition: string }[]).map((v) => v.definition),
];

/** Metric names a PromQL text refers to: ours and Node's process metrics, by their prefixes. */
const namesIn = (expr: string) => [...expr.matchAll(/\b(?:ipk|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0]);

describe('the Grafana dashboard', () => {
  it('names only metrics the server exposes', async () => {
    const metrics = createServerMetrics({ channelIds: ['chan-a'] });
    // A server with a relay destination, as main.ts registers it.
    const status = [{ id: 'cc', channel: 'chan-a', configured: true, paused: false, counts: { pending: 1, retrying: 0, delivered: 0, dead: 0 }, oldestPendingAt: null }];
    registerRelayMetrics(metrics.registry, { status: async () => status, circuits: () => ({ cc: 'closed' }) });
    relayAttemptMetrics(metrics.registry);
    const exposed = new Set<string>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      exposed.add(m.name);
      if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(`${m.name}${suffix}`);
    }
    metrics.stop();
    const named = [...new Set(queries.flatMap(namesIn))];
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !exposed.has(n))).toEqual([]);
  });

  it('answers the three questions: throughput, refusals by reason, commit latency percentiles, and what piles up', () => {
    const all = queries.join('\n');
    for (const name of ['ipk_push_accepted_total', 'ipk_push_refused_total', 'ipk_store_commit_duration_seconds_bucket', 'ipk_store_appends_waiting', 'ipk_relay_forwards', 'ipk_relay_oldest_pending_age_seconds', 'ipk_relay_attempts_total', 'ipk_relay_delivery_lag_seconds_bucket']) expect(all).toContain(name);
    expect(all).toContain('by (code)');
    expect(all).toContain('histogram_quantile(0.99');
  });

  it('every query panel has a data source input to bind on import', () => {
    expect(dashboard.__inputs.map((i: { name: string }) => i.name)).toEqual(['DS_PROMETHEUS']);
    for (const p of dashboard.panels as Panel[]) if (p.targets) expect(p.targets.length).toBeGreaterThan(0);
  });
});
