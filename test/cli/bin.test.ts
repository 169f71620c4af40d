// `npx ig-push` from a clone: npm links a workspace's bin when it installs, before `prepare` builds dist/,
// so the bin must be a file the repository holds, executable, that runs the built command line.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import lock from '../../package-lock.json' with { type: 'json' };
import pkg from '../../client/package.json' with { type: 'json' };
import { root } from './ig-push.js';

describe('the ig-push bin', () => {
  it('is a committed, executable file (not a build output), named alike in package.json and the lock file', () => {
    const bin = pkg.bin['ig-push'].replace(/^\.\//, '');
    expect(bin).not.toMatch(/^dist\//);
    expect((lock.packages as Record<string, { bin?: Record<string, string> }>).client!.bin).toEqual({ 'ig-push': bin });
    expect(execFileSync('git', ['ls-files', `client/${bin}`], { cwd: root, encoding: 'utf8' }).trim()).toBe(`client/${bin}`);
    expect(statSync(`${root}client/${bin}`).mode & 0o111).not.toBe(0);
  });

  it('runs the built command line', () => {
    const r = spawnSync(process.execPath, [`${root}client/${pkg.bin['ig-push']}`, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});
