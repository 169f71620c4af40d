// The server's own command (`instagram-push-kit-server`, server/main.ts built to server/dist): --help,
// --version, options checked before anything starts, and logs a person can read on a terminal.
// The spawned tests run the built server (`npm run build` first; `npm test` builds it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND, parseCommandLine, parsePort, USAGE, UsageError } from '../../server/run/command-line.js';
import { chooseLogFormat, prettyLine, prettyStream } from '../../server/run/pretty-log.js';
import { SERVER_VERSION } from '../../server/run/version.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ipk-command-'));
const builtServer = join(root, 'server/dist/server/main.js');

const children = new Set<import('node:child_process').ChildProcess>();
// A test that times out leaves its server running otherwise.
afterAll(() => children.forEach((child) => child.kill('SIGKILL')));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built server; stops it with SIGINT `afterMs` after `until` matches its stdout (or after `ms`). */
function runBuilt(args: string[], env: Record<string, string> = {}, until?: RegExp, ms = 30_000, afterMs = 0): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtServer, ...args], {
      cwd: dir,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: join(dir, `data-${Math.random()}`), LOG_FORMAT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    // Once: a second SIGINT makes the server exit at once, without its shutdown lines.
    let signalled = false;
    const stop = () => {
      if (!signalled) child.kill('SIGINT');
      signalled = true;
    };
    const timer = setTimeout(stop, ms);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until?.test(stdout)) setTimeout(stop, afterMs);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

