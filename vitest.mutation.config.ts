// The suites `npm run test:mutation` runs under Stryker: every suite that exercises the source in the
// test's own process, where Stryker can switch the active mutant. Left out are the suites that cannot see
// it: those that drive a browser (the page runs the built bundle), run a built copy in a child process
// (packing, the CLI's `serve`, durability and the relay's crash safety under SIGKILL, Prism, the Arazzo
// runner, redocly) or only check the spec text. Those still run in `npm test`.
// Also left out, for time: the end-to-end suites that cover nearly every mutant and take seconds each
// (ig-push check's 38 cases, the property tests with thousands of deliveries, the timeout suites that
// wait out real timers, the suites that spawn a server process). Every mutant would rerun them, which
// made a full run take hours on two cores. Without them the score is a lower bound of the whole suite's.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export const outOfProcess = [
  'test/console/**',
  'test/docs/**',
  'test/package/**',
  'test/support-resolution/**',
  'test/contract/arazzo.test.ts',
  'test/contract/breaking-change.test.ts',
  'test/contract/spec.test.ts',
  'test/client/prism.test.ts',
  'test/client/bundle.test.ts',
  'test/cli/serve.test.ts',
  'test/server/durability.test.ts',
  'test/inbox/scale-out.test.ts',
  'test/relay/crash.test.ts',
  // Issue 35's operator suites: each drives server processes (start-up failures, the relay's log and
  // drift across restarts, several instances on one database) or only checks text (alert rules, the score).
  'test/run/store-startup.test.ts',
  'test/relay/relay-log-server.test.ts',
  'test/relay/destination-dies.test.ts',
  'test/relay/postgres-instances.test.ts',
  'test/relay/configuration-drift.test.ts',
  'test/metrics/alerts.test.ts',
  'test/contract/score.test.ts',
  // Reads what git tracks; Stryker's sandbox is a copy, not a checkout.
  'test/cli/bin.test.ts',
];

export const slowEndToEnd = [
  'test/cli/check.test.ts',
  'test/cli/help.test.ts',
  'test/client/check.test.ts',
  'test/contract/generated-cases.test.ts',
  'test/server/read-back.test.ts',
  'test/server/slow-clients.test.ts',
  'test/http/http-server.test.ts',
  'test/run/config.test.ts',
  'test/server/operations.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: [...outOfProcess, ...slowEndToEnd], coverage: { enabled: false } } }));
