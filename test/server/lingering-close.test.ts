// A body over the limit gets a 413 the client can read: the server answers, half-closes, and discards
// what still arrives for a bounded time and byte count before closing (lingering close), instead of
// closing over unread bytes, which makes the kernel reset the connection under a client still sending.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer();
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server.close();
});

const MiB = 1024 * 1024;

/** A request body the client streams (chunked, as fetch sends a ReadableStream), so the server only finds out it is too large while reading. */
const streamed = (bytes: number) => new Request('http://x', { method: 'POST', body: Buffer.alloc(bytes, 0x20) }).body!;

describe('a body over the limit', () => {
  for (const size of [12, 100]) {
    it(`gets its 413 and error body through Node's fetch at ${size} MiB, sent whole or streamed`, async () => {
      for (const body of [Buffer.alloc(size * MiB, 0x20), streamed(size * MiB)]) {
        const r = await fetch(`${server.url}${PUSH_PATH}/chan-a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
        expect(r.status).toBe(413);
        expect(r.headers.get('connection')).toBe('close');
        expect(await r.json()).toMatchObject({ code: 'payload_too_large', requestId: expect.any(String) });
      }
    });
  }

  it('is answered, then read and discarded to its end and closed with a FIN, never a reset under a sending client', async () => {
    const size = 12 * MiB;
    const outcome = await new Promise<{ received: string; error?: string; ended: boolean }>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let error: string | undefined;
      let ended = false;
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('end', () => (ended = true));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
      socket.on('close', () => resolve({ received, error, ended }));
      socket.on('connect', async () => {
        socket.write(`POST ${PUSH_PATH}/chan-a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
          if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
        }
        socket.end();
      });
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.ended).toBe(true);
    expect(outcome.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(outcome.received.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'payload_too_large' });
  });

  it('closes a client that goes silent after the answer instead of waiting for the rest of its body', async () => {
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(received));
      socket.on('connect', () => socket.write(`POST ${PUSH_PATH}/chan-a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n{`));
    });
    expect(closed).toMatch(/^HTTP\/1\.1 413 /);
  });
});
