// The one bearer guard (http/bearer-guard.ts) as a stranger's client meets it over HTTP: the inbox,
// admin and metrics tokens each answer a missing token 401 with `WWW-Authenticate: Bearer realm=…` and
// a wrong one with `error="invalid_token"` too (RFC 6750), in the spec's ErrorBody; the right one passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, sameToken } from '../../server/http/bearer-guard.js';
import { createServerMetrics } from '../../server/metrics/server-metrics.js';
import { validateSchema } from '../support/contract.js';
import { startTestServer } from '../support/server.js';
import { ADMIN, startRelayServer, TOKEN, type RelayServer } from '../support/relay.js';

const METRICS = 'bearer-metrics-token';
let server: RelayServer;

beforeAll(async () => {
  server = await startRelayServer([{ id: 'cc', url: 'http://127.0.0.1:9/' }]);
}, 30_000);
afterAll(() => server?.close());

const call = async (path: string, method: string, token?: string) => {
  const r = await fetch(`${server.url}${path}`, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: r.status, challenge: r.headers.get('www-authenticate'), json: r.status === 401 ? await r.json() : (await r.arrayBuffer(), undefined) };
};

describe.each([
  ['the inbox token', '/inbox/messages', 'GET', 'inbox', TOKEN],
  ['the inbox token, on the relay', '/relay/destinations', 'GET', 'inbox', TOKEN],
  ['the admin token', '/relay/destinations/cc/pause', 'POST', 'admin', ADMIN],
])('%s', (_name, path, method, realm, token) => {
  it('answers a missing token 401 with WWW-Authenticate: Bearer realm, in the ErrorBody', async () => {
    const r = await call(path, method);
    expect(r.status).toBe(401);
    expect(r.challenge).toBe(`Bearer realm="${realm}"`);
    expect(validateSchema('ErrorBody', r.json).errors).toEqual([]);
    expect(r.json.errors).toEqual([{ path: '/headers/authorization', message: 'missing bearer token' }]);
  });

  it('answers a wrong token 401 with error="invalid_token", and takes the right one (any case of the scheme)', async () => {
    const wrong = await call(path, method, `${token}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.challenge).toBe(`Bearer realm="${realm}", error="invalid_token"`);
    expect(wrong.json.errors[0].message).toBe('wrong bearer token');
    const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `bEaReR ${token}` } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  });
});

describe('the bearer header and comparison', () => {
  it('reads the token after a case-insensitive scheme only, and compares whole tokens of any length', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abcd')).toBe(false);
    expect(sameToken('', 'abc')).toBe(false);
  });
});

describe('the metrics token', () => {
  it('answers 401 with the metrics realm, missing or wrong, and serves the text with the right one', async () => {
    const metrics = createServerMetrics({});
    const app = await startTestServer({ app: { metrics, metricsToken: METRICS } });
    try {
      const none = await fetch(`${app.url}/metrics`);
      expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="metrics"']);
      const wrong = await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect([wrong.status, wrong.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="metrics", error="invalid_token"']);
      const right = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain('ipk_');
    } finally {
      await app.close();
      metrics.stop();
    }
  });
});
