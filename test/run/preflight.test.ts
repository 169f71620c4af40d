// `instagram-push-kit-server check`: a configuration checked without serving, one line per item and an
// exit code (0 all ok, 1 an item failed, 2 a bad configuration), changing nothing on disk.
import Database from 'better-sqlite3';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../server/inbox/data-dir-lock.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { migrate, openDatabase } from '../../server/inbox/sqlite-schema.js';
import { checkPort, checkPostgres, migrationsLine, redactUrl } from '../../server/run/preflight-probes.js';
import { checkExitCode, formatCheck, preflightSettings, runPreflight } from '../../server/run/preflight.js';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { freePort, runServerToExit } from '../support/process.js';
import { MIGRATIONS as PG_MIGRATIONS } from '../../server/inbox/postgres-migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'ipk-check-'));
let destination: Server;
let destinationUrl: string;

beforeAll(async () => {
  // A destination that answers HEAD with 405, as a receiver that only takes POST would.
  destination = createServer((req, res) => res.writeHead(req.method === 'POST' ? 200 : 405).end());
  await new Promise<void>((ok) => destination.listen(0, '127.0.0.1', ok));
  destinationUrl = `http://127.0.0.1:${(destination.address() as { port: number }).port}/hook`;
});
afterAll(() => new Promise((ok) => destination.close(ok)));

function configFile(name: string, destinationUrls: string[]): string {
  const file = join(dir, name);
  const destinations = destinationUrls.map((url, i) => ({ id: `d${i}`, url }));
  writeFileSync(file, JSON.stringify({ channels: [{ id: 'chan-a', accountId: '17841400000000000', appSecret: 's', destinations }], inboxToken: 't' }));
  return file;
}

const check = (env: Record<string, string>) => runServerToExit({ LOG_LEVEL: 'info', ...env }, ['check']);
const lines = (output: string) => output.split('\n').filter(Boolean);

describe('the check command, over real processes', { timeout: 120_000 }, () => {
  it('passes a good configuration with exit code 0 and one ok line per item, creating nothing', async () => {
    const dataDir = join(dir, 'good', 'data');
    const metricsPort = await freePort();
    const r = await check({ CONFIG: configFile('good.json', [destinationUrl]), DATA_DIR: dataDir, METRICS_PORT: String(metricsPort) });
    expect(r.code).toBe(0);
    expect(lines(r.output)).toEqual([
      `ok    config: ${join(dir, 'good.json')} is valid: 1 channel(s), 1 relay destination(s)`,
      `ok    data dir: ${dataDir} does not exist yet; the server creates it (${dir} is writable)`,
      `ok    data dir lock: ${dataDir} is not held by another server`,
      'ok    migrations: a new store: the server applies all 4 migrations when it starts',
      `ok    destination d0: ${destinationUrl} answers (HTTP 405 to HEAD)`,
      'ok    port: PORT=0: a free port is picked at start',
      `ok    metrics port: 127.0.0.1:${metricsPort} is free`,
    ]);
    expect(readdirSync(dir)).not.toContain('good');
  });

  it('fails with exit code 1 on a destination nothing listens on, an unwritable data dir and a busy metrics port', async () => {
    const closedPort = await freePort();
    const closedUrl = `http://127.0.0.1:${closedPort}/hook`;
    // A file where the data dir's parent folder should be: no user, root included, can create it.
    writeFileSync(join(dir, 'a-file'), '');
    const dataDir = join(dir, 'a-file', 'data');
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const busyPort = (busy.address() as { port: number }).port;
    try {
      const r = await check({ CONFIG: configFile('closed.json', [closedUrl, destinationUrl]), DATA_DIR: dataDir, METRICS_PORT: String(busyPort) });
      expect(r.code).toBe(1);
      const out = lines(r.output);
      expect(out).toContain(`FAIL  data dir: ${dataDir} cannot be created: ${join(dir, 'a-file')} is a file, not a folder; set DATA_DIR (--data-dir) to a folder the server may write`);
      expect(out).toContain(`FAIL  destination d0: ${closedUrl} does not answer (ECONNREFUSED): nothing listens on that port: start the destination, or fix its URL`);
      expect(out).toContain(`ok    destination d1: ${destinationUrl} answers (HTTP 405 to HEAD)`);
      expect(out).toContain(`FAIL  metrics port: cannot listen on 127.0.0.1:${busyPort} (EADDRINUSE): something already listens there (another server?): stop it, or set METRICS_PORT`);
      expect(out.filter((l) => l.startsWith('FAIL'))).toHaveLength(3);
    } finally {
      busy.close();
    }
  });

  it('answers a bad configuration with exit code 2 and its one FAIL line', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"channels":[{"id":"a","enabled":"yes"}]}');
    const r = await check({ CONFIG: bad, DATA_DIR: join(dir, 'never') });
    expect(r.code).toBe(2);
    expect(lines(r.output)).toEqual([`FAIL  config: ${bad}: /channels/0/enabled must be boolean`]);
    const port = await check({ PORT: 'eighty', DATA_DIR: join(dir, 'never') });
    expect([port.code, lines(port.output)]).toEqual([2, ['FAIL  config: PORT "eighty" is not a port (a whole number from 0 to 65535; 0 picks a free one)']]);
    // Settings once private to serve.ts are checked too, from the same declaration (run/settings.ts).
    const body = await check({ BODY_LIMIT: 'lots', DATA_DIR: join(dir, 'never') });
    expect([body.code, lines(body.output)]).toEqual([2, ['FAIL  config: BODY_LIMIT "lots" is not a size (e.g. 1mb; 1048576, 512kb, 2mb)']]);
  });

  it('names the server holding the data dir and the migrations pending, and applies none of them', async () => {
    const dataDir = join(dir, 'older');
    mkdirSync(dataDir);
    const file = join(dataDir, 'inbox.sqlite');
    const db = openDatabase(file, 1000);
    migrate(db, 2);
    db.close();
    const before = { files: readdirSync(dataDir).sort(), bytes: readFileSync(file) };
    const lock = lockDataDir(dataDir, { pid: process.pid, host: 'test-host', startedAt: '2026-12-07T01:00:00.000Z' });
    try {
      const r = await check({ DATA_DIR: dataDir });
      expect(r.code).toBe(1);
      expect(lines(r.output)).toContain(
        `FAIL  data dir lock: ${dataDir} is held by a running server (pid ${process.pid} on host test-host, started 2026-12-07T01:00:00.000Z): stop it before starting another on this folder, or set another DATA_DIR`,
      );
      expect(lines(r.output)).toContain('ok    migrations: 2 pending (schema version 2 of 4); the server applies them when it starts');
    } finally {
      lock.release();
    }
    expect(readdirSync(dataDir).filter((f) => !f.startsWith('server.lock')).sort()).toEqual(before.files);
    expect(readFileSync(file).equals(before.bytes)).toBe(true);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(2);
    after.close();
  });
});

