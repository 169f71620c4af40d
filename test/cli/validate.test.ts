// `ig-push validate`: offline checks against the bundled spec, each problem named by its JSON path.
import { describe, expect, it } from 'vitest';
import { fixture, fixtureBytes, igPush } from './ig-push.js';

describe('ig-push validate', () => {
  it('exits 0 when every file is a valid delivery', async () => {
    const r = await igPush(['validate', fixture('text-message.json'), fixture('batch.json'), fixture('non-ascii.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}test\/fixtures\/cli\/text-message\.json$/m);
    expect(r.stdout).toMatch(/^3\/3 valid, 0 invalid$/m);
  });

  it('exits 1 when any file is invalid, printing one line per problem as "file path: message"', async () => {
    const r = await igPush(['validate', fixture('text-message.json'), fixture('wrong-types.json'), fixture('not-json.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}test\/fixtures\/cli\/wrong-types\.json \/entry\/0\/time: must be number$/m);
    expect(r.stdout).toMatch(/^fail {2}test\/fixtures\/cli\/wrong-types\.json \/entry\/0\/messaging\/0\/message\/is_echo: must be boolean$/m);
    expect(r.stdout).toMatch(/^fail {2}test\/fixtures\/cli\/not-json\.json \(root\): not JSON/m);
    expect(r.stdout).toMatch(/^1\/3 valid, 2 invalid$/m);
    expect(r.stderr).toBe('');
  });

  it('prints a JSON line per file, then a summary, with --json', async () => {
    const r = await igPush(['validate', '--json', fixture('text-message.json'), fixture('wrong-types.json')]);
    expect(r.code).toBe(1);
    const [good, bad, summary] = r.lines();
    expect(good).toEqual({ file: fixture('text-message.json'), valid: true, problems: [] });
    expect(bad).toEqual({
      file: fixture('wrong-types.json'),
      valid: false,
      problems: [
        { path: '/entry/0/time', message: 'must be number' },
        { path: '/entry/0/messaging/0/message/is_echo', message: 'must be boolean' },
      ],
    });
    expect(summary).toEqual({ summary: { files: 2, valid: 1, invalid: 1 } });
  });

  it('reads standard input given as -', async () => {
    const r = await igPush(['validate', '--json', '-'], { input: fixtureBytes('wrong-types.json') });
    expect(r.code).toBe(1);
    expect(r.lines()).toEqual([expect.objectContaining({ file: '-', valid: false })]);
  });

  it('exits 2 with a one-line error for a file it cannot read, before checking any', async () => {
    const r = await igPush(['validate', fixture('text-message.json'), 'test/fixtures/cli/missing.json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ig-push: cannot read test/fixtures/cli/missing.json: no such file\n');
  });
});
