// The client against the reference server: pushes, batches, the handshake, and typed failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient, isPushError, PushError } from '../../client/index.js';
import { spec } from '../support/contract.js';
import { ACCOUNT_A, SECRET_A, SECRET_B, testConfig } from '../support/channels.js';
import { textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close(); // also fails the suite if any request the client sent broke the spec
});

const stored = async (mid: string) => (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);

describe('the client against the reference server', () => {
  it('pushes a signed delivery to a channel and resolves to the 200 body', async () => {
    const client = createPushClient({ baseUrl: server.url, appSecret: SECRET_A });
    await expect(client.push(textDelivery('client-1') as any, { chanId: 'chan-a' })).resolves.toEqual({ resultMsg: '200' });
    expect(await stored('client-1')).toHaveLength(1);
  });

  it('pushes without a channel and lets the receiver route by entry[].id', async () => {
    const client = createPushClient({ baseUrl: `${server.url}/`, appSecret: SECRET_A });
    await client.push(textDelivery('client-2', ACCOUNT_A) as any);
    expect((await stored('client-2'))[0]!.channel).toBe('chan-a');
  });

  it('pushes the spec\'s batched example whole', async () => {
    const client = createPushClient({ baseUrl: server.url });
    await client.push(spec.components.examples.BatchedDelivery.value, { chanId: 'chan-open' });
    expect((await server.inbox.list({ limit: 1000 })).items.filter((i) => i.channel === 'chan-open').length).toBeGreaterThanOrEqual(2);
  });

  it('signs non-ASCII text over the exact bytes it sends', async () => {
    const client = createPushClient({ baseUrl: server.url, appSecret: SECRET_A });
    await client.push(textDelivery('client-utf8', ACCOUNT_A, 'café 😀 / \u2028') as any, { chanId: 'chan-a' });
    expect(((await stored('client-utf8'))[0]!.event as any).message.text).toBe('café 😀 / \u2028');
  });

  it('runs the handshake and resolves to the echoed challenge', async () => {
    const client = createPushClient({ baseUrl: server.url });
    await expect(client.verifyWebhook({ chanId: 'chan-a', verifyToken: 'verify-a', challenge: '1158201444' })).resolves.toBe('1158201444');
    await expect(client.verifyWebhook({ verifyToken: 'verify-b', challenge: 'x y+z' })).resolves.toBe('x y+z');
  });

  it('throws PushError 401 bad_signature for the wrong secret, after one attempt', async () => {
    const client = createPushClient({ baseUrl: server.url, appSecret: SECRET_B });
    const err = await client.push(textDelivery('client-3') as any, { chanId: 'chan-a' }).catch((e: unknown) => e);
    expect(isPushError(err)).toBe(true);
    expect(err).toMatchObject({ status: 401, code: 'bad_signature', attempts: 1 });
    expect((err as PushError).body?.requestId).toEqual(expect.any(String));
  });

  it('throws PushError 400 naming each failing path for a schema violation', async () => {
    const client = createPushClient({ baseUrl: server.url, headers: { 'x-contract-probe': 'invalid' } });
    const bad = { entry: [{ id: 'x', time: 'soon' }] } as any;
    const err = (await client.push(bad, { chanId: 'chan-open' }).catch((e: unknown) => e)) as PushError;
    expect(err.status).toBe(400);
    expect(err.body?.errors.map((e) => e.path)).toContain('/body/entry/0/time');
    expect(err.message).toMatch(/schema_violation.*\/body\/entry\/0\/time/);
  });

  it('throws PushError 404 for an unknown channel and 401 for a wrong verify token', async () => {
    const client = createPushClient({ baseUrl: server.url });
    await expect(client.push(textDelivery('client-4') as any, { chanId: 'nope' })).rejects.toMatchObject({ status: 404, code: 'unknown_channel' });
    await expect(client.verifyWebhook({ chanId: 'chan-a', verifyToken: 'wrong', challenge: '1' })).rejects.toMatchObject({ status: 401, code: 'bad_verify_token' });
  });

  it('reads the inbox through the typed raw client', async () => {
    const client = createPushClient({ baseUrl: server.url, headers: { authorization: 'Bearer inbox-token' } });
    const { data } = await client.raw.GET('/inbox/messages', { params: { query: { channel: 'chan-a', limit: 5 } } });
    expect(data?.items.every((i) => i.channel === 'chan-a')).toBe(true);
  });
});
