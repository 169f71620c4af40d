// Protocol details a careful sender or a hostile page relies on: content codings, the bearer scheme's
// case, the console's CSP and the headers every answer carries, the open sandbox's Host names, a
// challenge that is not UTF-8, and one answer for a malformed path segment on both push paths.
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX_TOKEN, SECRET_A, testConfig } from '../support/channels.js';
import { get, push, PUSH_PATH, request, sign, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close();
});

describe('content codings', () => {
  const body = JSON.stringify(textDelivery('coding-1'));
  it('refuses a gzip body with 415 naming the header, and stores nothing', async () => {
    const gz = gzipSync(body);
    const r = await request(`${server.url}${PUSH_PATH}/chan-a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-hub-signature-256': sign(gz, SECRET_A) },
      body: new Uint8Array(gz),
    });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ code: 'unsupported_media_type', errors: [{ path: '/headers/content-encoding' }] });
  });
  it('refuses a plain body labelled deflate or br rather than accepting it', async () => {
    for (const coding of ['deflate', 'br', 'identity, gzip']) {
      const r = await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A, headers: { 'content-encoding': coding } });
      expect(r.status, coding).toBe(415);
    }
  });
  it('accepts Content-Encoding: identity', async () => {
    const r = await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A, headers: { 'content-encoding': 'identity' } });
    expect(r.status).toBe(200);
  });
});

describe('the inbox token', () => {
  it('takes the bearer scheme in any case (RFC 9110)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await get(`${server.url}/inbox/messages`, { authorization: `${scheme} ${INBOX_TOKEN}` })).status, scheme).toBe(200);
    }
    expect((await get(`${server.url}/inbox/messages`, { authorization: `Basic ${INBOX_TOKEN}` })).status).toBe(401);
  });
});

describe('headers on every answer', () => {
  it('sends X-Content-Type-Options: nosniff on pushes, handshakes, refusals, reads and pages', async () => {
    const answers = [
      await push(server.url, textDelivery('nosniff-1'), { chanId: 'chan-a', secret: SECRET_A }),
      await push(server.url, '{}', { chanId: 'chan-a' }),
      await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=%3Cscript%3E`),
      await get(`${server.url}/inbox/messages`, { authorization: `Bearer ${INBOX_TOKEN}` }),
      await get(`${server.url}/healthz`),
      await get(`${server.url}/inbox`),
      await get(`${server.url}/nowhere`),
    ];
    for (const a of answers) expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    // The echoed challenge is plain text, never HTML.
    expect(answers[2]!.headers.get('content-type')).toMatch(/^text\/plain/);
  });
  it('never lets the inbox be cached', async () => {
    const page = await get(`${server.url}/inbox/messages`, { authorization: `Bearer ${INBOX_TOKEN}` });
    expect(page.headers.get('cache-control')).toBe('no-store');
    const controller = new AbortController();
    const feed = await fetch(`${server.url}/inbox/events`, { headers: { authorization: `Bearer ${INBOX_TOKEN}` }, signal: controller.signal });
    expect(feed.headers.get('cache-control')).toBe('no-store');
    controller.abort();
  });
  it('serves the console with a CSP that allows only its own script and style', async () => {
    for (const path of ['/inbox', '/inbox/console.js', '/inbox/console.css']) {
      const csp = (await get(`${server.url}${path}`)).headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/script-src 'self'(;|$)/);
      expect(csp, path).toMatch(/style-src 'self'(;|$)/);
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval|blob:/);
    }
  });
});

describe('the handshake challenge', () => {
  it('refuses a challenge whose percent-encoding is not UTF-8 instead of echoing it altered', async () => {
    const r = await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=%ff%fe`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'bad_request', errors: [{ path: '/query/hub.challenge' }] });
  });
  it('echoes a UTF-8 challenge exactly', async () => {
    const r = await get(`${server.url}${PUSH_PATH}/chan-a?hub.mode=subscribe&hub.verify_token=verify-a&hub.challenge=%C3%A9t%C3%A9+1`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('été 1');
  });
});

describe('a malformed path segment', () => {
  it('gets the same 400 naming /path/chanId on the hot path, the general path and the handshake', async () => {
    const general = await startTestServer({ config: testConfig, app: { fastPush: false } });
    try {
      const hot = await push(server.url, '{}', { chanId: '%ZZ' });
      const slow = await push(general.url, '{}', { chanId: '%ZZ' });
      const shake = await get(`${general.url}${PUSH_PATH}/%ZZ?hub.mode=subscribe&hub.verify_token=v&hub.challenge=1`);
      for (const r of [hot, slow, shake]) {
        expect(r.status).toBe(400);
        expect(r.json.errors).toEqual([{ path: '/path/chanId', message: 'malformed percent-encoding' }]);
      }
      expect(slow.json.resultMsg).toBe(hot.json.resultMsg);
    } finally {
      await general.close();
    }
  });
});

/** A GET with a chosen Host header (fetch does not let a caller set one). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the open sandbox and DNS rebinding', () => {
  let sandbox: TestServer;
  beforeAll(async () => {
    sandbox = await startTestServer({ app: { allowedHosts: ['127.0.0.1', 'localhost', '[::1]'] } });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  it('answers loopback host names, with or without a port', async () => {
    for (const host of ['127.0.0.1', `127.0.0.1:${new URL(sandbox.url).port}`, 'localhost:8080', 'LOCALHOST', '[::1]:8080']) {
      expect(await getWithHost(`${sandbox.url}/healthz`, host), host).toBe(200);
    }
  });
  it('refuses any other Host with 400, pushes included, and stores nothing', async () => {
    for (const host of ['attacker.example', 'attacker.example:8080', '127.0.0.1.attacker.example', '[::2]:80']) {
      expect(await getWithHost(`${sandbox.url}/inbox/messages`, host), host).toBe(400);
    }
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${sandbox.url}${PUSH_PATH}`, { method: 'POST', headers: { host: 'rebound.example', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(textDelivery('rebound-1')));
    });
    expect(status).toBe(400);
    expect((await sandbox.inbox.list({ limit: 10 })).items).toEqual([]);
  });
});
