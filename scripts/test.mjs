// `npm test`: every check, in order, stopping at the first failure.
// 1 type-check (includes the type tests), 2 build what the tests serve (docs page, console bundle),
// 3 the vitest suite with coverage thresholds, 4 the breaking-change guard against the released spec,
// 5 which core files changed since their mutation score was measured.
import { spawnSync } from 'node:child_process';

const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
const bin = (p) => new URL(`../node_modules/${p}`, import.meta.url).pathname;

const steps = [
  ['type-check', [bin('typescript/bin/tsc'), '-p', 'tsconfig.json']],
  ['build', ['scripts/build.mjs', '--if-stale']],
  ['vitest', [bin('vitest/vitest.mjs'), 'run', '--coverage', ...process.argv.slice(2)]],
];
steps.push(['breaking-change guard', ['scripts/breaking-change.mjs']]);
// A notice, never a failure: the mutation run takes too long for every run (CONTRIBUTING.md, "Test strength").
steps.push(['mutation score record', ['scripts/mutation.mjs', 'status']]);

for (const [label, args] of steps) {
  const started = Date.now();
  console.log(`\n▶ ${label}`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`\n✖ npm test: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  console.log(`✔ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
