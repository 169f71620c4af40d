// `npm run build`: compile server/ and client/ to dist/ with declarations, ship the bundled spec beside
// them, build the offline docs page, and bundle the inbox console when its source exists.
// `--if-stale` skips the work when dist/ is newer than every source file (what `npm start` uses).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { buildDocs } from './build-docs.mjs';

const sources = ['server', 'client', 'generated', 'openapi', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const stamp = 'dist/.build-stamp';

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (sources.filter(existsSync).every((s) => newest(s) <= built)) process.exit(0);
}

function run(label, cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(r.status ?? 1);
  }
}

const bin = (name) => new URL(`../node_modules/${name}`, import.meta.url).pathname;

run('tsc', process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
mkdirSync('dist/generated', { recursive: true });
cpSync('generated/openapi.json', 'dist/generated/openapi.json');
if (existsSync('dist/client/cli/main.js')) chmodSync('dist/client/cli/main.js', 0o755);
if (buildDocs() !== 0) {
  console.error('build: redocly build-docs failed');
  process.exit(1);
}
if (existsSync('server/console/build.mjs')) run('console', process.execPath, ['server/console/build.mjs']);
mkdirSync('dist', { recursive: true });
import('node:fs').then(({ writeFileSync }) => writeFileSync(stamp, new Date().toISOString()));
