// Refusals that cost the sender, not the server: a request refused before or while its body arrives is
// answered with `Connection: close` and the server stops reading, however much the client keeps
// sending; and a push to a named channel is authenticated over the raw bytes before anything parses them.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_A, testConfig } from '../support/channels.js';
import { get, push, PUSH_PATH, sign } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig, app: { bodyLimit: 64 * 1024 } });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.close();
});

interface Flood {
  /** The status line and headers the server sent, lower-cased. */
  head: string;
  /** Bytes the client managed to hand to the socket before the server closed it. */
  sent: number;
  /** True when the server closed the connection while the client was still sending. */
  closedByServer: boolean;
}

/**
 * Sends `head` and then keeps sending filler bytes for up to `ms`, as a client that ignores the answer
 * would. Resolves when the server closes the connection or the time is up.
 */
function flood(head: string, ms = 4000): Promise<Flood> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let received = '';
    let sent = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ head: received.split('\r\n\r\n')[0]!.toLowerCase(), sent, closedByServer });
    };
    const timer = setTimeout(() => finish(false), ms);
    const pump = () => {
      while (!done && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
  });
}

const TEN_GB = 10 * 1024 ** 3;
const declared = (method: string, path: string, headers: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${TEN_GB}\r\n${headers}\r\n`;

describe('a refusal stops the reading', () => {
  const cases: [string, string, number][] = [
    ['413 on a declared 10 GB body', declared('POST', `${PUSH_PATH}/chan-open`, 'Content-Type: application/json\r\n'), 413],
    ['413 on a streamed body past the limit', `POST ${PUSH_PATH}/chan-open HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n`, 413],
    ['415 on the wrong content type', declared('POST', `${PUSH_PATH}/chan-open`, 'Content-Type: text/plain\r\n'), 415],
    ['404 on an unknown channel', declared('POST', `${PUSH_PATH}/no-such-channel`, 'Content-Type: application/json\r\n'), 404],
    ['404 on a path outside the contract', declared('POST', '/nowhere', 'Content-Type: application/json\r\n'), 404],
    ['405 on a method the path does not serve', declared('PUT', `${PUSH_PATH}/chan-open`, 'Content-Type: application/json\r\n'), 405],
    ['400 on a malformed path segment', declared('POST', `${PUSH_PATH}/%ZZ`, 'Content-Type: application/json\r\n'), 400],
    ['200 on /healthz, which never reads a body', declared('GET', '/healthz', ''), 200],
  ];
  for (const [name, head, status] of cases) {
    it(`${name}: answers with Connection: close and closes while the client is still sending`, async () => {
      const r = await flood(head);
      expect(r.head).toMatch(new RegExp(`^http/1\\.1 ${status} `));
      expect(r.head).toMatch(/\r\nconnection: close/);
      expect(r.closedByServer).toBe(true);
      // The kernel's socket buffers take some megabytes; a server that reads on takes gigabytes.
      expect(r.sent).toBeLessThan(256 * 1024 * 1024);
    });
  }

  it('keeps answering others while a client floods a refused request', async () => {
    const flooding = flood(declared('POST', `${PUSH_PATH}/chan-open`, 'Content-Type: application/json\r\n'), 3000);
    for (let i = 0; i < 20; i++) expect((await get(`${server.url}/healthz`)).status).toBe(200);
    expect((await flooding).closedByServer).toBe(true);
  });

  it('keeps the connection open after an accepted push whose body was read in full', async () => {
    const body = JSON.stringify({ object: 'instagram', entry: [] });
    const r = await push(server.url, body, { chanId: 'chan-open' });
    expect(r.status).toBe(200);
    expect(r.headers.get('connection')).not.toBe('close');
  });
});

describe('a push to a named channel is authenticated before its body is parsed', () => {
  it('an unsigned body that is not JSON gets 401 missing_signature, not 400', async () => {
    const r = await push(server.url, '{"object":', { chanId: 'chan-a' });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('missing_signature');
  });
  it('a body nested too deeply, signed with the wrong secret, gets 401, not too_deep', async () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const r = await push(server.url, deep, { chanId: 'chan-a', headers: { 'x-hub-signature-256': sign('other', SECRET_A) } });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('bad_signature');
  });
  it('a signed body that is not JSON still gets 400 invalid_json', async () => {
    const r = await push(server.url, '{"object":', { chanId: 'chan-a', secret: SECRET_A });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('invalid_json');
  });
  it('without a channel in the path, the body routes the delivery, so it is parsed first', async () => {
    const r = await push(server.url, '{"object":');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('invalid_json');
  });
});
