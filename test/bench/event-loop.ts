// How long one delivery holds the event loop: the reference server in this process (so
// perf_hooks.monitorEventLoopDelay sees its loop), one signed push at a time, the longest stall per
// payload. The largest delivery the server accepts (1000 events in a body near the 1 MiB limit) must
// stay under 100 ms; the flood of empty events that once held the loop for 1.8 s is now refused.
// Baseline measured in the same run: a one-event delivery.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { createApp } from '../../server/app.js';
import { MAX_EVENTS } from '../../server/push/delivery-limits.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';

export interface LoopStall {
  payload: string;
  bytes: number;
  status: number;
  /** Longest event-loop delay seen while the server handled the request, in ms. */
  maxDelayMs: number;
}

const SECRET = 'loop-secret';
const ACCOUNT = '17841400000000000';

/** `events` messages whose texts fill the body up to about `bytes`. */
function delivery(events: number, bytes: number, tag: string): string {
  const text = 'x'.repeat(Math.max(1, Math.floor(bytes / events) - 160));
  const messaging = Array.from({ length: events }, (_, i) => ({
    sender: { id: '6543210987654321' },
    recipient: { id: ACCOUNT },
    timestamp: 1732519199876 + i,
    message: { mid: `${tag}-${i}`, text },
  }));
  return JSON.stringify({ object: 'instagram', entry: [{ id: ACCOUNT, time: 1732519200123, messaging }] });
}

export async function measureLoopStalls(rounds = 5): Promise<LoopStall[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-loop-'));
  const inbox = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
  const app = createApp({ inbox, channels: [{ id: 'chan-a', accountId: ACCOUNT, appSecret: SECRET, enabled: true }], logger: pino({ level: 'silent' }) });
  await app.warmUp();
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/apiaccess/api/instagram/message/chan-a`;
  const payloads: [string, (round: number) => string][] = [
    ['one event (baseline)', (r) => delivery(1, 400, `one-${r}`)],
    [`${MAX_EVENTS} events near 1 MiB (largest accepted)`, (r) => delivery(MAX_EVENTS, 1_000_000, `max-${r}`)],
    ['349 505 empty events in 1 MiB (refused)', () => `{"entry":[{"messaging":[${'{},'.repeat(349_504)}{}]}]}`],
  ];
  const out: LoopStall[] = [];
  try {
    for (const [name, make] of payloads) {
      let worst = 0;
      let status = 0;
      let bytes = 0;
      // Round 0 warms up (JIT, first SQLite pages) and is not counted.
      for (let round = 0; round <= rounds; round++) {
        const body = make(round);
        bytes = Buffer.byteLength(body);
        const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
        const histogram = monitorEventLoopDelay({ resolution: 1 });
        histogram.enable();
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
        await r.arrayBuffer();
        histogram.disable();
        status = r.status;
        if (round > 0) worst = Math.max(worst, histogram.max / 1e6);
      }
      out.push({ payload: name, bytes, status, maxDelayMs: Math.round(worst * 10) / 10 });
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await inbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const s of await measureLoopStalls()) console.log(`event loop, ${s.payload} (${s.bytes} bytes): ${s.status}, longest stall ${s.maxDelayMs} ms`);
}
