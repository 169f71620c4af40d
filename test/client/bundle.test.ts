// The client runs wherever fetch and Web Crypto do (browsers, edge workers): its bundle has no Node imports.
import { build } from 'esbuild';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const clientDir = new URL('../../client/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'cli' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('the client bundle', () => {
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
    for (const file of sources(clientDir)) expect(readFileSync(file, 'utf8'), file).not.toMatch(/from ['"]node:/);
  });
});
