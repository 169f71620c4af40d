// Runs `ig-push` as a user does: a child process (the TypeScript source through tsx, so no build is needed).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const root = new URL('../..', import.meta.url).pathname;
export const fixture = (name: string) => `test/fixtures/cli/${name}`;
export const fixtureBytes = (name: string) => readFileSync(`${root}${fixture(name)}`);

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines. */
  lines: () => any[];
}

/** Runs `ig-push args…` with `input` on stdin; the IG_PUSH_* variables are cleared unless given in `env`. */
export function igPush(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, IG_PUSH_SECRET: undefined, IG_PUSH_URL: undefined, IG_PUSH_VERIFY_TOKEN: undefined, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, lines: () => stdout.trim().split('\n').map((l) => JSON.parse(l)) }));
    child.stdin.end(options.input ?? '');
  });
}
