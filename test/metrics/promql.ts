// Reads PromQL with Prometheus' own grammar (@prometheus-io/lezer-promql, the parser of Prometheus' web
// UI), for the tests of the alerting rules and the dashboard: syntax errors, the metric names an
// expression selects, and how each selector of a given metric is first aggregated.
import { parser } from '@prometheus-io/lezer-promql';

type Tree = ReturnType<typeof parser.parse>;
type SyntaxNode = Tree['topNode'];

/** Grafana's interval variables, as a duration PromQL accepts; other `$variables` sit inside label values. */
const GRAFANA_INTERVALS = /\$__(rate_interval|interval|range)\b/g;

/** A Grafana query as Prometheus receives it once Grafana has put in its variables. */
export function asPromql(query: string): string {
  return query.replace(GRAFANA_INTERVALS, '5m');
}

/**
 * Grafana's `label_values(metric, label)` (a variable's query, not PromQL): the selector inside it, or
 * undefined for a query that is not one.
 */
export function labelValuesSelector(query: string): string | undefined {
  return /^\s*label_values\(\s*([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s*,\s*[a-zA-Z_]\w*\s*\)\s*$/.exec(query)?.[1];
}

function parse(expr: string): Tree {
  return parser.parse(expr);
}

function each(tree: Tree, visit: (node: SyntaxNode) => void): void {
  tree.iterate({ enter: (ref) => visit(ref.node) });
}

/** Where the grammar could not read the expression: one line per error, with the text around it. */
export function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  if (expr.trim() === '') return ['empty expression'];
  each(parse(expr), (node) => {
    if (node.type.isError) errors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from)}⟨here⟩${expr.slice(node.from, node.from + 20)}…`);
  });
  return errors;
}

/** The metric names the expression's selectors name (`name{…}` and `name{…}[5m]`). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  each(parse(expr), (node) => {
    if (node.name === 'Identifier' && node.parent?.name === 'VectorSelector') names.add(expr.slice(node.from, node.to));
    // A selector by {__name__=…} would hide its metric from this check: say so rather than pass it.
    if (node.name === 'LabelName' && expr.slice(node.from, node.to) === '__name__') names.add(`{__name__=…} at ${node.from}`);
  });
  return [...names];
}

/**
 * For each selector of one of `metrics`: the first aggregation it goes through (`max`, `sum`, …), or
 * `none` when none does (its series then show once per scraped instance).
 */
export function firstAggregations(expr: string, metrics: readonly string[]): { metric: string; aggregation: string }[] {
  const found: { metric: string; aggregation: string }[] = [];
  each(parse(expr), (node) => {
    if (node.name !== 'Identifier' || node.parent?.name !== 'VectorSelector') return;
    const metric = expr.slice(node.from, node.to);
    if (!metrics.includes(metric)) return;
    let up: SyntaxNode | null = node.parent;
    while (up && up.name !== 'AggregateExpr') up = up.parent;
    const op = up?.getChild('AggregateOp');
    found.push({ metric, aggregation: op ? expr.slice(op.from, op.to).toLowerCase() : 'none' });
  });
  return found;
}
