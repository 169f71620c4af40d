// Every option createPushClient and its calls take, checked against the reference server where it keeps
// the contract and against a small receiver on 127.0.0.1 where a receiver has to misbehave.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient, isRetryable, PushError } from '../../client/index.js';
import { NoAnswerError } from '../../client/retry.js';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close(); // also fails the suite if any request the client sent broke the spec
});

let stub: Server | undefined;
afterEach(async () => {
  stub?.closeAllConnections();
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  stub = undefined;
});

interface Seen {
  url: string;
  at: number;
}

/** A receiver that answers the n-th request with `script[n]` (the last entry repeats). */
async function receiver(script: ((res: ServerResponse) => void)[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  stub = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ url: req.url ?? '', at: Date.now() });
      script[Math.min(seen.length - 1, script.length - 1)]!(res);
    });
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, seen };
}

const ok = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
const status = (code: number) => (res: ServerResponse) =>
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ resultMsg: 'no', code: 'internal_error', requestId: 'r', errors: [] }));
const after = (ms: number, reply: (res: ServerResponse) => void) => (res: ServerResponse) => setTimeout(() => reply(res), ms);
const never = () => {};

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

const stored = async (mid: string) => (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);

describe('baseUrl', () => {
  it('takes the base URL with or without trailing slashes', async () => {
    for (const [i, suffix] of ['', '/', '//', '///'].entries()) {
      const client = createPushClient({ baseUrl: `${server.url}${suffix}`, appSecret: SECRET_A });
      await expect(client.push(textDelivery(`opt-url-${i}`) as any, { chanId: 'chan-a' })).resolves.toEqual({ resultMsg: '200' });
      expect(await stored(`opt-url-${i}`)).toHaveLength(1);
    }
  });

  it('keeps a path prefix in the base URL, whatever slashes end it', async () => {
    const { url, seen } = await receiver([ok]);
    await createPushClient({ baseUrl: `${url}/tenant/hooks///` }).push(textDelivery('opt-prefix') as any, { chanId: 'chan-a' });
    await createPushClient({ baseUrl: `${url}/tenant/hooks` }).push(textDelivery('opt-prefix') as any);
    expect(seen.map((s) => s.url)).toEqual(['/tenant/hooks/apiaccess/api/instagram/message/chan-a', '/tenant/hooks/apiaccess/api/instagram/message']);
  });
});

describe('fetch and headers', () => {
  it('sends every attempt through the given fetch, each with the headers and a signature', async () => {
    const { url, seen } = await receiver([status(503), ok]);
    const sent: Request[] = [];
    const client = createPushClient({
      baseUrl: url,
      appSecret: 'k',
      retryDelayMs: 1,
      headers: { 'x-relay': 'edge-1' },
      fetch: (request) => {
        sent.push(request);
        return globalThis.fetch(request);
      },
    });
    await expect(client.push(textDelivery('opt-fetch') as any, { chanId: 'chan-a' })).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(2);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.headers.get('x-relay')).toBe('edge-1');
      expect(request.headers.get('x-hub-signature-256')).toMatch(/^sha256=[0-9a-f]{64}$/);
    }
  });
});

