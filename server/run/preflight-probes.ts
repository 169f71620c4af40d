// What `instagram-push-kit-server check` looks at, one probe per item, each answering a Check line and
// none leaving anything behind: no migration applied, no row kept, no lock taken, no port held.
import Database from 'better-sqlite3';
import { lookup } from 'node:dns/promises';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { isIP, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { describeHolder, probeDataDirLock } from '../inbox/data-dir-lock.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../inbox/postgres-migrations.js';
import { MIGRATIONS as SQLITE_MIGRATIONS, STORE_FILE } from '../inbox/sqlite-schema.js';
import { describeStoreError } from '../inbox/store-errors.js';
import type { Destination } from '../relay/destinations.js';

/** One line of the check's answer: the item, whether it is ok, and what was found (or what to do). */
export interface Check {
  item: string;
  ok: boolean;
  text: string;
}

const ok = (item: string, text: string): Check => ({ item, ok: true, text });
const fail = (item: string, text: string): Check => ({ item, ok: false, text });
const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** The nearest folder that exists, walking up from `dir` (which may not exist yet). */
function nearestExisting(dir: string): string {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/** Writable in fact: a scratch folder is made and removed (an access() check is wrong for root, ACLs, read-only mounts). */
export function checkDataDirWritable(dataDir: string): Check {
  const dir = resolve(dataDir);
  const item = 'data dir';
  const existing = nearestExisting(dir);
  if (existing !== dir && !statSync(existing).isDirectory()) {
    return fail(item, `${dir} cannot be created: ${existing} is a file, not a folder; set DATA_DIR (--data-dir) to a folder the server may write`);
  }
  if (existing === dir && !statSync(dir).isDirectory()) return fail(item, `${dir} is a file, not a folder; set DATA_DIR (--data-dir) to a folder`);
  try {
    rmSync(mkdtempSync(join(existing, '.ipk-check-')), { recursive: true });
  } catch (err) {
    return fail(item, `${existing} is not writable (${codeOf(err)}): give the server's user write access to it, or set DATA_DIR (--data-dir) to a folder it may write`);
  }
  if (existing !== dir) return ok(item, `${dir} does not exist yet; the server creates it (${existing} is writable)`);
  const store = join(dir, STORE_FILE);
  try {
    if (existsSync(store)) closeSync(openSync(store, 'r+'));
  } catch (err) {
    return fail(item, `${dir} is writable but the store ${store} is not (${codeOf(err)}): give the server's user write access to it`);
  }
  return ok(item, `${dir} is writable${existsSync(store) ? `, and so is the store in it` : ''}`);
}

/** Free, or held by a running server (named). */
export function checkDataDirFree(dataDir: string): Check {
  const dir = resolve(dataDir);
  try {
    const state = probeDataDirLock(dir);
    if (state.free) return ok('data dir lock', `${dir} is not held by another server`);
    return fail('data dir lock', `${dir} is held by a running server (${describeHolder(state.holder)}): stop it before starting another on this folder, or set another DATA_DIR`);
  } catch (err) {
    return fail('data dir lock', `cannot tell whether ${dir} is held (${codeOf(err)})`);
  }
}

/** The SQLite file header's user_version (bytes 60–63, big-endian): the schema version, read without SQLite. */
function headerVersion(file: string): number {
  const header = Buffer.alloc(64);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(60);
}

/** The schema version of the file; with a -wal beside it (a running or crashed server) asked of SQLite, read-only. */
function sqliteVersion(file: string): number {
  // Without a -wal, the header is the whole truth, and opening the file would leave -wal and -shm behind.
  if (!existsSync(`${file}-wal`)) return headerVersion(file);
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** Pending migrations of a schema at `version` out of `newest`, as a line: pending is fine, newer is not. */
export function migrationsLine(version: number | undefined, newest: number): Check {
  if (version === undefined) return ok('migrations', `a new store: the server applies all ${newest} migrations when it starts`);
  if (version > newest) return fail('migrations', `the store is at schema version ${version}, newer than this server knows (${newest}): run the newer server version, or restore a backup made for this one`);
  if (version === newest) return ok('migrations', `none pending (schema version ${version})`);
  return ok('migrations', `${newest - version} pending (schema version ${version} of ${newest}); the server applies them when it starts`);
}

export function checkSqliteMigrations(dataDir: string): Check {
  const file = resolve(dataDir, STORE_FILE);
  if (!existsSync(file)) return migrationsLine(undefined, SQLITE_MIGRATIONS.length);
  try {
    return migrationsLine(sqliteVersion(file), SQLITE_MIGRATIONS.length);
  } catch (err) {
    return fail('migrations', `cannot read the schema version of ${file} (${codeOf(err)}): is it an SQLite file the server's user may read?`);
  }
}

/** The URL without its password, for a line that may end up in a CI log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL (not a URL)';
  }
}

/** Connects, writes in a transaction that is rolled back, and reads the migrations applied. */
export async function checkPostgres(databaseUrl: string, timeoutMs: number): Promise<Check[]> {
  const where = redactUrl(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    // The same words as the server's own start-up says for this cause (inbox/store-errors.ts).
    const { reason, code, action } = describeStoreError(err);
    return [fail('store', `cannot connect to PostgreSQL at ${where}: ${reason} (${code}): ${action}`)];
  }
  try {
    const lines: Check[] = [];
    await client.query('BEGIN');
    try {
      // A table made and filled inside the transaction: what the server's migrations and pushes need, undone below.
      await client.query('CREATE TABLE ipk_check_write (x integer); INSERT INTO ipk_check_write VALUES (1)');
      lines.push(ok('store', `PostgreSQL at ${where} is reachable and writable (a write was made and rolled back)`));
    } catch (err) {
      lines.push(fail('store', `PostgreSQL at ${where} refuses writes (${(err as Error).message}): grant the server's role CREATE and INSERT on its schema`));
    } finally {
      await client.query('ROLLBACK');
    }
    // Two statements: a query naming a table that does not exist fails as it is parsed, whatever CASE says.
    const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('inbox_migrations') IS NOT NULL AS present");
    const version = rows[0]?.present ? (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0)::int AS v FROM inbox_migrations')).rows[0]!.v : undefined;
    lines.push(migrationsLine(version, PG_MIGRATIONS.length));
    return lines;
  } catch (err) {
    return [fail('store', `PostgreSQL at ${where} failed the check (${(err as Error).message}): check the server's role may read its schema`)];
  } finally {
    await client.end().catch(() => {});
  }
}

/** Resolves the destination's host, then asks it over HTTP: any answer at all counts as answering. */
export async function checkDestination(d: Destination, timeoutMs: number): Promise<Check> {
  const item = `destination ${d.id}`;
  const url = new URL(d.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0) {
    try {
      await lookup(host);
    } catch (err) {
      return fail(item, `${d.url}: the host name ${host} does not resolve (${codeOf(err)}): fix the URL, or the DNS this machine uses`);
    }
  }
  try {
    // HEAD sends nothing a receiver could take for a delivery; any status, 405 included, means it answers.
    const r = await fetch(d.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return ok(item, `${d.url} answers (HTTP ${r.status} to HEAD)${d.enabled ? '' : '; the destination is disabled in the configuration'}`);
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    if (e.name === 'TimeoutError') return fail(item, `${d.url} did not answer within ${timeoutMs / 1000} s: check the destination runs and that this machine can reach it`);
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    const hint = cause === 'ECONNREFUSED' ? 'nothing listens on that port: start the destination, or fix its URL' : 'check the destination runs and that this machine can reach it';
    return fail(item, `${d.url} does not answer (${cause}): ${hint}`);
  }
}

/** Free to listen on: bound and let go at once. */
export async function checkPort(item: string, setting: string, port: number, host: string): Promise<Check> {
  if (port === 0) return ok(item, `${setting}=0: a free port is picked at start`);
  const server = createServer();
  try {
    await new Promise<void>((done, failed) => {
      server.once('error', failed);
      server.listen(port, host, () => done());
    });
  } catch (err) {
    const code = codeOf(err);
    const hint = code === 'EADDRINUSE' ? `something already listens there (another server?): stop it, or set ${setting}` : `set ${setting} (and the host) to one this machine can listen on`;
    return fail(item, `cannot listen on ${host}:${port} (${code}): ${hint}`);
  }
  await new Promise((done) => server.close(done));
  return ok(item, `${host}:${port} is free`);
}
