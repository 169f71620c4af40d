// Slow and endless clients: a request must arrive within its deadlines, the open connections are capped,
// and neither limit touches the live feed or the clients that behave. Real TCP on 127.0.0.1, with limits
// of hundreds of milliseconds so the file runs in seconds.
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/run/config.js';
import { serve, type RunningServer } from '../../server/main.js';
import { PUSH_PATH, textDelivery } from '../support/http.js';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 4;
// Node looks for expired requests every quarter of the smallest limit (http-server.ts); the rest is slack
// for a loaded machine. Node's own default would be up to 30 s late.
const LATE_BY_AT_MOST_MS = HEADERS_TIMEOUT_MS / 4 + 400;

/** A 408 with Connection: close and the contract's error body (code request_timeout), as the server sends it. */
function expectRequestTimeout(received: string): void {
  const [head = '', body = ''] = received.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(head.toLowerCase()).toContain('\r\nconnection: close');
  expect(head.toLowerCase()).toContain('\r\ncontent-type: application/json');
  expect(JSON.parse(body)).toEqual({ resultMsg: expect.any(String), code: 'request_timeout', requestId: expect.any(String), errors: [] });
}

const dataDir = () => join(mkdtempSync(join(tmpdir(), 'ipk-slow-')), 'data');

interface RawClient {
  socket: Socket;
  /** Everything the server sent, and when (ms after connecting) the connection closed. */
  closed: Promise<{ received: string; afterMs: number }>;
  isClosed(): boolean;
}