describe('chanId', () => {
  it('sends to the channel path when given, and to the bare path when not', async () => {
    const { url, seen } = await receiver([ok]);
    const client = createPushClient({ baseUrl: url });
    await client.push(textDelivery('opt-c1') as any, { chanId: 'chan-a' });
    await client.push(textDelivery('opt-c2') as any);
    await client.push(textDelivery('opt-c3') as any, {});
    await client.pushRaw('{"object":"instagram","entry":[]}', { chanId: 'chan-a' });
    await client.pushRaw('{"object":"instagram","entry":[]}');
    expect(seen.map((s) => s.url)).toEqual([
      '/apiaccess/api/instagram/message/chan-a',
      '/apiaccess/api/instagram/message',
      '/apiaccess/api/instagram/message',
      '/apiaccess/api/instagram/message/chan-a',
      '/apiaccess/api/instagram/message',
    ]);
  });

  it('escapes a channel ID that holds a slash or a space, so it stays one path segment', async () => {
    const { url, seen } = await receiver([ok]);
    await createPushClient({ baseUrl: url }).push(textDelivery('opt-c4') as any, { chanId: 'a b/c' });
    expect(seen[0]!.url).toBe('/apiaccess/api/instagram/message/a%20b%2Fc');
  });

  it('pushRaw without a channel lets the reference server route by entry[].id', async () => {
    const body = JSON.stringify(textDelivery('opt-raw-route', ACCOUNT_A));
    await expect(createPushClient({ baseUrl: server.url, appSecret: SECRET_A }).pushRaw(body)).resolves.toEqual({ resultMsg: '200' });
    expect((await stored('opt-raw-route'))[0]!.channel).toBe('chan-a');
  });

  it('the handshake goes to the channel path when given, and to the bare path when not', async () => {
    const { url, seen } = await receiver([(res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('42')]);
    const client = createPushClient({ baseUrl: url });
    await expect(client.verifyWebhook({ chanId: 'chan-a', verifyToken: 't', challenge: '42' })).resolves.toBe('42');
    await expect(client.verifyWebhook({ verifyToken: 't', challenge: '42' })).resolves.toBe('42');
    expect(seen.map((s) => s.url)).toEqual([
      '/apiaccess/api/instagram/message/chan-a?hub.mode=subscribe&hub.verify_token=t&hub.challenge=42',
      '/apiaccess/api/instagram/message?hub.mode=subscribe&hub.verify_token=t&hub.challenge=42',
    ]);
  });
});

describe('retries and which answers are retried', () => {
  it('makes three attempts by default', async () => {
    const { url, seen } = await receiver([status(503)]);
    const err = await createPushClient({ baseUrl: url, retryDelayMs: 1 }).push(textDelivery('opt-r1') as any).catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(err).toMatchObject({ status: 503, attempts: 3 });
  });

  it('makes one attempt with retries: 0', async () => {
    const { url, seen } = await receiver([status(503)]);
    const err = await createPushClient({ baseUrl: url, retries: 0 }).push(textDelivery('opt-r2') as any).catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toMatchObject({ status: 503, attempts: 1 });
  });

  it.each([408, 429, 500, 501, 502, 503, 504, 599])('retries %i', async (code) => {
    const { url, seen } = await receiver([status(code), ok]);
    await expect(createPushClient({ baseUrl: url, retries: 1, retryDelayMs: 1 }).push(textDelivery(`opt-s${code}`) as any)).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(2);
    expect(isRetryable(code)).toBe(true);
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 428, 431, 499])('sends once and reports %i at once', async (code) => {
    const { url, seen } = await receiver([status(code), ok]);
    const err = await createPushClient({ baseUrl: url, retries: 3, retryDelayMs: 1 }).push(textDelivery(`opt-n${code}`) as any).catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toMatchObject({ status: code, attempts: 1 });
    expect(isRetryable(code)).toBe(false);
  });

  it('sends a refused delivery once to the reference server, whatever the retries', async () => {
    const client = createPushClient({ baseUrl: server.url, appSecret: 'not-the-secret', retries: 5, retryDelayMs: 1 });
    const err = (await client.push(textDelivery('opt-4xx') as any, { chanId: 'chan-a' }).catch((e: unknown) => e)) as PushError;
    expect(err).toMatchObject({ status: 401, code: 'bad_signature', attempts: 1 });
    expect(await stored('opt-4xx')).toHaveLength(0);
  });

  it('waits the backoff retryDelayMs asks for: with a long base, no second attempt goes out soon', async () => {
    const { url, seen } = await receiver([status(503), ok]);
    const controller = new AbortController();
    const pending = createPushClient({ baseUrl: url, retries: 1, retryDelayMs: 1e9 })
      .push(textDelivery('opt-delay') as any, { signal: controller.signal })
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(1);
    const reason = new Error('caller gave up');
    const stopped = Date.now();
    controller.abort(reason);
    const err = await pending;
    expect(Date.now() - stopped).toBeLessThan(500); // the abort ends the wait, not the timer
    expect(err).toMatchObject({ status: 0, attempts: 1, cause: reason });
    expect(seen).toHaveLength(1);
  });
});

describe('timeoutMs', () => {
  it('limits each attempt, not the whole push: a hung first attempt is retried', async () => {
    const { url, seen } = await receiver([never, ok]);
    const started = Date.now();
    await expect(createPushClient({ baseUrl: url, timeoutMs: 200, retries: 1, retryDelayMs: 1 }).push(textDelivery('opt-t1') as any)).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - started).toBeGreaterThanOrEqual(190);
    expect(seen[1]!.at - started).toBeLessThan(1500);
  });

  it('lets attempts that each answer within the limit add up past it', async () => {
    const { url, seen } = await receiver([after(150, status(503)), after(150, status(503)), after(150, ok)]);
    const started = Date.now();
    await expect(createPushClient({ baseUrl: url, timeoutMs: 400, retries: 2, retryDelayMs: 1 }).push(textDelivery('opt-t2') as any)).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThan(400);
  });

  it('says how many attempts timed out and after how long', async () => {
    const { url, seen } = await receiver([never]);
    const err = (await createPushClient({ baseUrl: url, timeoutMs: 150, retries: 1, retryDelayMs: 1 }).push(textDelivery('opt-t3') as any).catch((e: unknown) => e)) as PushError;
    expect(seen).toHaveLength(2);
    expect(err).toMatchObject({ status: 0, attempts: 2, body: undefined });
    expect(err.message).toBe(`no answer from ${url}/apiaccess/api/instagram/message (2 attempts): no answer within 150 ms`);
    expect(err.cause).toBeInstanceOf(NoAnswerError);
    expect((err.cause as Error).name).toBe('NoAnswerError');
    expect(((err.cause as Error).cause as Error).name).toBe('TimeoutError');
  });
});

