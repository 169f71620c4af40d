// Meta's subscription handshake on both path variants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/channels.js';
import { get, PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let sandbox: TestServer;
beforeAll(async () => {
  [server, sandbox] = await Promise.all([startTestServer({ config: testConfig }), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([server.close(), sandbox.close()]);
});

const hs = (base: string, q: Record<string, string>, chanId?: string) =>
  get(`${base}${PUSH_PATH}${chanId ? `/${chanId}` : ''}?${new URLSearchParams(q)}`);

describe('handshake', () => {
  it("echoes the challenge exactly, as text/plain, when the channel's verify token matches", async () => {
    const r = await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-a', 'hub.challenge': '1158201444' }, 'chan-a');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toBe('1158201444');
  });
  it('echoes a challenge that is not digits, unchanged', async () => {
    const r = await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-a', 'hub.challenge': 'a b+c/é' }, 'chan-a');
    expect(r.text).toBe('a b+c/é');
  });
  it('without a channel, accepts the verify token of any enabled channel', async () => {
    const r = await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-b', 'hub.challenge': '7' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('7');
  });
  it("refuses another channel's verify token with 401 and never echoes the challenge", async () => {
    const r = await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-b', 'hub.challenge': 'SECRET-CHALLENGE' }, 'chan-a');
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('bad_verify_token');
    expect(r.text).not.toContain('SECRET-CHALLENGE');
  });
  it('refuses a wrong verify token without a channel with 401', async () => {
    expect((await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' })).status).toBe(401);
  });
  it('refuses a hub.mode other than subscribe with 400 naming /query/hub.mode', async () => {
    const r = await hs(server.url, { 'hub.mode': 'unsubscribe', 'hub.verify_token': 'verify-a', 'hub.challenge': '1' }, 'chan-a');
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: any) => e.path)).toContain('/query/hub.mode');
  });
  it('refuses a missing parameter with 400 naming it', async () => {
    const r = await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-a' }, 'chan-a');
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: any) => e.path)).toContain('/query/hub.challenge');
  });
  it('answers 404 for an unknown channel and 401 for a disabled one', async () => {
    expect((await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': '1' }, 'nope')).status).toBe(404);
    expect((await hs(server.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-off', 'hub.challenge': '1' }, 'chan-off')).status).toBe(401);
  });
  it('in the open sandbox, any verify token passes', async () => {
    const r = await hs(sandbox.url, { 'hub.mode': 'subscribe', 'hub.verify_token': 'anything', 'hub.challenge': '99' }, 'whatever');
    expect(r.text).toBe('99');
  });
});
