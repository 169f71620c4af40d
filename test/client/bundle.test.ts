// What each package pulls in at run time, read from esbuild's view of the sources (type-only imports
// vanish, as they do from the compiled code):
// - instagram-push-kit runs wherever fetch and Web Crypto do (browsers, edge workers): no node: imports,
//   small, and openapi-fetch its only package; the ig-push bundle inlines everything but the server,
//   which only `serve` loads, by package name.
// - instagram-push-kit-server needs only the packages it declares; it takes the contract's types from
//   the client's public entry, never from the client's source tree; its storage knows no HTTP.
import { build, type Metafile } from 'esbuild';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import clientPkg from '../../client/package.json' with { type: 'json' };
import serverPkg from '../../server/package.json' with { type: 'json' };

const root = new URL('../..', import.meta.url).pathname;
const clientDir = join(root, 'client');
const serverDir = join(root, 'server');

function sources(dir: string, skip: string[] = []): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return ['dist', 'node_modules', ...skip].includes(f) ? [] : sources(p, skip);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Bare specifiers (node: built-ins aside) that a bundle leaves to be imported at run time. */
const leftOut = (metafile: Metafile) =>
  [...new Set(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external && !x.path.startsWith('node:') && !builtinModules.includes(x.path)).map((x) => x.path)))].sort();

/**
 * The packages `entry` imports at run time, bundled or not. The repository's tsconfig `paths` map both
 * package names to their source, and esbuild follows them: `external` keeps a name a package.
 */
async function runtimePackages(entry: string, external: string[] = []): Promise<string[]> {
  const { metafile } = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', external, write: false, metafile: true, logLevel: 'silent' });
  return [...new Set(leftOut(metafile).map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2) : p.split('/').slice(0, 1)).join('/')))].sort();
}

/** Every import specifier written in `file`, type-only ones included. */
const specifiers = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('the client package', () => {
  it('bundles for a neutral platform with no node: imports, and stays small', async () => {
    const result = await build({
      entryPoints: [join(clientDir, 'index.ts')],
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      mainFields: ['module', 'main'],
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\brequire\(/);
    const gzipped = gzipSync(code).length;
    console.info(`client bundle: ${code.length} bytes, ${gzipped} gzipped`);
    expect(gzipped).toBeLessThan(20 * 1024);
  });

  it('no module under client/ but the CLI imports from node:', () => {
    for (const file of sources(clientDir, ['cli'])) expect(readFileSync(file, 'utf8'), file).not.toMatch(/from ['"]node:/);
  });

  it('needs openapi-fetch alone at run time, its one dependency', async () => {
    expect(await runtimePackages(join(clientDir, 'index.ts'))).toEqual(['openapi-fetch']);
    expect(Object.keys(clientPkg.dependencies)).toEqual(['openapi-fetch']);
    expect(clientPkg).not.toHaveProperty('scripts.install');
    expect(clientPkg).not.toHaveProperty('scripts.postinstall');
    expect(clientPkg).not.toHaveProperty('scripts.preinstall');
  });

  it('knows no server: only `ig-push serve` loads it, by package name, and the /server re-export names it', async () => {
    for (const file of sources(clientDir)) {
      const server = specifiers(file).filter((s) => s.includes('server'));
      expect(server, file).toEqual(file.endsWith('cli/serve.ts') ? ['instagram-push-kit-server', 'instagram-push-kit-server'] : []);
    }
    expect(readFileSync(join(clientDir, 'server.js'), 'utf8')).toMatch(/^export \* from 'instagram-push-kit-server';$/m);
    expect(clientPkg.peerDependenciesMeta['instagram-push-kit-server'].optional).toBe(true);
  });

  it('ig-push bundles commander, ajv and the spec, leaving out only the server package', async () => {
    const cli = join(clientDir, 'cli/main.ts');
    expect(await runtimePackages(cli, ['instagram-push-kit-server'])).toEqual(['ajv', 'ajv-formats', 'commander', 'instagram-push-kit-server', 'openapi-fetch']);
    // As scripts/build.mjs bundles it, minus the output file.
    const { metafile } = await build({ entryPoints: [cli], bundle: true, platform: 'node', format: 'esm', external: ['instagram-push-kit-server'], write: false, metafile: true, logLevel: 'silent' });
    expect(leftOut(metafile)).toEqual(['instagram-push-kit-server']);
    expect(Object.keys(metafile.inputs).some((p) => p.endsWith('generated/openapi.json'))).toBe(true);
  });
  it('instagram-push-kit/check is its own bundle: ajv and the spec inlined, no node: import, nothing of it in the main entry', async () => {
    const check = join(clientDir, 'check/index.ts');
    expect(await runtimePackages(check)).toEqual(['ajv', 'ajv-formats']);
    // As scripts/build.mjs bundles it: for a neutral platform, so a Node built-in would not even resolve.
    const { metafile } = await build({ entryPoints: [check], bundle: true, platform: 'neutral', mainFields: ['module', 'main'], format: 'esm', external: ['openapi-fetch'], write: false, metafile: true, logLevel: 'silent' });
    expect(leftOut(metafile)).toEqual([]);
    expect(Object.values(metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)).filter((p) => p.startsWith('node:') || builtinModules.includes(p))).toEqual([]);
    expect(Object.keys(metafile.inputs).some((p) => p.endsWith('generated/openapi.json'))).toBe(true);
    expect(clientPkg.exports['./check']).toEqual({ types: './dist/client/check/index.d.ts', import: './dist/check.js' });
  });
});

describe('the server package', () => {
  it('imports at run time only the packages it declares', async () => {
    // The client package by its name, as the compiled server would import it, not followed into its source.
    const packages = await runtimePackages(join(serverDir, 'index.ts'), ['instagram-push-kit']);
    const declared = Object.keys(serverPkg.dependencies);
    expect(packages.filter((p) => !declared.includes(p))).toEqual([]);
    expect(packages).toEqual(expect.arrayContaining(['better-sqlite3', 'express', 'pg', 'pino']));
  });

  it("takes the contract's types from the client's public entry, never from the client's source tree", () => {
    for (const file of sources(serverDir)) {
      const reaching = specifiers(file).filter((s) => /(^|\/)(client|generated)\//.test(s) || s.startsWith('instagram-push-kit/'));
      expect(reaching, file).toEqual([]);
    }
  });

  it('keeps storage free of HTTP: the inbox modules import neither express nor the routes', () => {
    for (const file of sources(join(serverDir, 'inbox'))) {
      const http = specifiers(file).filter((s) => /^(express|express-openapi-validator|node:http|node:https)$|\/routes\/|\.\.\/app\.js$/.test(s));
      expect(http, file).toEqual([]);
    }
  });
});
