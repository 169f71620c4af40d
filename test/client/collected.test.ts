// Node 20's fetch ties a request to the signal it was given through a weak reference (nodejs/node#55428):
// once the Request object is collected, aborting the signal no longer aborts the fetch. The client gives
// each attempt a Request of its own; a garbage collection while an attempt waits must not let the
// attempt outlive its timeout (it hung for ever under Stryker's memory-hungry test runner).
import { createServer, type Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createPushClient, PushError } from '../../client/index.js';
import { textDelivery } from '../support/http.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let stub: Server | undefined;
afterEach(async () => {
  stub?.closeAllConnections();
  await new Promise((r) => (stub ? stub.close(r) : r(undefined)));
});

/** A receiver that reads each request and never answers; counts them. */
async function silent(): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  stub = createServer((req) => {
    req.resume();
    seen++;
  });
  await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, seen: () => seen };
}

describe('an attempt under garbage collection', () => {
  it('still times out when the collector runs while it waits for an answer', async () => {
    const { url, seen } = await silent();
    const collecting = setInterval(gc, 10);
    try {
      const started = Date.now();
      const err = await createPushClient({ baseUrl: url, timeoutMs: 200, retries: 1, retryDelayMs: 1 }).push(textDelivery('gc-1') as any).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PushError);
      expect((err as PushError).message).toMatch(/no answer within 200 ms$/);
      expect(seen()).toBe(2);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      clearInterval(collecting);
    }
  }, 10_000);

  it("still ends when the caller's signal aborts while the collector runs", async () => {
    const { url } = await silent();
    const collecting = setInterval(gc, 10);
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('the caller gave up')), 200);
    try {
      const started = Date.now();
      const push = createPushClient({ baseUrl: url, timeoutMs: 60_000, retries: 0 }).push(textDelivery('gc-2') as any, { signal: caller.signal });
      await expect(push).rejects.toThrow('the caller gave up');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      clearInterval(collecting);
    }
  }, 10_000);

  it('still cuts an answer whose body stalls after its headers while the collector runs', async () => {
    stub = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"resultMsg":');
    });
    await new Promise<void>((r) => stub!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
    const collecting = setInterval(gc, 10);
    try {
      const started = Date.now();
      const err = await createPushClient({ baseUrl: url, timeoutMs: 200, retries: 0 }).push(textDelivery('gc-3') as any).catch((e: unknown) => e);
      expect(String(err)).toMatch(/no answer within 200 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      clearInterval(collecting);
    }
  }, 10_000);
});
