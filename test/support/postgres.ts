// A throwaway PostgreSQL 15 cluster for tests: initdb into a temp folder, start on a free port, drop
// it afterwards. As root (CI), initdb and pg_ctl run as the `postgres` user, which initdb requires.
// Fails (never skips) when PostgreSQL is missing, saying how to install it.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './process.js';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  if (!dir) throw new Error('PostgreSQL is missing: apt-get install -y postgresql (as root), then run the tests again');
  return dir;
}

export interface PgCluster {
  /** A connection string for a new, empty database of this cluster. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server: `immediate` is a crash (no shutdown checkpoint), `fast` a clean stop. */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  destroy(): void;
}

let databases = 0;

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'ipk-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  const log = join(dir, 'log');
  mkdirSync(sock);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = (() => {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      return { uid: id('-u'), gid: id('-g') };
    })();
    chownSync(dir, uid, gid);
    chownSync(sock, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  // fsync stays on: the durability promises are what is under test.
  const start = () => run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c max_connections=200`, '-l', log, '-w', 'start']);
  start();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    async createDatabase(name = `inbox_${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    },
    start,
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
