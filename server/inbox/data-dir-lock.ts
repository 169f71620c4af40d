// One server per SQLite data directory: a second process on the same folder would share the store and
// wreck the first one's relay state, so the first to start holds a lock the kernel keeps for it.
//
// The lock is an exclusive SQLite lock (a POSIX fcntl lock, LockFileEx on Windows) on DATA_DIR/server.lock,
// taken through better-sqlite3, which the store already depends on. The kernel drops it when the holder
// exits however it exits (kill -9 included), so no lock is ever stale: no pid liveness guess, no pid
// reuse, no takeover race between two starters. A pid file with O_EXCL needs all three, and
// proper-lockfile judges staleness by mtime, which a restart within its window after kill -9 gets wrong.
// Who holds it is written beside it, in server.lock.json, only for the message a second starter prints.
//
// Never read or write server.lock with node:fs in a process that holds it: closing any descriptor of
// the file drops every fcntl lock this process has on it (SQLite's own connections are safe).
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'server.lock';
export const HOLDER_FILE = 'server.lock.json';

/** Who holds a data directory, as the holder recorded it. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** Another process holds the data directory; main.ts prints the message as one line and exits with 2. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      `data dir ${dir} is in use by another server (${describeHolder(holder)}): stop that one first, or give this one its own DATA_DIR (--data-dir); ` +
        'with PostgreSQL (DATABASE_URL) several servers share one store',
    );
    this.name = 'DataDirLockedError';
  }
}

/** "pid 1234 on host web-1, started 2026-12-07T00:46:00.000Z", or why it is not known. */
export function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}` : 'a process that has not recorded its pid yet';
}

/** The holder file's text as a LockHolder, or undefined when it is missing or not one. */
export function parseHolder(text: string | undefined): LockHolder | undefined {
  if (text === undefined) return undefined;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.startedAt === 'string' ? { pid: h.pid, host: h.host, startedAt: h.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

/** False only for a pid that surely runs no more on this host (ESRCH); another host's pid is taken on trust. */
function mayRun(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * The holder as it recorded itself. A file naming a process that is gone was left by a holder killed
 * before the current one (which has taken the lock but not yet written its own): not named.
 */
function readHolder(dir: string): LockHolder | undefined {
  let holder: LockHolder | undefined;
  try {
    holder = parseHolder(readFileSync(join(dir, HOLDER_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  return holder && mayRun(holder) ? holder : undefined;
}

const isBusy = (err: unknown) => (err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED';

export interface DataDirLock {
  readonly dir: string;
  /** Gives the directory up (clean shutdown); the kernel does it too if the process dies. */
  release(): void;
}

/**
 * Takes the data directory (created if missing) for this process, or throws DataDirLockedError naming
 * the holder. Never waits: a second server is a mistake to report, not a turn to wait for.
 */
export function lockDataDir(dataDir: string, holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  // timeout 0: SQLITE_BUSY at once instead of waiting for the holder.
  const db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    // No journal file beside it (nothing here is worth one on disk); exclusive mode keeps the lock after COMMIT.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (since TEXT); COMMIT');
  } catch (err) {
    db.close();
    if (isBusy(err)) throw new DataDirLockedError(dir, readHolder(dir));
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new Error(`${join(dir, LOCK_FILE)} is not the server's lock file (${(err as Error).message}): remove it, then start again`, { cause: err });
    throw err;
  }
  // Written whole or not at all (rename), so a second starter never reads half of it.
  const temporary = join(dir, `${HOLDER_FILE}.${holder.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(holder)}\n`);
  renameSync(temporary, join(dir, HOLDER_FILE));
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      rmSync(join(dir, HOLDER_FILE), { force: true });
      db.close();
    },
  };
}

/** What a preflight check sees: free, held (and by whom), or no lock file yet (free as well). */
export type LockState = { free: true } | { free: false; holder: LockHolder | undefined };

/**
 * Whether a server holds the data directory, without taking it or writing anything: a read-only
 * connection's shared lock is refused while a holder keeps its exclusive one.
 */
export function probeDataDirLock(dataDir: string): LockState {
  const dir = resolve(dataDir);
  let db: Database.Database;
  try {
    db = new Database(join(dir, LOCK_FILE), { readonly: true, fileMustExist: true, timeout: 0 });
  } catch {
    return { free: true };
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return { free: true };
  } catch (err) {
    if (isBusy(err)) return { free: false, holder: readHolder(dir) };
    throw err;
  } finally {
    db.close();
  }
}
