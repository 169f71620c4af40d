// The edges of X-Hub-Signature-256: values of the right length that are not hex, either hex case, and
// padding around the value. A malformed signature is a 401 with the error body, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { get, push, sign, textDelivery, type Answer } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectedSignature, verifySignature } from '../../server/push/signature.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close();
});

const stored = async (mid: string) => (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);

const expectBadSignature = (r: Answer) => {
  expect(r.status, r.text).toBe(401);
  expect(r.json).toEqual({
    resultMsg: expect.stringMatching(/X-Hub-Signature-256/),
    code: 'bad_signature',
    requestId: expect.any(String),
    errors: [{ path: '/headers/x-hub-signature-256', message: 'signature does not match' }],
  });
};

/** The right signature for `raw` with one hex digit replaced by `c` at `at`. */
const spoilt = (raw: string, at: number, c: string) => {
  const good = sign(raw, SECRET_A);
  const i = 'sha256='.length + at;
  return good.slice(0, i) + c + good.slice(i + 1);
};

// Both push paths: the channel named by the path, and the channel found from entry[].id.
const paths = [
  ['with the channel in the path', 'chan-a'],
  ['with the channel found from entry[].id', undefined],
] as const;

describe.each(paths)('a signature of the right length made of non-hex characters, %s', (_name, chanId) => {
  const raw = JSON.stringify(textDelivery(`mid-nonhex-${chanId ?? 'entry'}`, ACCOUNT_A));

  it.each([
    ['its last character', 63, 'z'],
    ['its first character', 0, 'g'],
    ['a middle character', 31, '-'],
    ['a space inside', 20, ' '],
  ])('is refused with 401 bad_signature when %s is not hex', async (_what, at, c) => {
    const header = spoilt(raw, at as number, c as string);
    expect(header).toHaveLength('sha256='.length + 64);
    expectBadSignature(await push(server.url, raw, { chanId, headers: { 'x-hub-signature-256': header } }));
  });

  it('is refused with 401 when the whole value is 64 non-hex characters, and nothing is stored', async () => {
    expectBadSignature(await push(server.url, raw, { chanId, headers: { 'x-hub-signature-256': `sha256=${'x'.repeat(64)}` } }));
    expect(await stored(`mid-nonhex-${chanId ?? 'entry'}`)).toEqual([]);
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe.each(paths)('how the signature may be written, %s', (_name, chanId) => {
  it('accepts a signature written in upper-case hex, prefix and all', async () => {
    const mid = `mid-upper-${chanId ?? 'entry'}`;
    const raw = JSON.stringify(textDelivery(mid, ACCOUNT_A));
    const r = await push(server.url, raw, { chanId, headers: { 'x-hub-signature-256': sign(raw, SECRET_A).toUpperCase() } });
    expect(r.status, r.text).toBe(200);
    expect(await stored(mid)).toHaveLength(1);
  });

  it('accepts a signature header padded with spaces and tabs (HTTP whitespace around a value is not part of it)', async () => {
    const mid = `mid-padded-${chanId ?? 'entry'}`;
    const raw = JSON.stringify(textDelivery(mid, ACCOUNT_A));
    const r = await push(server.url, raw, { chanId, headers: { 'x-hub-signature-256': ` \t${sign(raw, SECRET_A)}\t ` } });
    expect(r.status, r.text).toBe(200);
    expect(await stored(mid)).toHaveLength(1);
  });

  it('refuses an upper-case signature made with another secret', async () => {
    const raw = JSON.stringify(textDelivery(`mid-upper-wrong-${chanId ?? 'entry'}`, ACCOUNT_A));
    expectBadSignature(await push(server.url, raw, { chanId, headers: { 'x-hub-signature-256': sign(raw, 'another-secret').toUpperCase() } }));
  });
});

describe('verifySignature', () => {
  const body = new TextEncoder().encode('{"object":"instagram"}');
  const good = expectedSignature(body, 's');

  it('ignores whitespace around the value, wherever the header value comes from', () => {
    for (const padded of [` ${good}`, `${good} `, `\t${good}\r\n`, `\u00a0${good}\u00a0`]) {
      expect(verifySignature(body, padded, 's'), JSON.stringify(padded)).toBe('valid');
    }
  });

  it('treats whitespace inside the value as a mismatch', () => {
    expect(verifySignature(body, good.replace('=', '= '), 's')).toBe('mismatch');
    expect(verifySignature(body, `${good.slice(0, 40)} ${good.slice(41)}`, 's')).toBe('mismatch');
  });

  it('answers mismatch, never throws, for 64 characters that are hex only in part', () => {
    const hex = good.slice('sha256='.length);
    for (const digits of [`${hex.slice(0, 63)}z`, `z${hex.slice(1)}`, `${hex.slice(0, 32)}xx${hex.slice(34)}`, `${'é'.repeat(64)}`, `${hex.slice(0, 62)}\u00e9\u00e9`]) {
      expect(digits).toHaveLength(64);
      expect(() => verifySignature(body, `sha256=${digits}`, 's')).not.toThrow();
      expect(verifySignature(body, `sha256=${digits}`, 's'), digits).toBe('mismatch');
    }
  });

  it('accepts upper-case hex and an upper-case prefix', () => {
    expect(verifySignature(body, good.toUpperCase(), 's')).toBe('valid');
  });

  it('answers mismatch for a value one digit short or one digit long', () => {
    expect(verifySignature(body, good.slice(0, -1), 's')).toBe('mismatch');
    expect(verifySignature(body, `${good}0`, 's')).toBe('mismatch');
  });
});
