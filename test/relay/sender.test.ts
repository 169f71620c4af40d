// One attempt as the sender makes it, against scripted destinations on real ports: the request it sends
// (method, headers, the signature only when the destination has a secret, the bytes as given), and what
// it keeps of the answer (the status, Retry-After, at most the start of the body, no redirect followed)
// or of a failure (a timeout, a refused connection).
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signature } from '../../server/relay/delivery.js';
import type { Destination } from '../../server/relay/destinations.js';
import { send } from '../../server/relay/sender.js';
import { accept, fail, faultDestination } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const to = (url: string, more: Partial<Destination> = {}): Destination => ({ id: 'd', channel: 'a', url, enabled: true, timeoutMs: 5000, maxAgeMs: 60_000, concurrency: 1, maxEvents: 1, maxBytes: 1 << 20, ...more });
const bytes = Buffer.from('{"object":"instagram","entry":[]}');

async function destination(answer: Parameters<typeof faultDestination>[0]) {
  const dest = await faultDestination(answer);
  cleanups.push(() => dest.close());
  return dest;
}

describe('sender', () => {
  it('POSTs the bytes as JSON, signed with the destination secret, and keeps the status, Retry-After and body', async () => {
    const dest = await destination((_n, res, req) => void fail(res, req.method === 'POST' ? 503 : 405, 'busy', { 'retry-after': '7' }));
    const before = performance.now();
    const result = await send(to(dest.url, { appSecret: 's3cret' }), bytes);
    const elapsed = performance.now() - before;
    expect(result).toMatchObject({ status: 503, body: 'busy', retryAfter: '7' });
    // The latency is the attempt's own: never more than the time the call took.
    expect('latencyMs' in result && result.latencyMs).toBeLessThanOrEqual(Math.ceil(elapsed));
    const [got] = dest.received;
    expect(got!.body.equals(bytes)).toBe(true);
    expect(got!.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'instagram-push-kit-relay', 'x-hub-signature-256': signature('s3cret', bytes) });
  });

  it('sends no signature to a destination without a secret, and reads no Retry-After that is not there', async () => {
    const dest = await destination((_n, res) => void accept(res));
    expect(await send(to(dest.url), bytes)).toMatchObject({ status: 200, body: '{"resultMsg":"200"}', retryAfter: null });
    expect(dest.received[0]!.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('answers an empty body for a 204, and does not follow a redirect', async () => {
    const empty = await destination((_n, res) => void res.writeHead(204).end());
    expect(await send(to(empty.url), bytes)).toMatchObject({ status: 204, body: '' });
    const moved = await destination((_n, res) => void res.writeHead(302, { location: empty.url }).end());
    expect(await send(to(moved.url), bytes)).toMatchObject({ status: 302, body: '' });
    expect(empty.received).toHaveLength(1);
  });

  it('reads at most the first 4 KiB of an answer, even one that never ends', async () => {
    const big = await destination((_n, res) => void fail(res, 500, 'é'.repeat(5000)));
    const result = await send(to(big.url), bytes);
    expect('body' in result && Buffer.byteLength(result.body)).toBe(4096);
    const endless = await destination((_n, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'.repeat(1024)), 5);
      res.on('close', () => clearInterval(timer));
    });
    // The timeout is long: the attempt ends on the 4 KiB read, not on it.
    expect(await send(to(endless.url, { timeoutMs: 20_000 }), bytes)).toMatchObject({ status: 500, body: 'x'.repeat(4096) });
  });

  it('says "timed out" when the destination does not answer in time, and names a refused connection', async () => {
    const silent = await destination(() => {});
    expect(await send(to(silent.url, { timeoutMs: 100 }), bytes)).toMatchObject({ error: 'timed out' });
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const before = performance.now();
    const refused = await send(to(`http://127.0.0.1:${port}/p`), bytes);
    expect(refused).toMatchObject({ error: 'ECONNREFUSED' });
    expect(refused.latencyMs).toBeLessThanOrEqual(Math.ceil(performance.now() - before));
  });
});
