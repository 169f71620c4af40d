// The client against Stoplight Prism's mock of the bundled spec: an implementation of the contract that
// nobody here wrote. Prism validates each request and reports violations in `sl-violations`.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import { spec } from '../support/contract.js';
import { freePort } from '../support/process.js';

let prism: ChildProcess;
let url: string;
const violations: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  prism = spawn(process.execPath, ['node_modules/@stoplight/prism-cli/dist/index.js', 'mock', '-h', '127.0.0.1', '-p', String(port), 'generated/openapi.json'], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  prism.stdout!.on('data', (d) => (out += d));
  prism.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/Prism is listening/.test(out)) {
    if (Date.now() > deadline || prism.exitCode !== null) throw new Error(`prism did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 40_000);
afterAll(() => {
  prism?.kill();
});

/** Fetch that records Prism's validation verdict on each request the client sends. */
const recording = async (request: Request) => {
  const response = await fetch(request);
  const v = response.headers.get('sl-violations');
  if (v) violations.push(`${request.method} ${request.url}: ${v}`);
  return response;
};

describe('the client against Prism', () => {
  it('pushes every spec example, to both path variants, without a violation', async () => {
    const client = createPushClient({ baseUrl: url, appSecret: 'prism-secret', fetch: recording });
    for (const example of Object.values<any>(spec.components.requestBodies.WebhookDelivery.content['application/json'].examples)) {
      const value = spec.components.examples[example.$ref.split('/').pop()].value;
      await expect(client.push(value)).resolves.toEqual({ resultMsg: '200' });
      await expect(client.push(value, { chanId: 'chan-a' })).resolves.toEqual({ resultMsg: '200' });
    }
    expect(violations).toEqual([]);
  });
  it('runs the handshake without a violation', async () => {
    const client = createPushClient({ baseUrl: url, fetch: recording });
    await expect(client.verifyWebhook({ chanId: 'chan-a', verifyToken: 'vt', challenge: '42' })).resolves.toEqual(expect.any(String));
    await expect(client.verifyWebhook({ verifyToken: 'vt', challenge: '42' })).resolves.toEqual(expect.any(String));
    expect(violations).toEqual([]);
  });
  it('Prism does flag a request that breaks the contract (the check can fail)', async () => {
    const client = createPushClient({ baseUrl: url, fetch: recording, retries: 0 });
    await client.push({ entry: 'not an array' } as any).catch(() => undefined);
    expect(violations.length).toBeGreaterThan(0);
    violations.length = 0;
  });
});
