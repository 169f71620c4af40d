// A consistent copy of the embedded store while a server keeps writing to it, through SQLite's online
// backup API (better-sqlite3's db.backup). It takes no data-dir lock: it is meant to run beside the server.
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { STORE_FILE } from './sqlite-schema.js';

/** A backup that could not be made, with what to do about it; main.ts prints it as one line. */
export class BackupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackupError';
  }
}

export interface BackupResult {
  /** The file written. */
  file: string;
  bytes: number;
  events: number;
}

// Every page in one step: the copy is then read in one read transaction, which in WAL mode never blocks
// the server's writer. Copied in steps, each write by the server between two steps would restart the copy
// from the first page, and a server under steady load could keep it from ever finishing.
const ALL_PAGES = 0x7fffffff;

/** Copies DATA_DIR/inbox.sqlite to `to` (through a temporary file beside it, so `to` is never half a copy). */
export async function backupSqliteStore(dataDir: string, to: string): Promise<BackupResult> {
  const source = resolve(dataDir, STORE_FILE);
  const target = resolve(to);
  if (!existsSync(source)) throw new BackupError(`no store to back up: ${source} does not exist (is DATA_DIR or --data-dir the server's?)`);
  if (!existsSync(dirname(target))) throw new BackupError(`cannot write ${target}: the folder ${dirname(target)} does not exist`);
  let db: Database.Database;
  try {
    // Read-only: the backup must never write to the store, nor migrate it.
    db = new Database(source, { readonly: true, fileMustExist: true, timeout: 5000 });
  } catch (err) {
    throw new BackupError(`cannot open ${source}: ${(err as Error).message}`, { cause: err });
  }
  const temporary = join(dirname(target), `.${process.pid}.${Date.now()}.backup-tmp`);
  try {
    await db.backup(temporary, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new BackupError(`backing up ${source} to ${target} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
  // The copy is checked before it takes the name: a backup that cannot be read back is not one. It is
  // turned into a single file (rollback journal, no -wal/-shm beside it); the server it is restored into
  // switches it back to WAL when it opens it.
  let events: number;
  const copy = new Database(temporary);
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the copy of ${source} failed SQLite's quick_check (${String(check)}); nothing was written to ${target}`);
    events = (copy.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } catch (err) {
    copy.close();
    rmSync(temporary, { force: true });
    throw err instanceof BackupError ? err : new BackupError(`the copy of ${source} cannot be read back: ${(err as Error).message}`, { cause: err });
  }
  copy.close();
  renameSync(temporary, target);
  return { file: target, bytes: statSync(target).size, events };
}
