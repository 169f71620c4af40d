// Readiness on a nearly full disk, met for real: the SQLite store on a small tmpfs, filled until a
// 200 KB delivery no longer fits while a tiny row still does. /readyz must not answer 200 because its
// own probe row fits: it stays 503 (naming "disk full", SQLITE_FULL, and since when) until a write as
// large as the one that failed is stored, and nothing acknowledged is lost.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { get, push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const mount = mkdtempSync(join(tmpdir(), 'ipk-full-disk-'));
const filler = join(mount, 'filler');
let server: TestServer;
let inbox: SqliteInbox;
const lines: string[] = [];

/** Fills the tmpfs until `keep` bytes are left (tmpfs counts whole pages). */
function fillLeaving(keep: number): void {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', mount], { encoding: 'utf8' }).trim().split('\n')[1]);
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - keep)));
}

beforeAll(async () => {
  // Root mounts a tmpfs of its own (the CI machine and this one run the suite as root).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  inbox = new SqliteInbox({ file: join(mount, 'inbox.sqlite'), logger: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }), probeEveryMs: 50 });
  server = await startTestServer({ inbox });
});
afterAll(async () => {
  await server?.close();
  await inbox?.close();
  execFileSync('umount', ['-l', mount]);
  rmSync(mount, { recursive: true, force: true });
});

const big = (mid: string) => textDelivery(mid, undefined, 'x'.repeat(200_000));

describe('readiness on a nearly full disk', () => {
  it('stays 503 while 200 KB deliveries fail though small ones fit, names the cause, and recovers once one as large fits', async () => {
    expect((await push(server.url, big('mid-before'))).status).toBe(200);
    // Room for small rows and the probe's own (at 64 KB even a tiny probe failed, so the test could not
    // tell a probe padded to the failed write from one that is not), none for 200 KB.
    fillLeaving(160 * 1024);
    const failed = await push(server.url, big('mid-too-big'));
    expect(failed.status).toBe(500);
    expect(failed.json.code).toBe('store_unavailable');

    // A small delivery still fits; readiness' own probe row would too. Neither makes it ready.
    expect((await push(server.url, textDelivery('mid-small'))).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const r = await get(`${server.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json.storeFailure).toMatchObject({ code: 'SQLITE_FULL', reason: 'disk full' });
      expect(r.json.resultMsg).toContain('disk full (SQLITE_FULL) since ');
      await new Promise((res) => setTimeout(res, 60));
    }
    // Small writes still fit after those probes: only the probe's size keeps /readyz at 503.
    expect((await push(server.url, textDelivery('mid-small-2'))).status).toBe(200);
    await new Promise((res) => setTimeout(res, 60));
    expect((await get(`${server.url}/readyz`)).status).toBe(503);
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(errors.map((l) => l.msg)).toEqual([expect.stringContaining('the inbox store cannot write: disk full (SQLITE_FULL)')]);

    // Room again: the probe, padded to the failed delivery's size, now fits, without any delivery.
    rmSync(filler);
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await get(`${server.url}/readyz`)).status;
      await new Promise((res) => setTimeout(res, 60));
    }
    expect(status).toBe(200);
    expect((await push(server.url, big('mid-too-big'))).status).toBe(200);
    const stored = (await get(`${server.url}/inbox/messages?limit=10`)).json.items.map((i: { mid: string }) => i.mid);
    expect(stored).toEqual(['mid-before', 'mid-small', 'mid-small-2', 'mid-too-big']);
  }, 30_000);
});
