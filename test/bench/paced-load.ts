// An open-loop push load at a fixed rate (autocannon's own rate limit sends each second's requests in
// one burst, which is full load for part of every second): every 5 ms it sends what the rate makes due,
// over keep-alive connections, and notes each mid's send time, so a row can tell how long an event took
// from leaving here to reaching the destination.
import { Agent, request } from 'node:http';
import { delivery } from './push-load.js';

export interface PacedResult {
  /** Send time (ms since the epoch) by mid. */
  sentAt: Map<string, number>;
  ok: number;
  errors: number;
  /** Requests that were due but not sent because `maxInFlight` were already waiting. */
  behind: number;
  seconds: number;
}

export async function pacedLoad(port: number, path: string, opts: { rate: number; seconds: number; tag: string; sockets?: number; maxInFlight?: number }): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.sockets ?? 32 });
  const maxInFlight = opts.maxInFlight ?? 512;
  const sentAt = new Map<string, number>();
  let sent = 0;
  let inFlight = 0;
  let ok = 0;
  let errors = 0;
  let behind = 0;
  const send = (mid: string) => {
    const { body, signature } = delivery(mid);
    inFlight++;
    sentAt.set(mid, Date.now());
    const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-hub-signature-256': signature } }, (res) => {
      res.resume();
      res.on('end', () => {
        inFlight--;
        if (res.statusCode === 200) ok++;
        else errors++;
      });
    });
    req.on('error', () => {
      inFlight--;
      errors++;
    });
    req.end(body);
  };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= opts.seconds) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor(elapsed * opts.rate) - sent - behind;
      for (let i = 0; i < due; i++) {
        if (inFlight >= maxInFlight) {
          behind += due - i;
          break;
        }
        send(`${opts.tag}-${sent++}`);
      }
    }, 5);
  });
  const seconds = (performance.now() - started) / 1000;
  // Let the answers in flight arrive (bounded), then close the connections.
  const deadline = Date.now() + 10_000;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  agent.destroy();
  return { sentAt, ok, errors, behind, seconds };
}
