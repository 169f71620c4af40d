// The bad-input catalogue: every hostile or broken request gets the error body, and the server stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { get, push, PUSH_PATH, request, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ app: { bodyLimit: 64 * 1024 } });
});
afterAll(async () => {
  await server.close();
});

const expectError = (r: { status: number; json: any }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(r.json).toMatchObject({ code, requestId: expect.any(String), resultMsg: expect.any(String) });
  expect(JSON.stringify(r.json)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
};

describe('bad input', () => {
  it('truncated JSON: 400 invalid_json', async () => {
    expectError(await push(server.url, '{"object":"instagram","entry":[{'), 400, 'invalid_json');
  });
  it('empty body: 400 invalid_json', async () => {
    expectError(await push(server.url, ''), 400, 'invalid_json');
  });
  it('wrong content type: 415 unsupported_media_type', async () => {
    expectError(await push(server.url, '{}', { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    expectError(await push(server.url, '{}', { headers: { 'content-type': 'application/json; charset=latin1' } }), 415, 'unsupported_media_type');
  });
  it('no content type: 415', async () => {
    const r = await request(`${server.url}${PUSH_PATH}`, { method: 'POST', body: new Uint8Array(Buffer.from('{}')) });
    expectError(r, 415, 'unsupported_media_type');
  });
  it('a body over the limit: 413 payload_too_large, declared or streamed', async () => {
    const big = JSON.stringify({ object: 'x'.repeat(70 * 1024) });
    expectError(await push(server.url, big), 413, 'payload_too_large');
    // Chunked, with no Content-Length: the limit is enforced while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}${PUSH_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 80; i++) req.write(' '.repeat(1024));
      req.end('{}');
    });
    expect(status).toBe(413);
  });
  it('nesting 50 000 deep: 400 too_deep, and the server survives', async () => {
    expectError(await push(server.url, '['.repeat(50_000)), 400, 'too_deep');
    expectError(await push(server.url, `${'{"a":'.repeat(50)}1${'}'.repeat(50)}`), 400, 'too_deep');
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });
  it('brackets inside strings do not count as nesting', async () => {
    const body = textDelivery('mid-brackets', '1', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\\"');
    expect((await push(server.url, body)).status).toBe(200);
  });
  it('__proto__ keys are stored as data and pollute nothing', async () => {
    const raw = '{"__proto__":{"polluted":true},"entry":[{"id":"1","messaging":[{"__proto__":{"isAdmin":true},"message":{"mid":"mid-proto","text":"x"}}]}]}';
    const r = await push(server.url, raw);
    expect(r.status).toBe(200);
    expect(({} as any).polluted).toBeUndefined();
    expect(({} as any).isAdmin).toBeUndefined();
    const items = (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === 'mid-proto');
    expect(items).toHaveLength(1);
  });
  it('invalid UTF-8: 400 invalid_json', async () => {
    const bytes = Buffer.concat([Buffer.from('{"object":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expectError(await push(server.url, new Uint8Array(bytes)), 400, 'invalid_json');
  });
  it('an array body: 400 schema_violation at /body', async () => {
    const r = await push(server.url, '[{"object":"instagram"}]');
    expectError(r, 400, 'schema_violation');
  });
  it('an unknown path: 404 not_found; a wrong method: 405 with Allow', async () => {
    expectError(await get(`${server.url}/nope`), 404, 'not_found');
    const r = await request(`${server.url}${PUSH_PATH}`, { method: 'DELETE' });
    expectError(r, 405, 'method_not_allowed');
    expect(r.headers.get('allow')).toMatch(/GET/);
    expect(r.headers.get('allow')).toMatch(/POST/);
  });
  it('a malformed percent-escape in the channel does not crash', async () => {
    const r = await push(server.url, textDelivery('mid-pct'), { chanId: '%E0%A4%A' });
    expect([400, 404]).toContain(r.status);
  });
  it('the server still answers after the whole catalogue', async () => {
    expect((await push(server.url, textDelivery('mid-after'))).status).toBe(200);
  });
});
