// The alerting rules (server/metrics/alerts.yaml) and the Grafana dashboard say what a real server
// declares: every expression parses as PromQL, every metric it names is one a server with a relay
// declares at /metrics (scraped over HTTP), the relay's shared-store gauges are aggregated with max and
// never summed over instances, each rule carries what an operator needs, and the README lists every
// metric and every alert. Where promtool is installed, `promtool check rules` and `promtool test rules`
// (test/fixtures/metrics/alerts.test.yaml: each alert firing and not firing) run too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../server/main.js';
import { SHARED_STORE_GAUGES } from '../../server/metrics/relay.js';
import { asPromql, firstAggregations, labelValuesSelector, metricNames, syntaxErrors } from './promql.js';

const root = new URL('../../', import.meta.url);
const rulesFile = new URL('server/metrics/alerts.yaml', root).pathname;
const rulesTests = new URL('test/fixtures/metrics/alerts.test.yaml', root).pathname;
const readme = readFileSync(new URL('server/README.md', root), 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (load(readFileSync(rulesFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(new URL('server/metrics/grafana-dashboard.json', root), 'utf8')) as { panels: Panel[]; templating: { list: { definition: string }[] } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Every query, named for where it is: each rule's expr, each dashboard target, each variable's query. */
const queries: { where: string; expr: string }[] = [
  ...rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })),
  ...panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ where: `panel "${p.title}" target ${i}`, expr: asPromql(t.expr) }))),
  ...dashboard.templating.list.map((v) => ({ where: `variable ${v.definition}`, expr: labelValuesSelector(v.definition) ?? v.definition })),
];

/** Series Prometheus makes itself for every target, not the server. */
const PROMETHEUS_OWN = ['up'];

/** The metric names a `/metrics` text declares (`# TYPE` lines), with a histogram's and a summary's series names. */
function declaredNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** What is wrong with one expression: its syntax errors and the names it selects that nothing declares. */
function problemsIn(expr: string, declared: Set<string>): string[] {
  const syntax = syntaxErrors(expr);
  if (syntax.length) return syntax;
  return metricNames(expr)
    .filter((n) => !declared.has(n) && !PROMETHEUS_OWN.includes(n))
    .map((n) => `names ${n}, which the server does not declare`);
}

let declared: Set<string>;
let scraped: string;

beforeAll(async () => {
  // A real server as an operator runs it: a channel with a relay destination, metrics on their own port.
  const dir = mkdtempSync(join(tmpdir(), 'ipk-alerts-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      channels: [{ id: 'chan-a', accountId: '1', appSecret: 'shh', destinations: [{ id: 'cc', url: 'http://127.0.0.1:9/', appSecret: 'cc-secret' }] }],
    }),
  );
  const server = await serve({ port: 0, env: { CONFIG: config, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', METRICS_PORT: '0' } });
  try {
    const res = await fetch(`${server.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    scraped = await res.text();
  } finally {
    await server.close();
  }
  declared = declaredNames(scraped);
}, 30_000);

describe('the checks themselves', () => {
  it('catch a syntax error and a misspelt metric name', () => {
    const names = new Set(['ipk_relay_forwards']);
    expect(problemsIn('max by (destination) (ipk_relay_forwards{state="dead"}) > 0', names)).toEqual([]);
    expect(problemsIn('max by (destination) (ipk_relay_forwardz{state="dead"}) > 0', names)).toEqual(['names ipk_relay_forwardz, which the server does not declare']);
    expect(problemsIn('max by (destination) (ipk_relay_forwards{state="dead"} > 0', names)).toEqual([expect.stringMatching(/^syntax error at \d+/)]);
    expect(problemsIn('sum(rate(ipk_relay_forwards[5m]) by (destination)', names)).not.toEqual([]);
    expect(firstAggregations('sum by (destination) (max by (destination, state) (ipk_relay_forwards)) + sum(ipk_relay_forwards) + ipk_relay_forwards', ['ipk_relay_forwards']).map((a) => a.aggregation)).toEqual(['max', 'sum', 'none']);
  });
});

describe('what a real server declares at /metrics', () => {
  it('includes the relay, the store, readiness and histograms by their series names', () => {
    for (const name of ['ipk_relay_forwards', 'ipk_relay_delivery_events_bucket', 'ipk_store_errors_total', 'ipk_ready', 'ipk_push_refused_total', 'nodejs_eventloop_lag_p99_seconds']) expect(declared).toContain(name);
  });

  it('is listed, metric by metric, in the README’s metrics table', () => {
    const table = readme.slice(readme.indexOf('| metric | type | labels |'));
    const listed = new Set([...table.slice(0, table.indexOf('\n\n')).matchAll(/`(ipk_[a-z0-9_]+)`/g)].map((m) => m[1]));
    const ours = [...scraped.matchAll(/^# TYPE (ipk_\S+) /gm)].map((m) => m[1]!);
    expect(ours.length).toBeGreaterThan(15);
    expect(ours.filter((n) => !listed.has(n))).toEqual([]);
  });
});

describe('the alerting rules and the dashboard', () => {
  it('parse as PromQL and name only metrics the server declares', () => {
    expect(rules.length).toBeGreaterThanOrEqual(10);
    expect(queries.length).toBeGreaterThan(rules.length + 25);
    expect(queries.flatMap(({ where, expr }) => problemsIn(expr, declared).map((p) => `${where}: ${p}`))).toEqual([]);
  });

  it('aggregate the gauges read from the shared store with max (or min) over instances, never sum', () => {
    const seen = queries.flatMap(({ where, expr }) => firstAggregations(expr, SHARED_STORE_GAUGES).map((a) => ({ where, ...a })));
    expect(new Set(seen.map((s) => s.metric))).toEqual(new Set(SHARED_STORE_GAUGES));
    expect(seen.filter((s) => s.aggregation !== 'max' && s.aggregation !== 'min')).toEqual([]);
  });

  it('each alert waits a stated time, has a severity, says what it means and what to do, and is in the README', () => {
    const start = readme.indexOf('### Alerting rules');
    expect(start, 'a section "### Alerting rules" in server/README.md').toBeGreaterThan(-1);
    const section = readme.slice(start);
    for (const r of rules) {
      expect(r.alert, r.expr).toMatch(/^Ipk[A-Za-z]+$/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description?.length, r.alert).toBeGreaterThan(150);
      expect(section, r.alert).toContain(`\`${r.alert}\``);
    }
  });

  it('pass promtool check rules and promtool test rules, where promtool is installed', () => {
    const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (version.error) {
      // CI does not install Prometheus: the checks above (grammar, names, aggregation) still run there.
      console.info('promtool is not installed: `promtool check rules` and `promtool test rules` not run');
      return;
    }
    const check = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    const unit = spawnSync('promtool', ['test', 'rules', rulesTests], { encoding: 'utf8' });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  }, 60_000);

  it("have promtool unit tests of each alert firing and of it staying quiet", () => {
    const cases = (load(readFileSync(rulesTests, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests.flatMap((t) => t.alert_rule_test);
    for (const r of rules) {
      expect(cases.some((c) => c.alertname === r.alert && c.exp_alerts.length > 0), `${r.alert} firing`).toBe(true);
      expect(cases.some((c) => c.alertname === r.alert && c.exp_alerts.length === 0), `${r.alert} quiet`).toBe(true);
    }
  });
});
