// The breaking-change guard: compares the spec against the last released one (openapi/released/) with
// `redocly diff` and fails on a change that needs a major version, unless info.version's major was raised.
// Usage: node scripts/breaking-change.mjs [released.json] [current.json]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { redoclyEnv } from './redocly.mjs';

const [released = 'openapi/released/openapi.json', current = 'generated/openapi.json'] = process.argv.slice(2);
const major = (file) => Number(JSON.parse(readFileSync(file, 'utf8')).info.version.split('.')[0]);

const cli = new URL('../node_modules/@redocly/cli/bin/cli.js', import.meta.url).pathname;
const r = spawnSync(process.execPath, [cli, 'diff', released, current, '--fail-on', 'major', '--format', 'json', '--config', 'openapi/released/redocly-diff.yaml'], { env: redoclyEnv, encoding: 'utf8' });
const raised = major(current) > major(released);
if (r.status === 0) {
  console.log(`breaking-change guard: no breaking change against ${released}`);
} else if (raised) {
  console.log(`breaking-change guard: breaking changes, and info.version's major was raised (${major(released)} → ${major(current)}): allowed`);
} else {
  const report = (r.stdout || '').trim();
  console.error(`breaking-change guard: ${current} breaks clients of ${released} and info.version's major was not raised.`);
  console.error(report.slice(0, 4000) || r.stderr);
  console.error('Either make the change compatible, or raise the major version (and release it: see CONTRIBUTING.md, "Releasing a spec version").');
  process.exit(1);
}
