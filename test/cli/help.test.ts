// Every command documents itself and the exit codes; usage mistakes are one line on stderr and exit 2.
import { describe, expect, it } from 'vitest';
import pkg from '../../client/package.json' with { type: 'json' };
import { igPush } from './ig-push.js';

describe('ig-push help and usage', () => {
  const codes: Record<string, number[]> = { send: [0, 1, 2, 3], verify: [0, 1, 2, 3], check: [0, 1, 2, 3], trigger: [0, 1, 2, 3], validate: [0, 1, 2], sign: [0, 2], serve: [0, 1, 2] };
  it.each(Object.keys(codes))('%s --help lists its options and only the exit codes it can return, and exits 0', async (command) => {
    const r = await igPush([command, '--help'], { child: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ig-push ${command} `, 'm'));
    const listed = [...r.stdout.slice(r.stdout.indexOf('Exit codes:')).matchAll(/^ {2}(\d) {2}/gm)].map((m) => Number(m[1]));
    expect(listed).toEqual(codes[command]);
    if (codes[command]!.includes(3)) expect(r.stdout).toMatch(/^ {2}3 {2}no answer: the receiver could not be reached, or answered nothing within the time allowed$/m);
    if (command === 'sign') expect(r.stdout).not.toContain('receiver');
    // serve runs a server: its codes say so, not what a push's codes mean.
    if (command === 'serve') {
      expect(r.stdout).toMatch(/^ {2}0 {2}stopped by SIGINT or SIGTERM/m);
      expect(r.stdout).toMatch(/^ {2}1 {2}the server failed to start/m);
      expect(r.stdout).not.toContain('every delivery accepted');
    }
  });

  it('reports an unknown option first, with "did you mean", before a missing one', async () => {
    const r = await igPush(['send', 'good.json', '--uri', 'http://127.0.0.1:1']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^ig-push: unknown option '--uri' \(Did you mean --url\?\)\n$/);
  });

  it('takes durations as the server does (500ms, 5s, 1m, 1h, 3d, bare milliseconds) and says so when it cannot', async () => {
    const { duration } = await import('../../client/cli/options.js');
    const parse = duration(1);
    expect([parse('5s'), parse('500ms'), parse('1m'), parse('250'), parse('1.5s'), parse('1h'), parse('3d'), parse('2W')]).toEqual([5000, 500, 60_000, 250, 1500, 3_600_000, 259_200_000, 1_209_600_000]);
    expect(() => parse('25d')).toThrow(/at most 24 days/);
    expect(() => parse('soon')).toThrow(/expected a duration of at least 1 ms, e\.g\. 500ms, 5s, 1m/);
    expect(() => parse('0s')).toThrow(/at least 1 ms/);
    const bad = await igPush(['send', 'x.json', '--url', 'http://127.0.0.1:1', '--timeout', 'soon']);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toMatch(/^ig-push: option '--timeout <duration>' argument 'soon' is invalid\. expected a duration/);
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