/** A bare TCP client that writes only what the test tells it to. */
async function rawClient(url: string): Promise<RawClient> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  const started = Date.now();
  let received = '';
  let done = false;
  socket.on('data', (d) => (received += d.toString('latin1')));
  // A dropped or timed-out connection may end in a reset; the close is what the tests look at.
  socket.on('error', () => {});
  const closed = new Promise<{ received: string; afterMs: number }>((resolve) =>
    socket.on('close', () => {
      done = true;
      resolve({ received, afterMs: Date.now() - started });
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, isClosed: () => done };
}

/** Writes `text` one byte every `everyMs` until it is written or the server closes the connection. */
function trickle(client: RawClient, text: string, everyMs = 20): void {
  let i = 0;
  const timer = setInterval(() => {
    if (client.isClosed() || i >= text.length) return clearInterval(timer);
    client.socket.write(text[i++]!);
  }, everyMs);
  client.socket.on('close', () => clearInterval(timer));
}

/** A request on a fresh connection (no pooled keep-alive socket left holding a slot): status and time taken. */
function timedRequest(url: string, path: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; ms: number; body: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: init.method ?? 'GET', agent: false, headers: init.body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, ms: Date.now() - started, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('slow and endless clients', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serve({
      port: 0,
      dataDir: dataDir(),
      // Three accepted spellings: plain milliseconds, "ms" and minutes.
      env: { HEADERS_TIMEOUT: String(HEADERS_TIMEOUT_MS), REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`, IDLE_TIMEOUT: '1m', MAX_CONNECTIONS: String(MAX_CONNECTIONS), LOG_LEVEL: 'silent' },
    });
  });
  afterAll(() => s?.close());

  it('cuts off a client that sends its headers a byte at a time, with a 408, at the header timeout', async () => {
    const slow = await rawClient(s.url);
    trickle(slow, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(1000)}`);
    const { received, afterMs } = await slow.closed;
    expectRequestTimeout(received);
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + LATE_BY_AT_MOST_MS);
  });

  it('cuts off a client that connects and sends nothing, at the header timeout', async () => {
    const silent = await rawClient(s.url);
    const { received, afterMs } = await silent.closed;
    expectRequestTimeout(received);
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + LATE_BY_AT_MOST_MS);
  });

  it('cuts off a delivery whose body trickles in past the request timeout, with a 408', async () => {
    const slow = await rawClient(s.url);
    slow.socket.write(`POST ${PUSH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
    trickle(slow, `{"object":"instagram","entry":[${' '.repeat(1000)}`);
    const { received, afterMs } = await slow.closed;
    expectRequestTimeout(received);
    // The headers were in long before; what ran out is the time for the whole request.
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20);
    expect(afterMs).toBeLessThan(REQUEST_TIMEOUT_MS + LATE_BY_AT_MOST_MS);
  });

  it('keeps answering /healthz promptly while slow clients hold connections', async () => {
    const slow = await Promise.all([rawClient(s.url), rawClient(s.url)]);
    slow.forEach((c, i) => trickle(c, i === 0 ? `GET /healthz HTTP/1.1\r\nHost: ${'x'.repeat(500)}` : `POST ${PUSH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${' '.repeat(500)}`));
    for (let i = 0; i < 5; i++) {
      const r = await timedRequest(s.url, '/healthz');
      expect(r.status).toBe(200);
      // Answered at once, not after the slow clients were cut off.
      expect(r.ms).toBeLessThan(HEADERS_TIMEOUT_MS / 2);
      expect(slow.every((c) => !c.isClosed())).toBe(true);
    }
    await Promise.all(slow.map((c) => c.closed));
  });

  it('holds the connection cap: one over it is closed unanswered, and slots free up when slow clients are cut', async () => {
    const slow = await Promise.all(Array.from({ length: MAX_CONNECTIONS - 1 }, () => rawClient(s.url)));
    for (const c of slow) trickle(c, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(1000)}`);
    // Below the cap, others are still served.
    expect((await timedRequest(s.url, '/healthz')).status).toBe(200);
    const last = await rawClient(s.url);
    trickle(last, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(1000)}`);
    await sleep(50);
    // At the cap: the next connection is accepted by the kernel and closed at once, without an answer.
    const over = await rawClient(s.url);
    over.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const dropped = await over.closed;
    expect(dropped.received).toBe('');
    expect(dropped.afterMs).toBeLessThan(HEADERS_TIMEOUT_MS);
    expect(slow.every((c) => !c.isClosed())).toBe(true);
    // The header timeout cuts the slow clients; their slots serve others again.
    await Promise.all([...slow, last].map((c) => c.closed));
    await sleep(20);
    expect((await timedRequest(s.url, '/healthz')).status).toBe(200);
  });

  it('keeps the live feed open well past the request and header timeouts, and it keeps delivering', async () => {
    const { port } = new URL(s.url);
    let text = '';
    let closed = false;
    const feed = httpRequest({ host: '127.0.0.1', port, path: '/inbox/events?backlog=0', agent: false });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      feed.on('response', resolve);
      feed.on('error', reject);
      feed.end();
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    res.on('data', (d) => (text += d));
    res.on('close', () => (closed = true));
    await sleep(4 * REQUEST_TIMEOUT_MS);
    expect(closed).toBe(false);
    expect(text).toContain('event: ready');

    const pushed = await timedRequest(s.url, PUSH_PATH, { method: 'POST', body: JSON.stringify(textDelivery('slow-feed-1')) });
    expect(pushed.status).toBe(200);
    for (let i = 0; i < 40 && !text.includes('slow-feed-1'); i++) await sleep(50);
    expect(text).toContain('event: accepted');
    expect(text).toContain('slow-feed-1');
    expect(closed).toBe(false);
    feed.destroy();
  });
});

describe('the limits settings', () => {
  const bad: [string, Record<string, string>, RegExp][] = [
    ['a word', { REQUEST_TIMEOUT: 'soon' }, /REQUEST_TIMEOUT "soon" is not a duration/],
    ['zero', { REQUEST_TIMEOUT: '0' }, /REQUEST_TIMEOUT "0" must be above 0/],
    ['a negative duration', { REQUEST_TIMEOUT: '-5s' }, /REQUEST_TIMEOUT "-5s" is not a duration/],
    ['a fraction', { REQUEST_TIMEOUT: '1.5s' }, /REQUEST_TIMEOUT "1.5s" is not a duration/],
    ['more than a day', { REQUEST_TIMEOUT: '1441m' }, /REQUEST_TIMEOUT "1441m" must be above 0 and at most 24 hours/],
    ['a header timeout longer than the request timeout', { REQUEST_TIMEOUT: '5s', HEADERS_TIMEOUT: '6s' }, /HEADERS_TIMEOUT \(6000 ms\) must not be longer than REQUEST_TIMEOUT \(5000 ms\)/],
    ['an idle timeout the live feed would not outlast', { IDLE_TIMEOUT: '15s' }, /IDLE_TIMEOUT "15s" must be longer than the live feed's 15 s keep-alive/],
    ['a word', { MAX_CONNECTIONS: 'many' }, /MAX_CONNECTIONS "many" is not a positive whole number/],
    ['zero', { MAX_CONNECTIONS: '0' }, /MAX_CONNECTIONS "0"/],
    ['a negative number', { MAX_CONNECTIONS: '-1' }, /MAX_CONNECTIONS "-1"/],
    ['an exponent', { MAX_CONNECTIONS: '1e3' }, /MAX_CONNECTIONS "1e3"/],
    ['a fraction', { MAX_CONNECTIONS: '10.5' }, /MAX_CONNECTIONS "10.5"/],
  ];
  it.each(bad)('stops start-up with a ConfigError on %s (%o)', async (_what, env, message) => {
    const started = serve({ port: 0, dataDir: dataDir(), env: { LOG_LEVEL: 'silent', ...env } });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(message);
  });
});