describe('when nothing answers', () => {
  it('names the URL and the network error under "fetch failed" in words, with the attempts when more than one', async () => {
    const url = await closedPort();
    const one = (await createPushClient({ baseUrl: url, retries: 0 }).push(textDelivery('opt-n1') as any).catch((e: unknown) => e)) as PushError;
    expect(one).toMatchObject({ status: 0, attempts: 1 });
    expect(one.message).toBe(`could not connect to ${url}/apiaccess/api/instagram/message: connection refused (ECONNREFUSED)`);
    const two = (await createPushClient({ baseUrl: url, retries: 1, retryDelayMs: 1 }).push(textDelivery('opt-n2') as any).catch((e: unknown) => e)) as PushError;
    expect(two.message).toBe(`could not connect to ${url}/apiaccess/api/instagram/message: connection refused (ECONNREFUSED) (2 attempts)`);
  });

  it('describes what lies under a failure: a code, else a message, unless already said', () => {
    const wrapped = (inner: object) => new TypeError('fetch failed', { cause: inner });
    expect(new NoAnswerError(1, wrapped({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' })).message).toBe('no answer after 1 attempt: the host name does not resolve (ENOTFOUND)');
    expect(new NoAnswerError(1, wrapped({ message: 'other side closed' })).message).toBe('no answer after 1 attempt: fetch failed (other side closed)');
    expect(new NoAnswerError(1, wrapped({ code: 42, message: 'bad port' })).message).toBe('no answer after 1 attempt: fetch refuses to use this port (bad port)');
    expect(new NoAnswerError(3, new Error('socket hang up', { cause: { code: 'hang up' } })).message).toBe('no answer after 3 attempts: socket hang up');
    expect(new NoAnswerError(2, new Error('plain')).message).toBe('no answer after 2 attempts: plain');
    expect(new NoAnswerError(2, 'a string').message).toBe('no answer after 2 attempts: a string');
    expect(new NoAnswerError(2, undefined).message).toBe('no answer after 2 attempts: undefined');
  });
});

describe("the caller's signal", () => {
  it('surfaces the caller\'s own abort reason, with no retry and no "no answer"', async () => {
    for (const retries of [0, 2]) {
      const { url, seen } = await receiver([never]);
      const controller = new AbortController();
      const reason = new Error(`stop ${retries}`);
      setTimeout(() => controller.abort(reason), 100);
      const err = (await createPushClient({ baseUrl: url, retries, timeoutMs: 5000, retryDelayMs: 1 })
        .push(textDelivery('opt-abort') as any, { signal: controller.signal })
        .catch((e: unknown) => e)) as PushError;
      expect(err).toMatchObject({ status: 0, attempts: 1, message: `stop ${retries}` });
      expect(err.cause).toBe(reason);
      expect(seen).toHaveLength(1);
      stub!.closeAllConnections();
      await new Promise((r) => stub!.close(r));
      stub = undefined;
    }
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { url, seen } = await receiver([ok]);
    const err = await createPushClient({ baseUrl: url }).push(textDelivery('opt-pre') as any, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, attempts: 1 });
    expect(seen).toHaveLength(0);
  });
});
