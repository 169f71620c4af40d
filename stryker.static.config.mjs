// The second step of `npm run test:mutation`: the static mutants the first step left out (stryker.config.mjs
// ignores them, since each would rerun the whole in-process suite). scripts/mutation.mjs passes their
// exact places as `--mutate` ranges, and they run here against the quick suites of vitest.static.config.ts.
import base from './stryker.config.mjs';

const reportDir = process.env.MUTATION_STATIC_REPORT_DIR ?? 'reports/mutation-static';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.static.config.ts', related: true },
  ignoreStatic: false,
  // Each static mutant reloads the modules and runs its related quick suites: at the first step's 10 s
  // most ended as timeouts before a test finished (all 20 of setting-grammar.ts's in the push part's
  // first measure), a verdict that says nothing about the tests.
  timeoutMS: 60_000,
  htmlReporter: { fileName: `${reportDir}/index.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  incrementalFile: `${reportDir}/incremental.json`,
  // scripts/mutation.mjs judges the merged scores; this step alone would be judged on a handful.
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp-static',
};
