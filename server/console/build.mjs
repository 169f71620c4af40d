// Bundles the inbox console (server/console/main.ts and what it imports, the typed client included)
// into server/dist/console/console.js and copies its page and stylesheet beside it. `npm run build` runs
// this. The page imports the client by its package name; esbuild resolves it to the client's source
// through the repository's tsconfig.json `paths`, so the console needs no client build first.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);
const out = new URL('../dist/console/', import.meta.url);
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [fileURLToPath(new URL('main.ts', here))],
  outfile: fileURLToPath(new URL('console.js', out)),
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// The page runs in a browser: a node: module in the bundle would be a mistake, not a polyfill to ship.
const nodeImports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.path.startsWith('node:')).map((x) => x.path));
if (nodeImports.length) {
  console.error(`console: the bundle imports Node modules: ${[...new Set(nodeImports)].join(', ')}`);
  process.exit(1);
}

for (const file of ['index.html', 'console.css', 'favicon.ico']) copyFileSync(new URL(file, here), new URL(file, out));

const gz = (file) => gzipSync(readFileSync(new URL(file, out))).length;
const total = gz('console.js') + gz('console.css');
// stderr: `npm pack --json` runs this build through `prepare`, and its stdout must stay JSON.
console.error(`console: server/dist/console/console.js + console.css, ${(total / 1024).toFixed(1)} KiB gzipped`);
