// `npm run test:mutation`: Stryker mutates the core of both packages and runs, against each mutant, the
// tests that cover it (vitest.mutation.config.ts: the suites that run the source in-process).
// The core is the path a delivery takes and the client's own logic, listed in `core` below; see the
// README's "Test strength" for why the rest is not mutated (time on two cores) and for the equivalent
// mutants disabled in the code.
import { core } from './scripts/mutation-core.mjs';

// MUTATION_REPORT_DIR lets runs on part of the core (--mutate) keep their reports apart.
const reportDir = process.env.MUTATION_REPORT_DIR ?? 'reports/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would rerun every test for each; they are left out.
  ignoreStatic: true,
  mutate: core,
  // Four: Stryker gives half to TypeScript checkers and half to test runners; two runners keep both
  // cores busy (the checkers wait on them most of the time).
  concurrency: 4,
  dryRunTimeoutMinutes: 15,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${reportDir}/index.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  // `npm run test:mutation -- --incremental` reuses the last local run's verdicts for what did not change.
  incrementalFile: `${reportDir}/incremental.json`,
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
