// How long the client waits before a retry: Retry-After in seconds or as an HTTP date (ahead or past),
// values that are neither, the cap on long waits, and the jittered backoff when the receiver says nothing.
// Most tests drive retryingFetch (what createPushClient sends with) against a real receiver with a sleep
// that records each wait and returns at once; one waits for real through createPushClient.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushClient, retryAfterMs } from '../../client/index.js';
import { attemptsOf, NoAnswerError, retryingFetch, type RetryPolicy } from '../../client/retry.js';
import { textDelivery } from '../support/http.js';

let stub: Server | undefined;
afterEach(async () => {
  stub?.closeAllConnections();
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
  stub = undefined;
});

/** A receiver on 127.0.0.1 that answers the n-th request with `script[n]` (the last entry repeats). */
async function receiver(script: ((res: ServerResponse) => void)[]): Promise<{ url: string; seen: number[] }> {
  const seen: number[] = [];
  stub = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(Date.now());
      script[Math.min(seen.length - 1, script.length - 1)]!(res);
    });
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, seen };
}

const ok = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
const answer = (status: number, retryAfter?: string) => (res: ServerResponse) =>
  res
    .writeHead(status, { 'content-type': 'application/json', ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }) })
    .end(JSON.stringify({ resultMsg: 'busy', code: 'internal_error', requestId: 'r', errors: [] }));

/** retryingFetch with a sleep that records each wait, random fixed at 0.5 and a 100 ms backoff base. */
function recording(policy: Partial<RetryPolicy> = {}) {
  const waits: number[] = [];
  const send = retryingFetch({
    retries: 1,
    retryDelayMs: 100,
    timeoutMs: 5000,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...policy,
  });
  return { waits, send: (url: string) => send(new Request(`${url}/apiaccess/api/instagram/message/chan-a`, { method: 'POST', body: '{}' })) };
}

/** An HTTP date `seconds` whole seconds after the next full second. */
const httpDateIn = (seconds: number) => new Date(Math.ceil(Date.now() / 1000) * 1000 + seconds * 1000).toUTCString();

describe('Retry-After from the receiver', () => {
  it('waits the seconds it asks for, on 503, 429 and 408 alike', async () => {
    const { url, seen } = await receiver([answer(503, '3'), answer(429, '120'), answer(408, '0'), ok]);
    const { waits, send } = recording({ retries: 3 });
    const response = await send(url);
    expect(response.status).toBe(200);
    expect(attemptsOf(response)).toBe(4);
    expect(seen).toHaveLength(4);
    expect(waits).toEqual([3000, 60_000, 0]);
  });

  it('waits until an HTTP date ahead', async () => {
    const { url } = await receiver([answer(503, httpDateIn(5)), ok]);
    const { waits, send } = recording();
    expect((await send(url)).status).toBe(200);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(4000);
    expect(waits[0]).toBeLessThanOrEqual(6000);
  });

  it('retries at once for an HTTP date already past', async () => {
    const { url } = await receiver([answer(503, 'Wed, 21 Oct 2015 07:28:00 GMT'), ok]);
    const { waits, send } = recording();
    expect((await send(url)).status).toBe(200);
    expect(waits).toEqual([0]);
  });

  it.each(['soon', '1.5', '-1', '+5', '3abc', 'soon 3', ''])('falls back to the backoff for Retry-After %j, neither seconds nor a date', async (value) => {
    const { url } = await receiver([answer(503, value), ok]);
    const { waits, send } = recording();
    expect((await send(url)).status).toBe(200);
    expect(waits).toEqual([50]);
  });

  it('caps a long wait at maxRetryAfterMs, and at 60 s by default, in seconds or as a date', async () => {
    const { url } = await receiver([answer(503, '3600'), answer(503, httpDateIn(86_400)), ok]);
    const capped = recording({ retries: 2, maxRetryAfterMs: 5000 });
    expect((await capped.send(url)).status).toBe(200);
    expect(capped.waits).toEqual([5000, 5000]);
    stub!.closeAllConnections();

    const { url: again } = await receiver([answer(503, '3600'), answer(503, httpDateIn(86_400)), ok]);
    const byDefault = recording({ retries: 2 });
    expect((await byDefault.send(again)).status).toBe(200);
    expect(byDefault.waits).toEqual([60_000, 60_000]);
  });

  it('ignores Retry-After on an answer that is not retried, and on the last attempt', async () => {
    const { url, seen } = await receiver([answer(400, '5')]);
    const refused = recording();
    expect((await refused.send(url)).status).toBe(400);
    expect(seen).toHaveLength(1);
    expect(refused.waits).toEqual([]);

    const { url: busy } = await receiver([answer(503, '5')]);
    const last = recording({ retries: 1 });
    const response = await last.send(busy);
    expect(response.status).toBe(503);
    expect(attemptsOf(response)).toBe(2);
    expect(last.waits).toEqual([5000]);
  });
});

describe('backoff when the receiver names no wait', () => {
  it('waits random × retryDelayMs × 2^attempt before each retry', async () => {
    const { url } = await receiver([answer(503), answer(500), answer(502), ok]);
    const { waits, send } = recording({ retries: 3 });
    expect((await send(url)).status).toBe(200);
    expect(waits).toEqual([50, 100, 200]);
  });

  it('does not wait after the last attempt when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));
    const { waits, send } = recording({ retries: 2 });
    const err = await send(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAnswerError);
    expect((err as NoAnswerError).attempts).toBe(3);
    expect(waits).toEqual([50, 100]);
  });
});

describe('through createPushClient', () => {
  it('sends the next attempt no earlier than an HTTP-date Retry-After names', async () => {
    const at = httpDateIn(1);
    const { url, seen } = await receiver([answer(503, at), ok]);
    await expect(createPushClient({ baseUrl: url, retryDelayMs: 1 }).push(textDelivery('ra-1') as any, { chanId: 'c' })).resolves.toEqual({ resultMsg: '200' });
    expect(seen).toHaveLength(2);
    expect(seen[1]!).toBeGreaterThanOrEqual(Date.parse(at) - 20);
    expect(seen[1]! - seen[0]!).toBeLessThan(2500);
  });
});

describe('retryAfterMs', () => {
  it('reads whole seconds, spaces around them allowed', () => {
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs(' 7 ')).toBe(7000);
  });

  it('reads the HTTP-date forms against the given clock, and a past date as 0', () => {
    const now = Date.UTC(2015, 9, 21, 7, 27, 30);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wednesday, 21-Oct-15 07:28:00 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });

  it('gives undefined for no header and for values that are neither', () => {
    for (const value of [null, '', 'soon', '1.5', '-1', '+5', '3abc', 'soon 3', 'Wed, 99 Foo 2015 07:28:00 GMT']) {
      expect(retryAfterMs(value), String(value)).toBeUndefined();
    }
  });
});
