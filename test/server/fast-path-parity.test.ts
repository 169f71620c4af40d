// The push hot path (validators precompiled from the spec) and the general express-openapi-validator
// path must answer every request alike: same status, same code, same failing paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec } from '../support/contract.js';
import { SECRET_A, testConfig } from '../support/channels.js';
import { push, request, sign, textDelivery, PUSH_PATH, type Answer } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let fast: TestServer;
let general: TestServer;
beforeAll(async () => {
  [fast, general] = await Promise.all([
    startTestServer({ config: testConfig, app: { fastPush: true } }),
    startTestServer({ config: testConfig, app: { fastPush: false } }),
  ]);
});
afterAll(async () => {
  await Promise.all([fast.close(), general.close()]);
});

const wrong = (mutate: (b: any) => void) => {
  const b = structuredClone(spec.components.examples.ProviderExample.value);
  b.entry[0].id = '17841400000000000';
  mutate(b);
  return JSON.stringify(b);
};

type Case = [string, { path: string; body: string; headers?: Record<string, string> }];
const signed = (body: string) => ({ 'x-hub-signature-256': sign(body, SECRET_A) });
const cases: Case[] = [
  ['a valid delivery', { path: '/chan-a', body: JSON.stringify(textDelivery('parity-1')) }],
  ['routed by entry id', { path: '', body: JSON.stringify(textDelivery('parity-2')) }],
  ['a wrong time type', { path: '/chan-a', body: wrong((b) => (b.entry[0].time = 'x')) }],
  ['several wrong fields', { path: '/chan-a', body: wrong((b) => Object.assign(b.entry[0].messaging[0].message, { is_echo: 1, text: {}, attachments: 'no' })) }],
  ['entry not an array', { path: '/chan-a', body: wrong((b) => (b.entry = {})) }],
  ['an array body', { path: '/chan-a', body: '[]' }],
  ['too many entries', { path: '/chan-a', body: JSON.stringify({ entry: Array.from({ length: 1001 }, () => ({})) }) }],
  ['bad JSON', { path: '/chan-a', body: '{' }],
  ['unknown channel', { path: '/nope', body: '{}' }],
  ['a chanId breaking the pattern', { path: '/a%20b', body: '{}' }],
  ['disabled channel', { path: '/chan-off', body: '{}' }],
  ['no signature', { path: '/chan-a', body: '{}', headers: { 'x-hub-signature-256': '' } }],
  ['a query parameter the spec lacks', { path: '/chan-a?x=1', body: JSON.stringify(textDelivery('parity-3')) }],
  ['a wrong content type', { path: '/chan-a', body: '{}', headers: { 'content-type': 'text/plain' } }],
];

const shape = (a: Answer) => ({ status: a.status, code: a.json?.code, paths: (a.json?.errors ?? []).map((e: any) => e.path).sort() });

describe('the push hot path answers like the general validator path', () => {
  it.each(cases)('%s', async (_name, c) => {
    const send = (base: string) =>
      request(`${base}${PUSH_PATH}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signed(c.body), ...c.headers },
        body: c.body,
      });
    const [a, b] = await Promise.all([send(fast.url), send(general.url)]);
    expect(shape(a)).toEqual(shape(b));
  });
  it('both store an accepted delivery the same way', async () => {
    await Promise.all([fast, general].map((s) => push(s.url, textDelivery('parity-store'), { chanId: 'chan-a', secret: SECRET_A })));
    const [x, y] = await Promise.all([fast, general].map(async (s) => (await s.inbox.list({ limit: 1000 })).items.find((i) => i.mid === 'parity-store')));
    expect({ ...x, id: 0, receivedAt: 0 }).toEqual({ ...y, id: 0, receivedAt: 0 });
  });
});

describe('in the open sandbox too', () => {
  it('both refuse a chanId that breaks the spec pattern with 400 at /path/chanId', async () => {
    const [a, b] = await Promise.all([startTestServer({ app: { fastPush: true } }), startTestServer({ app: { fastPush: false } })]);
    try {
      const answers = await Promise.all([a, b].map((s) => push(s.url, textDelivery('sandbox-parity'), { chanId: 'a%20b' })));
      for (const r of answers) expect(shape(r)).toEqual({ status: 400, code: 'bad_request', paths: ['/path/chanId'] });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
