// The breaking-change guard passes the current spec, fails a breaking change, and lets it through once
// info.version's major is raised.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const guard = (...args: string[]) => spawnSync(process.execPath, ['scripts/breaking-change.mjs', ...args], { cwd: root, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'ipk-diff-'));
const variant = (name: string, change: (spec: any) => void) => {
  const spec = JSON.parse(readFileSync(join(root, 'generated/openapi.json'), 'utf8'));
  change(spec);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
};

describe('the breaking-change guard', () => {
  it('passes the current spec against the released one', () => {
    const r = guard();
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
  it('fails a newly required request property without a major version', () => {
    const r = guard('openapi/released/openapi.json', variant('required', (s) => (s.components.schemas.Message.required = ['mid'])));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/breaks clients/);
  });
  it('fails a removed operation', () => {
    const r = guard('openapi/released/openapi.json', variant('removed', (s) => delete s.paths['/apiaccess/api/instagram/message'].get));
    expect(r.status).toBe(1);
  });
  it('allows the breaking change once the major version is raised', () => {
    const r = guard('openapi/released/openapi.json', variant('major', (s) => {
      s.components.schemas.Message.required = ['mid'];
      s.info.version = `${Number(s.info.version.split('.')[0]) + 1}.0.0`;
    }));
    expect(r.status, r.stderr).toBe(0);
  });
  it('passes an added optional property (a minor change)', () => {
    const r = guard('openapi/released/openapi.json', variant('minor', (s) => (s.components.schemas.Message.properties.new_field = { type: 'string', description: 'new' })));
    expect(r.status, r.stderr).toBe(0);
  });
});
