// The numbers under a conformance run: cases by verdict, the latency of the answers (nearest-rank
// percentiles) and the most common causes of deviation. Pure: the runner hands in the results.
import type { CaseResult } from './runner.js';

export interface Summary {
  cases: number;
  passed: number;
  failed: number;
  skipped: number;
  requests: number;
  /** Latency of the answered requests, in milliseconds; null when none answered. */
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  budgetMs: number;
  /** Requests with no answer within the budget. */
  overBudget: number;
  durationMs: number;
  /** The three most common causes of deviation, most cases first. */
  causes: { cause: string; cases: number }[];
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The most common causes of deviation: the same expectation met by the same answer, most cases first. */
export function commonCauses(cases: CaseResult[], top = 3): { cause: string; cases: number }[] {
  const counts = new Map<string, number>();
  for (const c of cases) {
    const f = c.findings[0];
    if (!f) continue;
    const cause = `expected ${f.expected}, got ${f.got.length > 80 ? `${f.got.slice(0, 80)}…` : f.got}`;
    counts.set(cause, (counts.get(cause) ?? 0) + 1);
  }
  return [...counts].map(([cause, n]) => ({ cause, cases: n })).sort((a, b) => b.cases - a.cases).slice(0, top);
}

export function summarize(cases: CaseResult[], budgetMs: number, durationMs: number): Summary {
  const requests = cases.flatMap((c) => c.requests);
  const answered = requests.filter((r) => r.status !== null).map((r) => r.ms).sort((a, b) => a - b);
  return {
    cases: cases.length,
    passed: cases.filter((c) => c.verdict === 'pass').length,
    failed: cases.filter((c) => c.verdict === 'fail').length,
    skipped: cases.filter((c) => c.verdict === 'skip').length,
    requests: requests.length,
    p50Ms: percentile(answered, 50),
    p95Ms: percentile(answered, 95),
    maxMs: answered.length ? answered[answered.length - 1]! : null,
    budgetMs,
    overBudget: requests.filter((r) => r.error === 'timeout').length,
    durationMs,
    causes: commonCauses(cases),
  };
}
