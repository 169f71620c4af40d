// Reads metric values from a prom-client registry's own JSON (no text parsing), for the metrics tests.
import type { Registry } from 'prom-client';

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The value of one series: `name` (or a histogram's `name_count`/`_sum`) with exactly these labels. */
export function valueOf(json: MetricsJson, name: string, labels: Record<string, string> = {}): number | undefined {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = json.find((m) => m.name === name || m.name === base);
  if (!metric) return undefined;
  const same = (l: Record<string, unknown>) => Object.keys(l).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => String(l[k]) === v);
  const v = metric.values.find((x) => ((x as { metricName?: string }).metricName ?? metric.name) === name && same(x.labels as Record<string, unknown>));
  return v?.value;
}

/** Every series as `name{label="value",...}`, sorted: what changes when the set of series does. */
export function seriesOf(json: MetricsJson): string[] {
  return json
    .flatMap((m) =>
      m.values.map((v) => {
        const labels = Object.entries(v.labels as Record<string, unknown>)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => `${k}="${String(x)}"`)
          .join(',');
        return `${(v as { metricName?: string }).metricName ?? m.name}{${labels}}`;
      }),
    )
    .sort();
}
