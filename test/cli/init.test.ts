// `ig-push init` and the README's five-minute walkthrough, run as a newcomer runs it: the built CLI
// writes config.json, the built server starts with it, the printed trigger command sends an event that
// the inbox (what the console reads) shows, and the printed check command finds every case conforming.
// Needs `npm run build` first (`npm test` builds).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSecrets, nextCommands } from '../../client/cli/init.js';
import { parseConfig } from '../../server/run/config.js';
import { freePort } from '../support/process.js';
import { igPush, root } from './ig-push.js';

const dir = mkdtempSync(join(tmpdir(), 'ipk-init-'));
const builtCli = join(root, 'client/dist/ig-push.js');
const builtServer = join(root, 'server/dist/server/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, IG_PUSH_SECRET: '', IG_PUSH_URL: '', IG_PUSH_VERIFY_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The printed command after `label`, split into words (init prints only shell-safe words). */
function printed(stdout: string, label: string): string[] {
  const line = stdout.split('\n').find((l) => l.includes(label));
  if (!line) throw new Error(`no "${label}" line in:\n${stdout}`);
  return line.slice(line.indexOf(label) + label.length).trim().split(/\s+/);
}

const stops: (() => void)[] = [];
afterAll(() => stops.forEach((stop) => stop()));

describe('the five-minute walkthrough: init → npm start → trigger text → the console → check --yes', () => {
  it('passes end to end with the built CLI and server, every check case conforming', async () => {
    const port = await freePort();
    const work = mkdtempSync(join(dir, 'walk-'));
    // 1. ig-push init
    const init = await run([builtCli, 'init', '--port', String(port)], work);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const config = JSON.parse(readFileSync(join(work, 'config.json'), 'utf8'));

    // 2. CONFIG=config.json npm start (npm start runs the built server: the same file, same env)
    const start = printed(init.stdout, 'start the server (another terminal):');
    expect(start).toEqual([`PORT=${port}`, 'CONFIG=config.json', 'npm', 'start']);
    const server = spawn(process.execPath, [builtServer], {
      cwd: work,
      env: { ...process.env, PORT: String(port), CONFIG: 'config.json', DATA_DIR: join(work, 'data'), LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    server.stdout.on('data', (d) => (log += d));
    server.stderr.on('data', (d) => (log += d));
    stops.push(() => server.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 200))) {
      if (server.exitCode !== null) throw new Error(`server exited:\n${log}`);
      ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    }
    expect(log).not.toMatch(/OPEN SANDBOX/);

    // 3. ig-push trigger text …
    const trigger = printed(init.stdout, 'send an event:');
    expect(trigger.slice(0, 4)).toEqual(['npx', 'ig-push', 'trigger', 'text']);
    const sent = await run([builtCli, ...trigger.slice(2)], work);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^ok {4}text {2}200 /);

    // 4. the console: its page, and the inbox it reads with the token the fragment carries
    const consoleUrl = new URL(printed(init.stdout, 'and see it in the console:')[0]!);
    expect(consoleUrl.origin).toBe(base);
    expect((await fetch(`${base}${consoleUrl.pathname}`)).status).toBe(200);
    const token = new URLSearchParams(consoleUrl.hash.slice(1)).get('token');
    expect(token).toBe(config.inboxToken);
    expect((await fetch(`${base}/inbox/messages`)).status).toBe(401);
    const inbox = await (await fetch(`${base}/inbox/messages?channel=${config.channels[0].id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(inbox.items.map((i: { kind: string }) => i.kind)).toEqual(['text']);

    // 5. ig-push check … --yes
    const check = printed(init.stdout, 'check the receiver:');
    expect(check.slice(0, 3)).toEqual(['npx', 'ig-push', 'check']);
    expect(check.at(-1)).toBe('--yes');
    const checked = await run([builtCli, ...check.slice(2)], work);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const summary = /(\d+) cases: (\d+) conform, (\d+) deviate, (\d+) skipped/.exec(checked.stdout);
    expect(summary, checked.stdout).not.toBeNull();
    const [, cases, conform, deviate, skipped] = summary!.map(Number);
    expect([deviate, skipped]).toEqual([0, 0]);
    expect(conform).toBe(cases);
    expect(conform).toBeGreaterThan(30);
    server.kill('SIGTERM');
  }, 240_000);
});

describe('ig-push init', () => {
  it('writes a configuration the server takes, with fresh secrets, readable by its owner only', async () => {
    const file = join(dir, 'fresh.json');
    const r = await igPush(['init', '--file', file, '--json']);
    expect(r.code).toBe(0);
    const [out] = r.lines();
    const config = parseConfig(readFileSync(file, 'utf8'));
    expect(config.channels).toEqual([{ id: 'chan-a', accountId: undefined, appSecret: out.appSecret, verifyToken: out.verifyToken, enabled: true }]);
    expect(config.inboxToken).toBe(out.inboxToken);
    expect(out.appSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(out.verifyToken).toMatch(/^[\w-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(out.next.start).toBe(`CONFIG=${file} npm start`);
    expect(out.next.check).toBe(`npx ig-push check --url http://127.0.0.1:8080 --channel chan-a --secret ${out.appSecret} --token ${out.verifyToken} --yes`);
  });

  it('never overwrites a file without --force, and overwrites it with --force', async () => {
    const file = join(dir, 'kept.json');
    writeFileSync(file, 'mine');
    const refused = await igPush(['init', '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`ig-push: ${file} already exists: pass --force to overwrite it (its secrets are lost), or --file to write elsewhere\n`);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    const forced = await igPush(['init', '--file', file, '--force', '--channel', 'shop-1']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^Wrote .*kept\.json: channel shop-1 /);
    expect(forced.stdout).toMatch(/1\. start the server \(another terminal\): +CONFIG=\S+kept\.json npm start\n/);
    expect(parseConfig(readFileSync(file, 'utf8')).channels[0]!.id).toBe('shop-1');
  });

  it('refuses a folder that does not exist, a channel ID the server would refuse, and a port out of range', async () => {
    const missing = await igPush(['init', '--file', join(dir, 'no/such/config.json')]);
    expect([missing.code, missing.stderr]).toEqual([2, `ig-push: cannot write ${join(dir, 'no/such/config.json')}: no such folder\n`]);
    const channel = await igPush(['init', '--file', join(dir, 'c.json'), '--channel', 'a b']);
    expect([channel.code, channel.stderr]).toEqual([2, 'ig-push: channel ID "a b" must be 1 to 128 of A-Z a-z 0-9 . _ ~ - (not starting with ~)\n']);
    const port = await igPush(['init', '--file', join(dir, 'c.json'), '--port', '70000']);
    expect([port.code, port.stderr]).toEqual([2, 'ig-push: --port 70000 is not a port (1 to 65535)\n']);
    expect(existsSync(join(dir, 'c.json'))).toBe(false);
  });

  it('inside a git repository, adds the file of secrets to .gitignore once, and says so; outside one, says to keep it out', async () => {
    const repo = mkdtempSync(join(dir, 'repo-'));
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, '.gitignore'), 'node_modules/');
    mkdirSync(join(repo, 'deploy'));
    const first = await igPush(['init', '--file', join(repo, 'deploy/config [prod].json')]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Added /deploy/config\\ \\[prod\\].json to ${repo}/.gitignore`);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe('node_modules/\n# secrets written by ig-push init\n/deploy/config\\ \\[prod\\].json\n');
    // git itself now ignores it, and a second init (forced) finds it ignored and adds nothing.
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo, encoding: 'utf8' })).toBe('?? .gitignore\n');
    const again = await igPush(['init', '--file', join(repo, 'deploy/config [prod].json'), '--force', '--json']);
    expect(again.lines()[0].gitignore).toBe('ignored');
    expect(readFileSync(join(repo, '.gitignore'), 'utf8').match(/ig-push init/g)).toHaveLength(1);

    const outside = await igPush(['init', '--file', join(dir, 'outside.json')]);
    expect(outside.stdout).toContain('is not inside a git repository');
  });

  it('makes different secrets each time, and quotes a file name the shell would split', () => {
    const [a, b] = [freshSecrets(), freshSecrets()];
    expect(new Set([a.appSecret, b.appSecret, a.verifyToken, b.verifyToken, a.inboxToken, b.inboxToken]).size).toBe(6);
    expect(nextCommands("my config's.json", 'c', 9000, a).start).toBe(`PORT=9000 CONFIG='my config'\\''s.json' npm start`);
  });
});
