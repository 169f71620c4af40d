// The suites `npm run test:mutation` runs under Stryker: every suite that exercises the source in the
// test's own process, where Stryker can switch the active mutant. Left out are the suites that cannot see
// it: those that drive a browser (the page runs the built bundle), run a built copy in a child process
// (packing, the CLI's `serve`, durability under SIGKILL, Prism, the Arazzo runner, redocly) or only check
// the spec text. Those still run in `npm test`.
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
];

export default mergeConfig(base, defineConfig({ test: { exclude: outOfProcess, coverage: { enabled: false } } }));
