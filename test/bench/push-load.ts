// The push load every row of the bench uses: signed ~450-byte deliveries with fresh mids, as Meta would
// send them, driven by autocannon (closed loop, as fast as the target answers); and the small helpers
// around a measured child process (waiting for it to listen, reading its RSS).
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export const SECRET = 'bench-secret';
export const ACCOUNT = '17841400000000000';
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

/** A ~450-byte signed delivery with a fresh mid, as Meta would send it. */
export function delivery(mid: string, secret = SECRET): { body: string; signature: string } {
  const body = JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: ACCOUNT,
        time: 1732519200123,
        messaging: [
          {
            sender: { id: '6543210987654321' },
            recipient: { id: ACCOUNT },
            timestamp: 1732519199876,
            message: {
              mid,
              text: 'Hi! Is the blue jacket still in stock? I would like to order two of them in size M, please.',
              attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1234567890&signature=AbCdEf' } }],
            },
          },
        ],
      },
    ],
  });
  return { body, signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}

/** Requests prepared before the clock starts, so the load generator measures the server, not itself. */
export function requestPool(size: number, tag: string, path: string) {
  return Array.from({ length: size }, (_, i) => {
    const { body, signature } = delivery(`mid-${tag}-${i}`);
    return { method: 'POST' as const, path, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } };
  });
}

export interface LoadSample {
  okRps: number;
  p50: number;
  p99: number;
  errors: number;
  /** p99 of the event-loop delay inside the target (the worst instance), in ms. */
  loopP99: number;
}

/**
 * Full push load on one port for `seconds`, or until `amount` requests have been answered (then the rate
 * is over the time that took). The pool never repeats a mid within a run, so nothing is deduplicated.
 */
export async function load(port: number, path: string, opts: { seconds?: number; amount?: number; tag: string; connections?: number }): Promise<LoadSample & { seconds: number }> {
  const size = opts.amount ?? Math.max(20_000, (opts.seconds ?? 1) * 25_000);
  const pool = requestPool(size, opts.tag, path);
  let n = 0;
  const started = performance.now();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections ?? CONNECTIONS,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds }),
    requests: [{ setupRequest: () => pool[n++ % pool.length]! }],
  });
  const seconds = opts.amount ? (performance.now() - started) / 1000 : opts.seconds!;
  return { okRps: r['2xx'] / seconds, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts, loopP99: Number.NaN, seconds };
}

export async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`target exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('target did not listen in time');
}

/** A process's resident memory in kB (`VmRSS`), or one part of it (`RssAnon`: the heap and other private memory). */
export function rssKb(pid: number, field: 'VmRSS' | 'RssAnon' | 'RssFile' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
};

/** Asks each process for its event-loop delay since the last reset (see loop-delay.mjs); the worst one. */
export function loopDelay(children: ChildProcess[]): Promise<number> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) => {
          // Peers send their own messages ('ready'), queued until someone listens: skip those.
          const onMessage = (m: { loopDelay?: { p99Ms: number } }) => {
            if (!m?.loopDelay) return;
            done(m.loopDelay.p99Ms);
          };
          const done = (ms: number) => {
            clearTimeout(timer);
            child.off('message', onMessage);
            resolve(ms);
          };
          const timer = setTimeout(() => done(Number.NaN), 2000);
          child.on('message', onMessage);
          child.send('loop-delay:report');
        }),
    ),
  ).then((xs) => Math.round(Math.max(...xs) * 10) / 10);
}
