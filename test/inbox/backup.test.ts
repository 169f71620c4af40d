// `instagram-push-kit-server backup --to <file>`: a consistent copy of the SQLite store taken while a
// server process keeps acknowledging pushes, restored into a new data dir, serves every event whose push
// was acknowledged before the backup started.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqliteStore } from '../../server/inbox/sqlite-backup.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { push, textDelivery } from '../support/http.js';
import { runServerToExit, spawnServer, type ServerProcess } from '../support/process.js';

const SECRET = 'backup-secret';
const TOKEN = 'backup-token';

const running = new Set<ServerProcess>();
afterAll(() => running.forEach((s) => s.child.kill('SIGKILL')));

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const s = await spawnServer(env, [], 60_000);
  running.add(s);
  return s;
}

async function stop(s: ServerProcess): Promise<void> {
  s.child.kill('SIGTERM');
  await s.exited;
  running.delete(s);
}

/** Every stored mid, page by page, as a consumer reads them. */
async function readAll(url: string): Promise<Set<string>> {
  const mids = new Set<string>();
  for (let cursor = ''; ; ) {
    const r = await fetch(`${url}/inbox/messages?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    const page = (await r.json()) as { items: { mid: string }[]; nextCursor?: string };
    for (const i of page.items) mids.add(i.mid);
    if (page.items.length < 1000 || !page.nextCursor) return mids;
    cursor = page.nextCursor;
  }
}

describe('online backup and restore of the SQLite store', () => {
  it('copies the store while pushes are acknowledged; the copy restored serves every push acknowledged before the backup started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-backup-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: '17841400000000000', appSecret: SECRET }], inboxToken: TOKEN }));
    const dataDir = join(dir, 'data');
    const server = await start({ CONFIG: config, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

    const acked: string[] = [];
    let stopLoad = false;
    const worker = async (w: number) => {
      for (let n = 0; !stopLoad; n++) {
        const mid = `mid-${w}-${n}`;
        if ((await push(server.url, textDelivery(mid), { chanId: 'chan-a', secret: SECRET })).status === 200) acked.push(mid);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, (_, w) => worker(w)));
    try {
      while (acked.length < 200) await new Promise((r) => setTimeout(r, 20));
      // Every push answered 200 up to here must be in the copy; the ones answered while it runs may be.
      const before = [...acked];
      const backupFile = join(dir, 'inbox-backup.sqlite');
      // Beside the running server, which holds the data dir's lock: the backup takes none.
      const backup = await runServerToExit({ LOG_LEVEL: 'warn' }, ['backup', '--to', backupFile, '--data-dir', dataDir]);
      const duringBackup = acked.length - before.length;
      stopLoad = true;
      await load;
      expect(backup.code, backup.output).toBe(0);
      expect(backup.output).toMatch(new RegExp(`^backup: wrote ${backupFile} \\(\\d+ events, \\d+ bytes, \\d+ ms\\)\\n$`));
      // The server kept acknowledging pushes while the copy was made.
      expect(duringBackup).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      // Restore: a new data dir holding the copy as its store, a new server on it.
      const restoredDir = join(dir, 'restored');
      mkdirSync(restoredDir);
      copyFileSync(backupFile, join(restoredDir, 'inbox.sqlite'));
      const restored = await start({ CONFIG: config, DATA_DIR: restoredDir, LOG_LEVEL: 'warn' });
      try {
        const stored = await readAll(restored.url);
        const lost = before.filter((m) => !stored.has(m));
        console.info(`backup: ${before.length} acknowledged before the backup, ${duringBackup} during it, ${stored.size} in the restored store, ${lost.length} lost`);
        expect(lost).toEqual([]);
        expect(stored.size).toBeLessThanOrEqual(acked.length);
      } finally {
        await stop(restored);
      }
    } finally {
      stopLoad = true;
      await load.catch(() => {});
      await stop(server);
    }
  }, 240_000);

  it('writes one self-contained file, checked, of a store open in this process, and leaves nothing else behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-backup-'));
    const inbox = new SqliteInbox({ file: join(dir, 'data', 'inbox.sqlite') });
    try {
      const events = ['a', 'b', 'c'].map((mid) => ({ channel: 'chan-a', mid, entryId: null, entryTime: null, event: { mid }, dedupeKey: `k-${mid}` }));
      await inbox.append(events, new Date());
      mkdirSync(join(dir, 'out'));
      const r = await backupSqliteStore(join(dir, 'data'), join(dir, 'out', 'copy.sqlite'));
      expect(r).toMatchObject({ file: join(dir, 'out', 'copy.sqlite'), events: 3 });
      expect(readdirSync(join(dir, 'out'))).toEqual(['copy.sqlite']);
      const copy = new Database(r.file, { readonly: true });
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      expect((copy.prepare('SELECT mid FROM events ORDER BY id').all() as { mid: string }[]).map((e) => e.mid)).toEqual(['a', 'b', 'c']);
      copy.close();
      await expect(backupSqliteStore(join(dir, 'data'), join(dir, 'nowhere', 'copy.sqlite'))).rejects.toMatchObject({ name: 'BackupError', message: `cannot write ${join(dir, 'nowhere', 'copy.sqlite')}: the folder ${join(dir, 'nowhere')} does not exist` });
    } finally {
      await inbox.close();
    }
  });

  it('refuses to back up a data dir without a store, or with PostgreSQL, saying what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-backup-'));
    await expect(backupSqliteStore(join(dir, 'none'), join(dir, 'b.sqlite'))).rejects.toMatchObject({ name: 'BackupError', message: expect.stringContaining('no store to back up') });
    expect(existsSync(join(dir, 'b.sqlite'))).toBe(false);
    const pg = await runServerToExit({ DATABASE_URL: 'postgres://localhost/inbox' }, ['backup', '--to', join(dir, 'b.sqlite')]);
    expect([pg.code, pg.output]).toEqual([2, 'instagram-push-kit-server: backup copies the embedded SQLite store; with PostgreSQL (DATABASE_URL) use pg_dump\n']);
    const missing = await runServerToExit({}, ['backup']);
    expect([missing.code, missing.output]).toEqual([2, 'instagram-push-kit-server: backup needs --to <file>, the file to write the copy to\n']);
  }, 60_000);
});