// --help, --version and a bad option answer before the server is loaded (main.ts); the spawns that start
// it load the whole built server, which on a busy machine takes seconds.
describe('the server command, built', { timeout: 60_000 }, () => {
  it('prints its usage with --help and -h, and exits 0 without starting', async () => {
    for (const r of await Promise.all(['--help', '-h'].map((flag) => runBuilt([flag])))) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(USAGE);
      expect(r.stdout).toMatch(/--config <file>[\s\S]*--port <port>[\s\S]*--version/);
      expect(r.stderr).toBe('');
    }
  });

  it('prints the version of server/package.json with --version', async () => {
    const r = await runBuilt(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.parse(readFileSync(join(root, 'server/package.json'), 'utf8')).version}\n`);
  });

  it.each([
    [['--port', 'abc'], `${COMMAND}: --port "abc" is not a port (a whole number from 0 to 65535; 0 picks a free one)`],
    [['--port', '65536'], `${COMMAND}: --port "65536" is not a port`],
    [['--prot', '8080'], `${COMMAND}: unknown option --prot (did you mean --port?); ${COMMAND} --help lists the options`],
    [['serve'], `${COMMAND}: unexpected argument: serve; ${COMMAND} --help lists the options`],
    [['--port'], `${COMMAND}: Option '--port <value>' argument missing`],
  ])('refuses %j with one line on stderr and exit code 2, before any warning', async (args, line) => {
    const r = await runBuilt(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr.startsWith(line)).toBe(true);
  });

  it('answers --help, --version and a bad option without loading the server (its CommonJS dependencies stay unloaded)', () => {
    // A preload that writes, as the process exits, every CommonJS module it loaded (Express, the validator,
    // the stores are CommonJS, and an ES module importing one loads it through require's cache).
    const probe = join(dir, 'loaded.cjs');
    writeFileSync(probe, "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_FILE, JSON.stringify(Object.keys(require.cache))));\n");
    const loaded = (args: string[], env: Record<string, string> = {}) => {
      const file = join(dir, `loaded-${Math.random()}.json`);
      const r = spawnSync(process.execPath, ['--require', probe, builtServer, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: '', ...env, LOADED_FILE: file } });
      return { code: r.status, server: (JSON.parse(readFileSync(file, 'utf8')) as string[]).filter((p) => /node_modules\/(express|express-openapi-validator|better-sqlite3|pg|pino|ajv)\//.test(p)) };
    };
    expect(loaded(['--help'])).toEqual({ code: 0, server: [] });
    expect(loaded(['--version'])).toEqual({ code: 0, server: [] });
    expect(loaded(['--prot', '8080'])).toEqual({ code: 2, server: [] });
    // The probe sees them once the server is loaded: a PORT is read by serve(), after the import.
    const started = loaded([], { PORT: 'abc' });
    expect(started.code).toBe(2);
    expect(started.server.some((p) => p.includes('/node_modules/express/'))).toBe(true);
  });

  it('refuses a PORT or LOG_FORMAT that is not one, also before any warning', async () => {
    // Both load the whole server (these settings are read by serve()): side by side, not one after the other.
    const [port, format] = await Promise.all([runBuilt([], { PORT: 'abc' }), runBuilt([], { LOG_FORMAT: 'yaml' })]);
    expect([port.code, port.stdout]).toEqual([2, '']);
    expect(port.stderr).toBe(`${COMMAND}: configuration error: PORT "abc" is not a port (a whole number from 0 to 65535; 0 picks a free one)\n`);
    expect([format.code, format.stdout, format.stderr]).toEqual([2, '', `${COMMAND}: configuration error: LOG_FORMAT "yaml" is not json or pretty\n`]);
  });

  it('logs JSON lines when its output is not a terminal, and readable lines with LOG_FORMAT=pretty', async () => {
    // The two run side by side. The pretty one is stopped (SIGINT) 2 s after it says it listens: it installs
    // its signal handlers just after that line, and a SIGINT before them ends it without its shutdown lines.
    const [json, pretty] = await Promise.all([runBuilt([], {}, /stopped|listening/), runBuilt([], { LOG_FORMAT: 'pretty' }, /INFO {2}listening on /, 30_000, 2_000)]);
    const first = json.stdout.split('\n').filter(Boolean);
    expect(first.length).toBeGreaterThan(1);
    for (const line of first) expect(() => JSON.parse(line)).not.toThrow();
    const lines = pretty.stdout.split('\n').filter(Boolean);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} WARN {2}NO CONFIGURATION: running as an OPEN SANDBOX/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening on http:\/\/127\.0\.0\.1:\d+ .* sandbox=true store=sqlite/.test(l.replace(/ allowedHosts=\S+/, '')))).toBe(true);
    expect(lines.at(-1)).toMatch(/INFO {2}stopped$/);
    for (const line of lines) expect(line.startsWith('{')).toBe(false);
  }, 120_000);
});

describe('parseCommandLine', () => {
  it('takes every option in either form and leaves unset ones undefined', () => {
    expect(parseCommandLine(['--config', 'c.json', '--port=0', '--host', '::1', '--data-dir', 'd'])).toEqual({
      action: 'serve',
      options: { configPath: 'c.json', port: 0, host: '::1', dataDir: 'd' },
    });
    expect(parseCommandLine([])).toEqual({ action: 'serve', options: { configPath: undefined, port: undefined, host: undefined, dataDir: undefined } });
    expect(parseCommandLine(['--port', '65535', '--help'])).toEqual({ action: 'help' });
    expect(parseCommandLine(['-v'])).toEqual({ action: 'version' });
  });

  it('refuses empty values, flags given values and ports out of range, as UsageError', () => {
    for (const args of [['--config', ''], ['--host', ' '], ['--data-dir='], ['--help=yes'], ['--port', '-1'], ['--port', '1.5'], ['--port', '123456']]) {
      expect(() => parseCommandLine(args), args.join(' ')).toThrow(UsageError);
    }
    expect(() => parseCommandLine(['--config', ''])).toThrow('--config is empty');
    expect(() => parseCommandLine(['--help=yes'])).toThrow(`Option '-h, --help' does not take an argument; ${COMMAND} --help lists the options`);
    expect(() => parseCommandLine(['--dta-dir', 'x'])).toThrow('unknown option --dta-dir (did you mean --data-dir?)');
  });

  it('takes the check and backup commands, each with its own options', () => {
    expect(parseCommandLine(['check', '--config', 'c.json', '--data-dir', 'd'])).toEqual({ action: 'check', options: { configPath: 'c.json', port: undefined, host: undefined, dataDir: 'd' } });
    expect(parseCommandLine(['--port', '0', 'check'])).toEqual({ action: 'check', options: { configPath: undefined, port: 0, host: undefined, dataDir: undefined } });
    expect(parseCommandLine(['backup', '--to', 'b.sqlite', '--data-dir', 'd'])).toEqual({ action: 'backup', to: 'b.sqlite', dataDir: 'd' });
    expect(parseCommandLine(['backup', '--to=b.sqlite'])).toEqual({ action: 'backup', to: 'b.sqlite', dataDir: undefined });
    expect(() => parseCommandLine(['backup'])).toThrow('backup needs --to <file>, the file to write the copy to');
    expect(() => parseCommandLine(['backup', '--to', 'b', '--port', '1'])).toThrow('backup takes --to and --data-dir, not --port');
    expect(() => parseCommandLine(['--to', 'b'])).toThrow(`--to is for the backup command (${COMMAND} backup --to <file>)`);
    expect(() => parseCommandLine(['check', 'now'])).toThrow(`unexpected argument: now; ${COMMAND} --help lists the options (commands: check, backup)`);
    expect(() => parseCommandLine(['backup', '--to', ''])).toThrow('--to is empty');
  });

  it('reads a port from 0 to 65535', () => {
    expect([parsePort('0', 'p'), parsePort('8080', 'p'), parsePort('65535', 'p')]).toEqual([0, 8080, 65535]);
    expect(() => parsePort('', 'PORT')).toThrow('PORT "" is not a port');
  });

  it('keeps the version equal to server/package.json', () => {
    expect(SERVER_VERSION).toBe(JSON.parse(readFileSync(join(root, 'server/package.json'), 'utf8')).version);
  });
});

describe('log format', () => {
  it('is LOG_FORMAT when set, else pretty on a terminal and JSON elsewhere', () => {
    expect([chooseLogFormat(undefined, true), chooseLogFormat('', false), chooseLogFormat('json', true), chooseLogFormat('pretty', false)]).toEqual(['pretty', 'json', 'json', 'pretty']);
    expect(() => chooseLogFormat('text', true)).toThrow('LOG_FORMAT "text" is not json or pretty');
  });

  it('writes one line per record: time, level, message, then the other fields', () => {
    const time = Date.UTC(2026, 11, 2, 9, 8, 7, 6);
    const line = prettyLine(JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', service: 's', msg: 'two\nlines', path: '/a b', n: 3, ok: true, o: { a: 1 }, u: null }));
    expect(line).toBe('09:08:07.006 WARN  two\\nlines path="/a b" n=3 ok=true o={"a":1} u=null');
    expect(prettyLine(JSON.stringify({ level: 30, time, msg: 'hi', id: 'x' }), true)).toBe('09:08:07.006 \u001b[32mINFO \u001b[39m hi id=x');
    expect(prettyLine(JSON.stringify({ level: 'custom', msg: 'm' }))).toBe('CUSTOM m');
    expect(prettyLine(JSON.stringify({}))).toBe('');
    expect(prettyLine('not json')).toBe('not json');
    expect(prettyLine('7')).toBe('7');
  });

  it('rewrites a stream of JSON lines, a line split across writes included', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const stream = prettyStream(out);
    stream.write('{"level":50,"msg":"a"}\n{"level":20,');
    stream.write('"msg":"b"}\n\n');
    await new Promise((r) => stream.end(r));
    expect(text).toBe('ERROR a\nDEBUG b\n');
  });
});
