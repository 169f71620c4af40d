// Every route exact, as the push's: another letter case or a trailing slash is 404 with the contract's
// error body. A target in absolute form (RFC 9112 §3.2.2) is served like origin form, on the push hot
// path and in Express. Only requests aimed at the push operations land in the console's refusal log.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOriginForm } from '../../server/http/request-target.js';
import { get, push, PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { IncomingMessage } from 'node:http';

let hot: TestServer;
let general: TestServer;
beforeAll(async () => {
  [hot, general] = await Promise.all([startTestServer(), startTestServer({ app: { fastPush: false } })]);
});
afterAll(async () => {
  await Promise.all([hot.close(), general.close()]);
});

describe('exact routes', () => {
  it.each(['/HEALTHZ', '/healthz/', '/Readyz', '/Docs', '/DOCS/', '/INBOX', '/Inbox/console.js', '/openapi.json/', '/OpenAPI.json', '/Favicon.ico'])(
    '%s answers 404 with the error body',
    async (path) => {
      const r = await get(`${hot.url}${path}`);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.json).toEqual({ resultMsg: expect.any(String), code: 'not_found', requestId: expect.any(String), errors: expect.any(Array) });
    },
  );

  it('still serves each route at its own path', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs', '/docs/', '/inbox', '/inbox/', '/inbox/console.js', '/favicon.ico']) {
      expect((await get(`${hot.url}${path}`)).status, path).toBe(200);
    }
  });
});

describe('a request target in absolute form', () => {
  /** Sends one request over a raw socket and returns the status line and body. */
  function raw(url: string, request: string): Promise<{ status: number; body: string }> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (d) => (received += d));
      socket.on('error', reject);
      socket.on('end', () => {
        const [head = '', body = ''] = received.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body });
      });
      socket.on('connect', () => socket.write(request));
    });
  }
  const delivery = JSON.stringify({ object: 'instagram', entry: [{ id: 'acct', time: 1700000000000, messaging: [{ sender: { id: 's' }, recipient: { id: 'acct' }, timestamp: 1700000000000, message: { mid: 'absolute-form', text: 'hi' } }] }] });

  it.each([['the hot path', () => hot], ['Express', () => general]])('is served like origin form on %s, the push stored', async (_name, server) => {
    const s = server();
    const { host } = new URL(s.url);
    const r = await raw(s.url, `POST http://${host}${PUSH_PATH}/chan-a HTTP/1.1\r\nHost: ignored.example\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(delivery)}\r\nConnection: close\r\n\r\n${delivery}`);
    expect(r).toEqual({ status: 200, body: JSON.stringify({ resultMsg: '200' }) });
    expect((await s.inbox.list({ limit: 1000 })).items.map((i) => i.mid)).toContain('absolute-form');
  });

  it('serves the other routes in absolute form too, and checks the Host the target names', async () => {
    const guarded = await startTestServer({ app: { allowedHosts: ['127.0.0.1'] } });
    try {
      const { host } = new URL(guarded.url);
      expect((await raw(guarded.url, `GET http://${host}/healthz HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n`)).status).toBe(200);
      // The sandbox answers loopback names only: the target's authority is the Host it checks.
      expect((await raw(guarded.url, `GET http://rebound.example/healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).status).toBe(400);
    } finally {
      await guarded.close();
    }
  });

  it('rewrites only absolute http(s) targets', () => {
    const form = (url: string, host = 'h') => {
      const req = { url, headers: { host } } as unknown as IncomingMessage;
      toOriginForm(req);
      return [req.url, req.headers.host];
    };
    expect(form('http://a.example:8080/x?y=1')).toEqual(['/x?y=1', 'a.example:8080']);
    expect(form('HTTPS://user@a.example?q')).toEqual(['/?q', 'a.example']);
    expect(form('/x')).toEqual(['/x', 'h']);
    expect(form('*')).toEqual(['*', 'h']);
    expect(form('ftp://a/x')).toEqual(['ftp://a/x', 'h']);
  });
});

describe('the refusal log', () => {
  it("keeps a browser's own requests and every other 404 outside the push operations out", async () => {
    const before = hot.refusals.since().length;
    for (const path of ['/robots.txt', '/apple-touch-icon.png', '/apple-touch-icon-precomposed.png', '/HEALTHZ', '/docs/x', '/.well-known/security.txt']) {
      expect((await get(`${hot.url}${path}`)).status).toBe(404);
    }
    expect(hot.refusals.since().length).toBe(before);
  });

  it('still records a refused push', async () => {
    const before = hot.refusals.since().length;
    const r = await push(hot.url, 'not json', { chanId: 'chan-a' });
    expect(r.status).toBe(400);
    expect(hot.refusals.since().slice(before).map((x) => x.path)).toEqual([`${PUSH_PATH}/chan-a`]);
  });
});
