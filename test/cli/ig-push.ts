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

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Force a child process (always used with `input`, and for `serve`). */
  child?: boolean;
}

const parseLines = (stdout: string) => () => stdout.trim().split('\n').map((l) => JSON.parse(l));

/**
 * Runs the same `run(argv)` the executable runs, in this process, capturing stdout and stderr, so the
 * command modules count in coverage. Tests that need stdin, signals or a separate process use a child.
 */
async function igPushInProcess(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const { run } = await import('../../client/cli/program.js');
  const saved = { ...process.env };
  const writes = { out: process.stdout.write, err: process.stderr.write };
  let stdout = '';
  let stderr = '';
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await run(['node', 'ig-push', ...args]);
    return { code, stdout, stderr, lines: parseLines(stdout) };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    process.exitCode = undefined;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** Runs `ig-push args…` with `input` on stdin; the IG_PUSH_* variables are cleared unless given in `env`. */
export function igPush(args: string[], options: RunOptions = {}): Promise<Run> {
  if (!options.child && options.input === undefined && args[0] !== 'serve') {
    return igPushInProcess(args, { IG_PUSH_SECRET: undefined, IG_PUSH_URL: undefined, IG_PUSH_VERIFY_TOKEN: undefined, ...options.env });
  }
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
