// Mutation scores from a Stryker JSON report (mutation-testing-report-schema), per file and overall,
// and the thresholds issue 19 holds them to. Pure functions: scripts/mutation.mjs does the I/O.

/** Every core file, and all of them together, at least this (killed and timed-out mutants count). */
export const MIN_SCORE = 85;
/** All core files together, counting killed mutants only (a timeout is a weaker verdict). */
export const MIN_KILLED_SCORE = 80;

/** Counts for one list of mutants; compile and runtime errors and ignored mutants are not scored. */
export function tally(mutants) {
  const t = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, excluded: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') t.killed++;
    else if (m.status === 'Timeout') t.timeout++;
    else if (m.status === 'Survived') t.survived++;
    else if (m.status === 'NoCoverage') t.noCoverage++;
    else t.excluded++;
  }
  const valid = t.killed + t.timeout + t.survived + t.noCoverage;
  const pct = (n) => (valid === 0 ? 100 : Math.round((n / valid) * 1000) / 10);
  return { ...t, score: pct(t.killed + t.timeout), killedScore: pct(t.killed) };
}

/** Per-file tallies and the overall one. */
export function scoresOf(report) {
  const files = Object.fromEntries(Object.entries(report.files).map(([name, f]) => [name, tally(f.mutants)]));
  const overall = tally(Object.values(report.files).flatMap((f) => f.mutants));
  return { files, overall };
}

/** What falls short of the thresholds, one line each; empty when all is well. */
export function shortfalls({ files, overall }) {
  const out = [];
  for (const [name, t] of Object.entries(files)) if (t.score < MIN_SCORE) out.push(`${name}: ${t.score}% < ${MIN_SCORE}%`);
  if (overall.score < MIN_SCORE) out.push(`overall: ${overall.score}% < ${MIN_SCORE}%`);
  if (overall.killedScore < MIN_KILLED_SCORE) out.push(`overall, killed only: ${overall.killedScore}% < ${MIN_KILLED_SCORE}%`);
  return out;
}

