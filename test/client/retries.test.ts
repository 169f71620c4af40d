// The client against a misbehaving receiver: retries, Retry-After, timeouts, and what it signs.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushClient, PushError, signPayload, verifyPayload } from '../../client/index.js';
import { backoffMs, retryAfterMs } from '../../client/retry.js';
import { VERSION } from '../../client/version.js';
import { textDelivery } from '../support/http.js';
import pkg from '../../client/package.json' with { type: 'json' };

interface Seen {
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}

let stub: Server | undefined;
afterEach(async () => {
  stub?.closeAllConnections();
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  stub = undefined;
});

/** A receiver that answers the n-th request with `script[n]` (the last entry repeats). */
async function receiver(script: ((res: ServerResponse) => void)[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  stub = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      script[Math.min(seen.length - 1, script.length - 1)]!(res);
    });
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, seen };
}

const ok = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
const status = (code: number, headers: Record<string, string> = {}) => (res: ServerResponse) =>
  res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ resultMsg: 'nope', code: code === 400 ? 'schema_violation' : 'internal_error', requestId: 'r', errors: [{ path: '/body/entry', message: 'bad' }] }));

describe('retries', () => {
  it('resolves after 503, 503, 200: three attempts', async () => {
    const { url, seen } = await receiver([status(503), status(503), ok]);
    const client = createPushClient({ baseUrl: url, retryDelayMs: 5 });
    await expect(client.push(textDelivery('r1') as any)).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.body.toString())).size).toBe(1); // the same bytes each time
  });
  it('sends a 400 once and throws PushError with its paths', async () => {
    const { url, seen } = await receiver([status(400)]);
    const err = (await createPushClient({ baseUrl: url, retryDelayMs: 5 }).push(textDelivery('r2') as any).catch((e) => e)) as PushError;
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(PushError);
    expect(err).toMatchObject({ status: 400, attempts: 1, code: 'schema_violation' });
    expect(err.body?.errors[0]?.path).toBe('/body/entry');
  });
  it('gives up after retries + 1 attempts on 5xx, reporting the attempts', async () => {
    const { url, seen } = await receiver([status(500)]);
    const err = (await createPushClient({ baseUrl: url, retries: 3, retryDelayMs: 1 }).push(textDelivery('r3') as any).catch((e) => e)) as PushError;
    expect(seen).toHaveLength(4);
    expect(err).toMatchObject({ status: 500, attempts: 4 });
  });
  it('retries 408 and 429, honouring Retry-After in seconds', async () => {
    const { url, seen } = await receiver([status(429, { 'retry-after': '1' }), status(408), ok]);
    const started = Date.now();
    await createPushClient({ baseUrl: url, retryDelayMs: 1 }).push(textDelivery('r4') as any);
    expect(seen).toHaveLength(3);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5000);
  });
  it('retries a network error (connection refused) and reports status 0', async () => {
    const client = createPushClient({ baseUrl: 'http://127.0.0.1:9', retries: 1, retryDelayMs: 1 });
    await expect(client.push(textDelivery('r5') as any)).rejects.toMatchObject({ status: 0, attempts: 2 });
  });
  it('rejects within timeoutMs when the receiver never answers', async () => {
    const { url } = await receiver([() => {}]);
    const started = Date.now();
    const err = await createPushClient({ baseUrl: url, timeoutMs: 300, retries: 0 }).push(textDelivery('r6') as any).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toMatchObject({ status: 0 });
  });
  for (const type of ['text/event-stream', 'text/event-stream; charset=utf-8']) {
    it(`lets an event stream run past timeoutMs once its headers arrived (${type})`, async () => {
      const { url } = await receiver([
        (res) => {
          res.writeHead(200, { 'content-type': type });
          res.write('event: ready\ndata: {}\n\n');
          setTimeout(() => res.end('event: accepted\ndata: {}\n\n'), 500);
        },
      ]);
      const client = createPushClient({ baseUrl: url, timeoutMs: 200, retries: 0 });
      const { response } = await client.raw.GET('/inbox/events', { parseAs: 'stream' });
      expect(await response.text()).toContain('event: accepted');
    });
  }
  it('times out an ordinary answer whose body stalls after the headers', async () => {
    const { url: stalled } = await receiver([
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"resultMsg":');
      },
    ]);
    const err = await createPushClient({ baseUrl: stalled, timeoutMs: 200, retries: 0 }).push(textDelivery('r8') as any).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
  });
  it("stops at once when the caller's signal aborts", async () => {
    const { url } = await receiver([() => {}]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(createPushClient({ baseUrl: url, timeoutMs: 5000 }).push(textDelivery('r7') as any, { signal: controller.signal })).rejects.toBeInstanceOf(PushError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('what the client sends', () => {
  it('signs the exact bytes the receiver gets, and names itself in the User-Agent', async () => {
    const { url, seen } = await receiver([ok]);
    await createPushClient({ baseUrl: url, appSecret: 's3cret', headers: { 'x-relay': 'a' } }).push(textDelivery('r8', '1', 'é / \u{1F600}') as any, { chanId: 'c' });
    const [req] = seen;
    expect(req!.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', 's3cret').update(req!.body).digest('hex')}`);
    expect(req!.headers['user-agent']).toBe(`instagram-push-kit/${VERSION}`);
    expect(req!.headers['x-relay']).toBe('a');
    expect(req!.headers['content-type']).toMatch(/application\/json/);
  });
  it('pushRaw sends and signs the given bytes unchanged, retrying them whole', async () => {
    const { url, seen } = await receiver([status(503), ok]);
    const bytes = new TextEncoder().encode('{ "object": "instagram",\n  "entry": [{"id": "caf\\u00e9 é"}] }');
    await expect(createPushClient({ baseUrl: url, appSecret: 'k', retryDelayMs: 1 }).pushRaw(bytes, { chanId: 'c' })).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(2);
    for (const req of seen) {
      expect(req.body.equals(Buffer.from(bytes))).toBe(true);
      expect(req.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', 'k').update(bytes).digest('hex')}`);
      expect(req.headers['content-type']).toMatch(/^application\/json/);
    }
  });
  it('sends no signature without an app secret', async () => {
    const { url, seen } = await receiver([ok]);
    await createPushClient({ baseUrl: url }).push(textDelivery('r9') as any);
    expect(seen[0]!.headers['x-hub-signature-256']).toBeUndefined();
  });
});

describe('helpers', () => {
  it('signPayload matches node:crypto and verifyPayload checks it', async () => {
    const body = '{"a":"é"}';
    const sig = await signPayload(body, 'k');
    expect(sig).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    expect(await signPayload(new TextEncoder().encode(body), 'k')).toBe(sig);
    expect(await verifyPayload(body, sig, 'k')).toBe(true);
    expect(await verifyPayload(body, sig.toUpperCase().replace('SHA256', 'sha256'), 'k')).toBe(true);
    expect(await verifyPayload(body, sig, 'other')).toBe(false);
    expect(await verifyPayload(body, undefined, 'k')).toBe(false);
  });
  it('reads Retry-After as seconds or an HTTP date, and backs off with full jitter', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 2000).toUTCString())).toBeGreaterThan(500);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(backoffMs(3, { retryDelayMs: 100, random: () => 0.999 })).toBe(799);
    expect(backoffMs(3, { retryDelayMs: 100, random: () => 0 })).toBe(0);
  });
  it('sends the version client/package.json declares', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