describe('the check command on PostgreSQL', { timeout: 120_000 }, () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 120_000);
  afterAll(() => cluster?.destroy());

  it('connects, writes in a transaction it rolls back, reports the migrations pending, and leaves the database as it was', async () => {
    const url = await cluster.createDatabase();
    const r = await check({ DATABASE_URL: url, DATA_DIR: join(dir, 'unused') });
    expect(r.code, r.output).toBe(0);
    const shown = url.replace(/:[^:@/]+@/, ':***@');
    expect(lines(r.output).slice(1, 3)).toEqual([
      `ok    store: PostgreSQL at ${new URL(url).password ? shown : url} is reachable and writable (a write was made and rolled back)`,
      `ok    migrations: a new store: the server applies all ${PG_MIGRATIONS.length} migrations when it starts`,
    ]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
    // Once a server has migrated it, nothing is pending.
    const inbox = new PostgresInbox({ connectionString: url });
    await inbox.ensureSchema();
    await inbox.close();
    const migrated = await check({ DATABASE_URL: url, DATA_DIR: join(dir, 'unused') });
    expect(lines(migrated.output)).toContain(`ok    migrations: none pending (schema version ${PG_MIGRATIONS.length})`);
  });

  it('gives the same lines in this process, and tells a database that refuses writes', async () => {
    const url = await cluster.createDatabase();
    expect((await checkPostgres(url, 5000)).map((c) => c.ok)).toEqual([true, true]);
    // A session whose transactions are read-only, as on a standby or for a role limited to reads.
    const readOnly = new URL(url);
    readOnly.searchParams.set('options', '-c default_transaction_read_only=on');
    const [store] = await checkPostgres(readOnly.toString(), 5000);
    expect(store).toMatchObject({ item: 'store', ok: false, text: expect.stringContaining('refuses writes (cannot execute CREATE TABLE in a read-only transaction): grant the server') });
    const closed = `postgres://ipk:secret@127.0.0.1:${await freePort()}/inbox`;
    expect(await checkPostgres(closed, 2000)).toEqual([
      { item: 'store', ok: false, text: expect.stringContaining('cannot connect to PostgreSQL at postgres://ipk:***@127.0.0.1:') },
    ]);
  });

  it('fails with exit code 1 when the database does not answer', async () => {
    const url = `postgres://ipk@127.0.0.1:${await freePort()}/inbox`;
    const r = await check({ DATABASE_URL: url, DATA_DIR: join(dir, 'unused') });
    expect(r.code).toBe(1);
    expect(lines(r.output)).toContain(`FAIL  store: cannot connect to PostgreSQL at ${url}: connection refused (ECONNREFUSED): check that the database server runs and listens on that host and port`);
  });
});

