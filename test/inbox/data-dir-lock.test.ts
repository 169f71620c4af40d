// One server per SQLite data dir: a second server process on the same folder exits with code 2 and one
// line naming the first; a holder killed with SIGKILL or stopped cleanly never blocks the next start.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, HOLDER_FILE, lockDataDir, parseHolder, probeDataDirLock } from '../../server/inbox/data-dir-lock.js';
import { runServerToExit, spawnServer, type ServerProcess } from '../support/process.js';

const running = new Set<ServerProcess>();
afterAll(() => running.forEach((s) => s.child.kill('SIGKILL')));

async function start(dataDir: string): Promise<ServerProcess> {
  const s = await spawnServer({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, [], 60_000);
  running.add(s);
  return s;
}

async function stop(s: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  s.child.kill(signal);
  const code = await s.exited;
  running.delete(s);
  return code;
}

describe('one server per data dir, over real processes', { timeout: 180_000 }, () => {
  it('refuses a second server on the same data dir with exit code 2 and one line naming the holder', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ipk-lock-')), 'data');
    const first = await start(dataDir);
    try {
      const second = await runServerToExit({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
      expect(second.code).toBe(2);
      const lines = second.output.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^instagram-push-kit-server: data dir ${dataDir} is in use by another server \\(pid ${first.child.pid} on host ${hostname()}, started \\d{4}-\\d\\d-\\d\\dT[^)]+\\): stop that one first`));
      // The first one serves on, untouched.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      await stop(first, 'SIGTERM');
    }
  });

  it('lets exactly one of two servers started together on a new data dir take it', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ipk-lock-')), 'data');
    const outcomes = await Promise.allSettled([start(dataDir), start(dataDir)]);
    const served = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect([served.length, refused.length]).toEqual([1, 1]);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(`instagram-push-kit-server: data dir ${dataDir} is in use by another server (`);
    expect(await stop((served[0] as PromiseFulfilledResult<ServerProcess>).value, 'SIGTERM')).toBe(0);
  });

  it('starts again on a data dir whose server was killed with SIGKILL, and after a clean stop', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ipk-lock-')), 'data');
    const killed = await start(dataDir);
    await stop(killed, 'SIGKILL');
    // Its holder file is left behind (nothing ran to remove it), naming a pid that is gone: no matter.
    expect(parseHolder(readFileSync(join(dataDir, HOLDER_FILE), 'utf8'))?.pid).toBe(killed.child.pid);
    const restarted = await start(dataDir);
    expect((await fetch(`${restarted.url}/readyz`)).status).toBe(200);
    expect(await stop(restarted, 'SIGTERM')).toBe(0);
    // A clean stop gives the folder up and says so by removing its holder file.
    expect(existsSync(join(dataDir, HOLDER_FILE))).toBe(false);
    expect(probeDataDirLock(dataDir)).toEqual({ free: true });
    const third = await start(dataDir);
    expect(await stop(third, 'SIGTERM')).toBe(0);
  });
});

describe('lockDataDir', () => {
  it('creates the folder, holds it once per process too, and gives it up on release', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ipk-lock-')), 'new', 'data');
    const holder = { pid: process.pid, host: 'here', startedAt: '2026-12-07T00:00:00.000Z' };
    const lock = lockDataDir(dataDir, holder);
    try {
      expect(probeDataDirLock(dataDir)).toEqual({ free: false, holder });
      let refused: unknown;
      try {
        lockDataDir(dataDir);
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(DataDirLockedError);
      expect(refused).toMatchObject({ dir: dataDir, holder, message: expect.stringContaining(`(pid ${process.pid} on host here, started 2026-12-07T00:00:00.000Z)`) });
    } finally {
      lock.release();
    }
    expect(probeDataDirLock(dataDir)).toEqual({ free: true });
    lockDataDir(dataDir).release();
  });

  it('names a server.lock that is not its lock file, and what to do', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipk-lock-'));
    writeFileSync(join(dataDir, 'server.lock'), 'x'.repeat(200));
    expect(() => lockDataDir(dataDir)).toThrow(`${join(dataDir, 'server.lock')} is not the server's lock file (file is not a database): remove it, then start again`);
  });

  it('does not name a holder file left by a process that is gone', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipk-lock-'));
    // The lock is held (by this process) while the holder file still names a killed predecessor.
    const lock = lockDataDir(dataDir, { pid: process.pid, host: hostname(), startedAt: '2026-12-07T00:00:00.000Z' });
    try {
      const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
      writeFileSync(join(dataDir, HOLDER_FILE), JSON.stringify({ pid: gone, host: hostname(), startedAt: '2026-12-06T00:00:00.000Z' }));
      expect(() => lockDataDir(dataDir)).toThrow('(a process that has not recorded its pid yet)');
      writeFileSync(join(dataDir, HOLDER_FILE), JSON.stringify({ pid: gone, host: 'elsewhere', startedAt: '2026-12-06T00:00:00.000Z' }));
      expect(() => lockDataDir(dataDir)).toThrow(`(pid ${gone} on host elsewhere, started 2026-12-06T00:00:00.000Z)`);
    } finally {
      lock.release();
    }
  });

  it('reads a holder file that is missing or not one as unknown', () => {
    expect(parseHolder(undefined)).toBeUndefined();
    expect(parseHolder('{"pid":"1"}')).toBeUndefined();
    expect(parseHolder('not json')).toBeUndefined();
    expect(new DataDirLockedError('/d', undefined).message).toContain('(a process that has not recorded its pid yet)');
  });
});
