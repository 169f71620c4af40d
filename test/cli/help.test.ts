// Every command documents itself and the exit codes; usage mistakes are one line on stderr and exit 2.
import { describe, expect, it } from 'vitest';
import pkg from '../../client/package.json' with { type: 'json' };
import { igPush } from './ig-push.js';

describe('ig-push help and usage', () => {
  it.each(['send', 'verify', 'validate', 'sign', 'check', 'trigger', 'serve'])('%s --help lists its options and the exit codes, and exits 0', async (command) => {
    const r = await igPush([command, '--help'], { child: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ig-push ${command} `, 'm'));
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}ok.*\n {2}1 {2}rejected.*\n {2}2 {2}usage.*\n {2}3 {2}network/);
  });

  it('prints the package version', async () => {
    expect((await igPush(['--version'], { child: true })).stdout.trim()).toBe(pkg.version);
  });

  it('exits 2 with one line on stderr for an unknown command or option', async () => {
    const command = await igPush(['sned'], { child: true });
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(command.stderr).toMatch(/^ig-push: unknown command 'sned'/);
    expect(command.stderr).toMatch(/Did you mean send\?/);
    const option = await igPush(['validate', '--jsno', 'x.json']);
    expect(option).toMatchObject({ code: 2, stdout: '' });
    expect(option.stderr.trim().split('\n')).toHaveLength(1);
    const number = await igPush(['send', 'x.json', '--url', 'http://127.0.0.1:1', '--retries', 'many']);
    expect(number).toMatchObject({ code: 2, stderr: "ig-push: option '--retries <n>' argument 'many' is invalid. expected an integer ≥ 0\n" });
  });

  it('exits 2 and shows the help when no command is given', async () => {
    const r = await igPush([], { child: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: ig-push/);
  });
});