describe('runPreflight, in this process', () => {
  it('reads the settings as the server does and reports each item, an unresolvable host and a silent destination included', async () => {
    // Accepts connections and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/hook`;
    try {
      const settings = preflightSettings({ configPath: configFile('inproc.json', [destinationUrl, 'https://no-such-host.invalid/hook', silentUrl]), port: 0 }, { DATA_DIR: join(dir, 'inproc') });
      const checks = await runPreflight({ ...settings, timeoutMs: 300 });
      expect(checks.map(formatCheck)).toEqual([
        `ok    config: ${join(dir, 'inproc.json')} is valid: 1 channel(s), 3 relay destination(s)`,
        `ok    data dir: ${join(dir, 'inproc')} does not exist yet; the server creates it (${dir} is writable)`,
        `ok    data dir lock: ${join(dir, 'inproc')} is not held by another server`,
        'ok    migrations: a new store: the server applies all 4 migrations when it starts',
        `ok    destination d0: ${destinationUrl} answers (HTTP 405 to HEAD)`,
        expect.stringMatching(/^FAIL {2}destination d1: https:\/\/no-such-host\.invalid\/hook: the host name no-such-host\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\): fix the URL, or the DNS this machine uses$/),
        `FAIL  destination d2: ${silentUrl} did not answer within 0.3 s: check the destination runs and that this machine can reach it`,
        'ok    port: PORT=0: a free port is picked at start',
      ]);
      expect(checkExitCode(checks)).toBe(1);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('fails a store written by a newer server, and a data dir that is a file', async () => {
    const dataDir = join(dir, 'newer');
    mkdirSync(dataDir);
    const db = openDatabase(join(dataDir, 'inbox.sqlite'), 1000);
    db.pragma('user_version = 9');
    db.close();
    const checks = await runPreflight({ ...preflightSettings({ port: 0 }, { DATA_DIR: dataDir }), timeoutMs: 300 });
    expect(checks.find((c) => c.item === 'migrations')).toEqual({
      item: 'migrations',
      ok: false,
      text: 'the store is at schema version 9, newer than this server knows (4): run the newer server version, or restore a backup made for this one',
    });
    expect(checks.find((c) => c.item === 'data dir')).toEqual({ item: 'data dir', ok: true, text: `${dataDir} is writable, and so is the store in it` });
    writeFileSync(join(dir, 'plain-file'), '');
    const file = await runPreflight({ ...preflightSettings({ port: 0 }, { DATA_DIR: join(dir, 'plain-file') }), timeoutMs: 300 });
    expect(file.find((c) => c.item === 'data dir')?.text).toBe(`${join(dir, 'plain-file')} is a file, not a folder; set DATA_DIR (--data-dir) to a folder`);
  });

  it('throws ConfigError for each setting the server would refuse', () => {
    for (const env of [{ PORT: 'x' }, { METRICS_PORT: '70000' }, { LOG_FORMAT: 'yaml' }, { RETENTION: 'forever' }, { DATABASE_POOL_SIZE: '0' }, { READ_POOL_SIZE: 'many' }]) {
      expect(() => preflightSettings({}, env), JSON.stringify(env)).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    }
    expect(preflightSettings({ host: '::1', dataDir: 'd' }, { METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', DATABASE_URL: 'postgres://x/y' })).toMatchObject({
      host: '::1',
      dataDir: 'd',
      port: 8080,
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      databaseUrl: 'postgres://x/y',
    });
  });
});

describe('check lines', () => {
  it('puts the verdict first and exits 1 when any item failed', () => {
    expect(formatCheck({ item: 'store', ok: true, text: 'fine' })).toBe('ok    store: fine');
    expect(formatCheck({ item: 'store', ok: false, text: 'broken' })).toBe('FAIL  store: broken');
    expect(checkExitCode([{ item: 'a', ok: true, text: '' }])).toBe(0);
    expect(checkExitCode([{ item: 'a', ok: true, text: '' }, { item: 'b', ok: false, text: '' }])).toBe(1);
  });

  it('tells pending migrations from a store newer than the server', () => {
    expect(migrationsLine(4, 4)).toEqual({ item: 'migrations', ok: true, text: 'none pending (schema version 4)' });
    expect(migrationsLine(5, 4).ok).toBe(false);
    expect(migrationsLine(5, 4).text).toContain('newer than this server knows (4)');
  });

  it('finds a port busy or free, and takes 0 as picked at start', async () => {
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const port = (busy.address() as { port: number }).port;
    try {
      expect(await checkPort('port', 'PORT', port, '127.0.0.1')).toEqual({ item: 'port', ok: false, text: `cannot listen on 127.0.0.1:${port} (EADDRINUSE): something already listens there (another server?): stop it, or set PORT` });
    } finally {
      busy.close();
    }
    expect((await checkPort('port', 'PORT', port, '192.0.2.1')).text).toMatch(/^cannot listen on 192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\): set PORT \(and the host\) to one this machine can listen on$/);
    expect(await checkPort('port', 'PORT', 0, '127.0.0.1')).toEqual({ item: 'port', ok: true, text: 'PORT=0: a free port is picked at start' });
  });

  it('never prints a database password', () => {
    expect(redactUrl('postgres://ipk:secret@db:5432/inbox')).toBe('postgres://ipk:***@db:5432/inbox');
    expect(redactUrl('not a url')).toBe('DATABASE_URL (not a URL)');
  });
});
