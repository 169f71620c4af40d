// Runs the pinned Redocly CLI with telemetry and update checks off, so no script here phones home.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

export const redoclyEnv = {
  ...process.env,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
};

const require = createRequire(import.meta.url);
const cli = require.resolve('@redocly/cli/bin/cli.js');

/** Runs `redocly <args>`; returns the exit status (output goes to this process's stdio). */
export function redocly(args, { quiet = false } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: redoclyEnv,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
  if (quiet && r.status !== 0) process.stderr.write(`${r.stdout}${r.stderr}`);
  return r.status ?? 1;
}

const SPEC = 'openapi/openapi.yaml';
const presets = {
  lint: [['lint']],
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const [verb, ...rest] = process.argv.slice(2);
  if (verb === 'build-docs' && rest.length === 0) {
    // The docs page needs post-processing; scripts/build-docs.mjs owns that.
    const r = spawnSync(process.execPath, [new URL('./build-docs.mjs', import.meta.url).pathname], { stdio: 'inherit', env: redoclyEnv });
    process.exit(r.status ?? 1);
  }
  // `score` with no document scores the spec (redocly.yaml's `apis` also lists the Arazzo flows, which it cannot score).
  const runs = verb === 'score' && !rest.some((a) => !a.startsWith('-')) ? [['score', SPEC, ...rest]] : (presets[verb] ?? [[verb, ...rest]]);
  for (const args of runs) {
    const status = redocly(args);
    if (status !== 0) process.exit(status);
  }
}
