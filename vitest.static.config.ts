// The suites static mutants run against (stryker.static.config.mjs). A static mutant changes what a
// module does as it loads (a table, a schema, a constant), so Stryker cannot tell which test covers it
// and runs every test for each one, reloading the modules. These are the quick suites that load each
// core file directly and check its tables and constants, a few seconds in all; vitest's `related` then
// narrows each run to the ones that import the mutated file. The end-to-end suites would catch these
// mutants too, at minutes per mutant, so a static mutant that survives here is a lower bound too.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export const staticSuites = [
  'test/push/signature-edges.test.ts',
  'test/push/body-edges.test.ts',
  'test/push/finite-numbers.test.ts',
  'test/push/push-path.test.ts',
  'test/push/delivery-limits.test.ts',
  'test/push/json-depth.test.ts',
  'test/push/signature.test.ts',
  'test/push/channels.test.ts',
  'test/inbox/delivery-events.test.ts',
  'test/events/kinds.test.ts',
  'test/run/settings.test.ts',
  'test/run/setting-grammar.test.ts',
  'test/run/config-values.test.ts',
  'test/http/bearer-guard.test.ts',
  'test/inbox/turn-batch.test.ts',
  'test/inbox/worker-client.test.ts',
  'test/inbox/sqlite-commit.test.ts',
  'test/relay/policy.test.ts',
  'test/relay/config.test.ts',
  'test/relay/batching.test.ts',
  'test/relay/drift.test.ts',
  'test/relay/sender.test.ts',
  'test/relay/sqlite-claim.test.ts',
  'test/client/options.test.ts',
  'test/client/retries.test.ts',
  'test/client/verify-edges.test.ts',
];

// scripts/mutation.mjs runs the static step once per set of suites (staticSuitesOf in
// scripts/mutation-core.mjs), naming them here.
const only = process.env.MUTATION_STATIC_SUITES?.split(',').filter(Boolean);

// Not mergeConfig: it would add these to the base's `include` (every suite) instead of replacing it.
export default defineConfig({ ...base, test: { ...base.test, include: only?.length ? only : staticSuites, coverage: { enabled: false } } });
