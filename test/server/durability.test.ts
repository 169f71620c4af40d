// Nothing acknowledged is lost: kill -9 the server under signed load, restart it, and every delivery
// that got a 200 is in the inbox.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { push, textDelivery } from '../support/http.js';
import { spawnServer } from '../support/process.js';

const SECRET = 'durable-secret';
const TOKEN = 'durable-token';

async function readAll(url: string): Promise<Set<string>> {
  const mids = new Set<string>();
  let cursor = '';
  for (;;) {
    const r = await fetch(`${url}/inbox/messages?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = (await r.json()) as { items: { mid: string }[]; nextCursor: string };
    for (const i of page.items) mids.add(i.mid);
    if (page.items.length < 1000) return mids;
    cursor = page.nextCursor;
  }
}

describe('durability', () => {
  it('keeps every delivery that got 200 when the process is killed with SIGKILL mid-load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-durable-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'chan-a', accountId: '17841400000000000', appSecret: SECRET, verifyToken: 'v' }], inboxToken: TOKEN }));
    const env = { CONFIG: config, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
    const first = await spawnServer(env);
    const acked: string[] = [];
    let sent = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const mid = `mid-${w}-${n}`;
        sent++;
        try {
          const r = await push(first.url, textDelivery(mid), { chanId: 'chan-a', secret: SECRET });
          if (r.status === 200) acked.push(mid);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await load;
    expect(acked.length).toBeGreaterThan(50);

    const second = await spawnServer({ ...env, PORT: first.url.split(':').pop()! });
    try {
      const stored = await readAll(second.url);
      const lost = acked.filter((m) => !stored.has(m));
      console.info(`durability: ${sent} sent, ${acked.length} acknowledged before SIGKILL, ${stored.size} stored, ${lost.length} lost`);
      expect(lost).toEqual([]);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 60_000);
});
