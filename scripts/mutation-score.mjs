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

/**
 * Per-file tallies and the overall one, and the same for the static mutants alone, shown beside the
 * others: those Stryker marks static (code run as a module loads; run against their tests when tests
 * cover them too) and those the static step of scripts/mutation.mjs measured (marked `staticStep`).
 */
export function scoresOf(report) {
  const entries = Object.entries(report.files);
  const files = Object.fromEntries(entries.map(([name, f]) => [name, tally(f.mutants)]));
  const overall = tally(entries.flatMap(([, f]) => f.mutants));
  const isStatic = (m) => m.static === true || m.staticStep === true;
  const staticFiles = Object.fromEntries(entries.map(([name, f]) => [name, tally(f.mutants.filter(isStatic))]));
  return { files, overall, staticFiles, static: tally(entries.flatMap(([, f]) => f.mutants.filter(isStatic))) };
}

/** What falls short of the thresholds, one line each; empty when all is well. */
export function shortfalls({ files, overall }) {
  const out = [];
  for (const [name, t] of Object.entries(files)) if (t.score < MIN_SCORE) out.push(`${name}: ${t.score}% < ${MIN_SCORE}%`);
  if (overall.score < MIN_SCORE) out.push(`overall: ${overall.score}% < ${MIN_SCORE}%`);
  if (overall.killedScore < MIN_KILLED_SCORE) out.push(`overall, killed only: ${overall.killedScore}% < ${MIN_KILLED_SCORE}%`);
  return out;
}

/**
 * The static mutants the second step judges: those Stryker left out, and those it ran against their
 * covering tests that survived. The latter's verdict says nothing: the first step switches a mutant on
 * once a suite has loaded its modules, so code that runs as a module loads never saw it.
 */
const secondStep = (m) => m.static === true && (m.status === 'Ignored' || m.status === 'Survived');

/** The second step's mutants, each as a `--mutate` range of its exact place (lines 1-based, columns 0-based there, 1-based in reports). */
export function staticRanges(files) {
  return Object.entries(files).flatMap(([file, f]) =>
    f.mutants.filter(secondStep).map(({ location: { start, end } }) => `${file}:${start.line}:${start.column - 1}-${end.line}:${end.column - 1}`),
  );
}

/**
 * The second step's ranges grouped by the quick suites their files run against (`suitesOf`: file to
 * suites; a file not in it gets an empty list, which means every quick suite), one group per set.
 */
export function staticGroups(files, suitesOf) {
  const groups = new Map();
  for (const [file, f] of Object.entries(files)) {
    const ranges = staticRanges({ [file]: f });
    if (!ranges.length) continue;
    const suites = suitesOf[file] ?? [];
    const key = suites.join(',');
    if (!groups.has(key)) groups.set(key, { suites, ranges: [] });
    groups.get(key).ranges.push(...ranges);
  }
  return [...groups.values()];
}

const sameMutant = (a, b) => a.mutatorName === b.mutatorName && a.replacement === b.replacement && JSON.stringify(a.location) === JSON.stringify(b.location);

/** Puts the static step's verdicts in place of the first step's, marking each `staticStep`; one it did not reach keeps its first verdict. */
export function mergeStatic(files, statics) {
  for (const [file, f] of Object.entries(files)) {
    const measured = statics[file]?.mutants ?? [];
    f.mutants = f.mutants.map((m) => {
      if (!secondStep(m)) return m;
      const verdict = measured.find((s) => sameMutant(s, m));
      return verdict ? { ...verdict, id: m.id, static: true, staticStep: true } : { ...m, staticStep: true };
    });
  }
}
