// Builds a folder once, however many processes ask at the same moment (vitest runs test files in
// parallel forks). The builder fills a private staging folder, which is renamed into place: the
// folder either does not exist or is complete, never half-written. A lock folder keeps a second
// process from doing the same work meanwhile; a lock left by a dead process is taken over.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock's holder is gone: its pid no longer runs (or the lock is older than `staleMs`, against a reused pid). */
function stale(lock: string, staleMs: number): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (pid && !alive(pid)) return true;
    return Date.now() - statSync(lock).mtimeMs > staleMs;
  } catch {
    // No pid file yet: the holder is between mkdir and writing it, unless the lock is some seconds old.
    try {
      return Date.now() - statSync(lock).mtimeMs > Math.min(staleMs, 10_000);
    } catch {
      return false; // released meanwhile
    }
  }
}

/** Checks that `dir` belongs to this user, so a folder planted in a shared /tmp is never trusted. */
export function assertOwned(dir: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const owner = statSync(dir).uid;
  if (owner !== uid) throw new Error(`${dir} belongs to uid ${owner}, not to this user (uid ${uid}): remove it, or set TMPDIR to a folder of your own`);
}

/**
 * Returns once `dir` exists, calling `build(staging)` first if no other process has built it or is
 * building it. Resolves to true when this call built it.
 */
export async function buildOnce(dir: string, build: (staging: string) => Promise<void> | void, { staleMs = 30 * 60_000, timeoutMs = 10 * 60_000 } = {}): Promise<boolean> {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dirname(dir), { recursive: true });
  for (;;) {
    if (existsSync(dir)) {
      assertOwned(dir);
      return false;
    }
    let locked = false;
    try {
      mkdirSync(lock);
      locked = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (locked) {
      const staging = join(dirname(dir), `.${basename(dir)}.staging-${process.pid}`);
      try {
        writeFileSync(join(lock, 'pid'), String(process.pid));
        if (existsSync(dir)) continue; // built between our check and our lock
        // Holding the lock, any staging folder left is a dead builder's: remove it (they can be 200 MB).
        for (const f of readdirSync(dirname(dir))) if (f.startsWith(`.${basename(dir)}.staging-`)) rmSync(join(dirname(dir), f), { recursive: true, force: true });
        mkdirSync(staging, { mode: 0o755 });
        await build(staging);
        try {
          renameSync(staging, dir);
        } catch (err) {
          // Another process took over a lock it believed stale and finished first: its copy is as good.
          if (!existsSync(dir)) throw err;
        }
        return true;
      } finally {
        rmSync(staging, { recursive: true, force: true });
        rmSync(lock, { recursive: true, force: true });
      }
    }
    if (stale(lock, staleMs)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another process to build ${dir} (lock ${lock}); if no test is running, remove the lock`);
    await sleep(200);
  }
}
