// Which requests the push hot path (push/fast-path.ts) takes, as an operator sees it in the debug log
// ("push taken by the hot path", with the request's X-Request-Id), and that the requests it leaves to
// the general path still get the contract's answer.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { PUSH_PATH, request, sign, textDelivery, type Answer } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const HOT = 'push taken by the hot path';

/** A server logging at debug level into memory, and the request IDs its hot path said it took. */
async function loggedServer(fastPush: boolean, config: object | null = testConfig) {
  const lines: { requestId?: string; msg?: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const server = await startTestServer({ config: config ?? undefined, app: { fastPush, logger: pino({ level: 'debug' }, sink) } });
  const tookIt = (a: Answer) => lines.some((l) => l.msg === HOT && l.requestId === a.headers.get('x-request-id'));
  return { server, tookIt };
}

const body = (mid: string) => JSON.stringify(textDelivery(mid));
const post = (url: string, raw: string, headers: Record<string, string> = {}) =>
  request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, SECRET_A), ...headers }, body: raw });

let hot: Awaited<ReturnType<typeof loggedServer>>;
let general: Awaited<ReturnType<typeof loggedServer>>;
beforeAll(async () => {
  [hot, general] = await Promise.all([loggedServer(true), loggedServer(false)]);
});
afterAll(async () => {
  await Promise.all([hot.server.close(), general.server.close()]);
});
const stored = async (s: TestServer, mid: string) => (await s.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid).map((i) => i.channel);

describe('pushes the hot path takes', () => {
  it.each([
    ['the path without a chanId', '', 'chan-a'],
    ['a chanId', '/chan-a', 'chan-a'],
    ['a percent-encoded chanId', '/chan%2Da', 'chan-a'],
  ])('takes and stores a push to %s', async (_name, suffix, channel) => {
    const mid = `hot-takes-${suffix}`;
    const r = await post(`${hot.server.url}${PUSH_PATH}${suffix}`, body(mid));
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ resultMsg: '200' });
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(hot.tookIt(r)).toBe(true);
    expect(await stored(hot.server, mid)).toEqual([channel]);
  });

  it('takes the pushes it refuses too, and answers them in the contract', async () => {
    const unknown = await post(`${hot.server.url}${PUSH_PATH}/chan-zzz`, body('hot-unknown'));
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/path/chanId' }] });
    const plain = await post(`${hot.server.url}${PUSH_PATH}/chan-a`, body('hot-plain'), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    const query = await post(`${hot.server.url}${PUSH_PATH}/chan-a?debug=1`, body('hot-query'));
    expect(query.status).toBe(400);
    expect(query.json).toMatchObject({ code: 'bad_request', errors: [{ path: '/query/debug', message: "Unknown query parameter 'debug'" }] });
    const malformed = await post(`${hot.server.url}${PUSH_PATH}/chan%E0%A4%A`, body('hot-malformed'));
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ code: 'bad_request', errors: [{ path: '/path/chanId', message: 'malformed percent-encoding' }] });
    expect(malformed.json.resultMsg).toBe('The channel ID in the path is not a valid URL segment.');
    const oneLetter = await post(`${hot.server.url}${PUSH_PATH}/x`, body('hot-one-letter'));
    expect(oneLetter.status).toBe(404);
    expect(oneLetter.json.code).toBe('unknown_channel');
    for (const r of [unknown, plain, query, malformed, oneLetter]) expect(hot.tookIt(r)).toBe(true);
    expect(await stored(hot.server, 'hot-query')).toEqual([]);
  });

  it('is not there when fastPush is off: the general path stores the same pushes', async () => {
    for (const suffix of ['', '/chan-a']) {
      const mid = `general-${suffix}`;
      const r = await post(`${general.server.url}${PUSH_PATH}${suffix}`, body(mid));
      expect(r.status, r.text).toBe(200);
      expect(general.tookIt(r)).toBe(false);
      expect(await stored(general.server, mid)).toEqual(['chan-a']);
    }
  });
});

describe('requests the hot path leaves to the general path', () => {
  it.each([
    ['the push path with a trailing slash', `${PUSH_PATH}/`],
    ['a push path with a trailing slash after the chanId', `${PUSH_PATH}/chan-a/`],
    ['the push path in upper case', `${PUSH_PATH.toUpperCase()}/chan-a`],
    ['a path that only starts like the push path', `${PUSH_PATH}s`],
    ['a path that only starts like the push path, with a longer tail', `${PUSH_PATH}-v2`],
    ['a path that only starts like the push path, with a segment', `${PUSH_PATH}x/chan-a`],
    ['a path one segment deeper than a push', `${PUSH_PATH}/chan-a/extra`],
    ['a path with an empty segment before the chanId', `${PUSH_PATH}//chan-a`],
    ['a path above the push path', '/apiaccess/api/instagram'],
    ['an operational path', '/healthz'],
  ])('leaves a POST to %s, which is not in the contract: 404 not_found on both paths, nothing stored', async (_name, path) => {
    const mid = `not-push-${path}`;
    const [a, b] = await Promise.all([post(`${hot.server.url}${path}`, body(mid)), post(`${general.server.url}${path}`, body(mid))]);
    expect(hot.tookIt(a)).toBe(false);
    for (const r of [a, b]) expect([r.status, r.json?.code]).toEqual([404, 'not_found']);
    expect([...(await stored(hot.server, mid)), ...(await stored(general.server, mid))]).toEqual([]);
  });

  it('leaves the subscription handshake (GET) to the general path, which answers the challenge', async () => {
    const r = await request(`${hot.server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=42`, {});
    expect([r.status, r.text]).toEqual([200, '42']);
    expect(hot.tookIt(r)).toBe(false);
  });

  it('answers a handshake to the push path with a trailing slash with 404, not the challenge', async () => {
    const r = await request(`${hot.server.url}${PUSH_PATH}/chan-a/?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=42`, {});
    expect([r.status, r.json?.code]).toEqual([404, 'not_found']);
  });

  it('leaves other methods on the push path, which get 405 with Allow', async () => {
    const r = await request(`${hot.server.url}${PUSH_PATH}/chan-a`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: body('hot-put') });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toMatch(/POST/);
    expect(hot.tookIt(r)).toBe(false);
    expect(await stored(hot.server, 'hot-put')).toEqual([]);
  });
});

describe('refusals read word for word on both paths', () => {
  const words = (a: Answer) => {
    const { requestId: _id, ...json } = a.json ?? {};
    return { status: a.status, json };
  };
  it.each([
    ['a query parameter the spec lacks', `/chan-a?x=1`, body('words-query')],
    ['a body breaking the schema', '/chan-a', JSON.stringify({ object: 'instagram', entry: [{ id: ACCOUNT_A, time: 'soon' }] })],
  ])('%s', async (_name, suffix, raw) => {
    const [a, b] = await Promise.all([post(`${hot.server.url}${PUSH_PATH}${suffix}`, raw), post(`${general.server.url}${PUSH_PATH}${suffix}`, raw)]);
    expect(words(a)).toEqual(words(b));
  });

  it('a chanId breaking the spec pattern in the open sandbox', async () => {
    const [a, b] = await Promise.all([loggedServer(true, null), loggedServer(false, null)]);
    try {
      const send = (s: TestServer) => post(`${s.url}${PUSH_PATH}/a%20b`, body('words-pattern'));
      const [x, y] = await Promise.all([send(a.server), send(b.server)]);
      expect(x.status).toBe(400);
      expect(words(x)).toEqual(words(y));
    } finally {
      await Promise.all([a.server.close(), b.server.close()]);
    }
  });
});
