// `npm run build`: build both packages into their own folders, the client first (the server's .d.ts
// import it by name):
//   client/dist/client/   the compiled client with .d.ts; client/dist/generated/ the contract's types
//   client/dist/ig-push.js the command line, one file with commander, ajv and the spec inlined (the
//                          inlined packages' licences beside it, ig-push.js.LICENSE.txt)
//   client/dist/check.js   `instagram-push-kit/check`, one file with ajv and the spec inlined (licences in
//                          check.js.LICENSE.txt), its .d.ts under client/dist/client/check/
//   server/dist/server/   the compiled server with .d.ts; server/dist/generated/openapi.json the bundled spec
//   server/dist/docs/     the offline docs page; server/dist/console/ the inbox console bundle
// `--if-stale` skips the work when every output is newer than every source (what `npm start`, `npm test`
// and each package's `prepack` use). Progress goes to stderr: `npm pack --json` runs this and parses stdout.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildDocs } from './build-docs.mjs';

// npm runs a workspace's scripts in its folder: work from the repository root whatever the caller.
process.chdir(new URL('..', import.meta.url).pathname);

const sources = ['server', 'client', 'generated', 'openapi', 'scripts', 'package.json', 'tsconfig.json'];
// Inside the source folders, these are outputs or installs, not sources.
const skip = new Set(['dist', 'node_modules']);
const stamp = 'node_modules/.cache/instagram-push-kit/build-stamp';
const outputs = ['client/dist/client/index.js', 'client/dist/ig-push.js', 'client/dist/check.js', 'server/dist/server/main.js', 'server/dist/generated/openapi.json', 'server/dist/docs/index.html', 'server/dist/console/console.js'];

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).filter((f) => !skip.has(f)).map((f) => newest(join(path, f))));
}

if (process.argv.includes('--if-stale') && existsSync(stamp) && outputs.every(existsSync)) {
  const built = statSync(stamp).mtimeMs;
  if (sources.filter(existsSync).every((s) => newest(s) <= built)) process.exit(0);
}

function run(label, args) {
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(r.status ?? 1);
  }
}

const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname;

/** The name, version and licence text of every package a bundle inlines (their licences ask for it). */
function bundledLicences(metafile) {
  const roots = new Set(Object.keys(metafile.inputs).map((p) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]).filter(Boolean));
  return [...roots]
    .sort()
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      return `${pkg.name}@${pkg.version} (${pkg.license})\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : `licence: ${pkg.license}`}\n`;
    })
    .join(`\n${'-'.repeat(72)}\n\n`);
}

// Compiled output is rebuilt from nothing, so a renamed or deleted module never lingers in a tarball.
// The docs page and the console are whole files, overwritten in place (tests may be reading them).
for (const dir of ['client/dist', 'server/dist/server', 'server/dist/generated']) rmSync(dir, { recursive: true, force: true });

// 1. instagram-push-kit
run('tsc (client)', [tsc, '-p', 'client/tsconfig.build.json']);
// commander, ajv and ajv-formats are CommonJS and require Node built-ins: an ESM bundle needs a real
// `require` for those. The server package stays outside, loaded by `ig-push serve` when installed.
const cli = await build({
  absWorkingDir: process.cwd(),
  entryPoints: ['client/cli/main.ts'],
  outfile: 'client/dist/ig-push.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['instagram-push-kit-server'],
  banner: {
    js: "// Bundled packages and their licences: ig-push.js.LICENSE.txt\nimport { createRequire as __igPushCreateRequire } from 'node:module';\nconst require = __igPushCreateRequire(import.meta.url);",
  },
  legalComments: 'inline',
  metafile: true,
  logLevel: 'warning',
});
chmodSync('client/dist/ig-push.js', 0o755);
writeFileSync('client/dist/ig-push.js.LICENSE.txt', bundledLicences(cli.metafile));
// The conformance cases, out of the main entry so `import { createPushClient }` stays small. They need
// Ajv and the spec, inlined like ig-push's; no Node built-in, so any runtime with fetch runs them.
const check = await build({
  absWorkingDir: process.cwd(),
  entryPoints: ['client/check/index.ts'],
  outfile: 'client/dist/check.js',
  bundle: true,
  platform: 'neutral',
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  external: ['openapi-fetch'],
  banner: { js: '// Bundled packages and their licences: check.js.LICENSE.txt' },
  legalComments: 'inline',
  metafile: true,
  logLevel: 'warning',
});
writeFileSync('client/dist/check.js.LICENSE.txt', bundledLicences(check.metafile));
run('tsc (check declarations)', [tsc, '-p', 'client/tsconfig.check.json']);

// 2. instagram-push-kit-server
run('tsc (server)', [tsc, '-p', 'server/tsconfig.build.json']);
chmodSync('server/dist/server/main.js', 0o755);
mkdirSync('server/dist/generated', { recursive: true });
cpSync('generated/openapi.json', 'server/dist/generated/openapi.json');
if (buildDocs() !== 0) {
  console.error('build: redocly build-docs failed');
  process.exit(1);
}
run('console', ['server/console/build.mjs']);

mkdirSync(join(stamp, '..'), { recursive: true });
writeFileSync(stamp, new Date().toISOString());
