// The edges of reading a push body: a body of exactly the size limit is taken and one byte more is not,
// whether its length is declared or it is streamed in chunks, on both push paths and both implementations
// (the hot path and the general validator path); a body sent in many chunks is checked and stored whole.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, ACCOUNT_OPEN, SECRET_A, testConfig } from '../support/channels.js';
import { push, PUSH_PATH, request, sign, textDelivery, type Answer } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const LIMIT = 4096;

let servers: Record<'hot path' | 'general path', TestServer>;
beforeAll(async () => {
  const [fast, general] = await Promise.all([
    startTestServer({ config: testConfig, app: { bodyLimit: LIMIT, fastPush: true } }),
    startTestServer({ config: testConfig, app: { bodyLimit: LIMIT, fastPush: false } }),
  ]);
  servers = { 'hot path': fast, 'general path': general };
});
afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** A valid delivery to `account`, padded with trailing whitespace (still JSON) to exactly `size` bytes. */
function deliveryOfSize(mid: string, account: string, size: number): string {
  const json = JSON.stringify(textDelivery(mid, account));
  expect(json.length).toBeLessThan(size);
  return json + ' '.repeat(size - Buffer.byteLength(json));
}

/** POSTs `pieces` as separate chunks of a chunked body (no Content-Length), pausing between them. */
function pushStreamed(url: string, pieces: string[], headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: new Headers(res.headers as Record<string, string>), text, json });
      });
    });
    // The server may close the connection once it has refused; what it answered is what counts.
    req.on('error', (err) => (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err));
    void (async () => {
      for (const piece of pieces) {
        req.write(piece);
        await new Promise((r) => setTimeout(r, 5));
      }
      req.end();
    })();
  });
}

const split = (text: string, parts: number) => {
  const size = Math.ceil(text.length / parts);
  return Array.from({ length: parts }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((p) => p !== '');
};

const expectTooLarge = (r: Answer) => {
  expect(r.status, r.text).toBe(413);
  expect(r.json).toEqual({
    resultMsg: `The request body is larger than the limit of ${LIMIT} bytes.`,
    code: 'payload_too_large',
    requestId: expect.any(String),
    errors: [],
  });
};

// The channel named by the path (signed), and the channel found from entry[].id (signed and open).
const targets = [
  ['with the channel in the path', { chanId: 'chan-a', account: ACCOUNT_A, secret: SECRET_A }],
  ['with the channel found from entry[].id', { chanId: undefined, account: ACCOUNT_A, secret: SECRET_A }],
  ['to an open channel found from entry[].id', { chanId: undefined, account: ACCOUNT_OPEN, secret: undefined }],
] as const;

describe.each(['hot path', 'general path'] as const)('the body size limit on the %s', (impl) => {
  const server = () => servers[impl];
  const stored = async (mid: string) => (await server().inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);
  const url = (chanId: string | undefined) => `${server().url}${PUSH_PATH}${chanId ? `/${chanId}` : ''}`;
  const tag = (what: string, chanId: string | undefined, account: string) => `mid-${impl.split(' ')[0]}-${what}-${chanId ?? account}`;

  describe.each(targets)('%s', (_name, { chanId, account, secret }) => {
    const signature = (raw: string): Record<string, string> => (secret ? { 'x-hub-signature-256': sign(raw, secret) } : {});

    it('accepts and stores a body of exactly the limit, declared with Content-Length', async () => {
      const mid = tag('exact', chanId, account);
      const raw = deliveryOfSize(mid, account, LIMIT);
      const r = await push(server().url, raw, { chanId, headers: signature(raw) });
      expect(r.status, r.text).toBe(200);
      expect(await stored(mid)).toHaveLength(1);
    });

    it('refuses a body one byte over the limit, declared with Content-Length, with 413 and stores nothing', async () => {
      const mid = tag('over', chanId, account);
      const raw = deliveryOfSize(mid, account, LIMIT + 1);
      const r = await push(server().url, raw, { chanId, headers: signature(raw) });
      expectTooLarge(r);
      expect(r.headers.get('connection')).toBe('close');
      expect(await stored(mid)).toEqual([]);
    });

    it('accepts and stores a body of exactly the limit streamed in chunks without Content-Length', async () => {
      const mid = tag('exact-streamed', chanId, account);
      const raw = deliveryOfSize(mid, account, LIMIT);
      const r = await pushStreamed(url(chanId), split(raw, 4), signature(raw));
      expect(r.status, r.text).toBe(200);
      expect(await stored(mid)).toHaveLength(1);
    });

    it('refuses a body one byte over the limit streamed in chunks, with 413, and stores nothing', async () => {
      const mid = tag('over-streamed', chanId, account);
      const raw = deliveryOfSize(mid, account, LIMIT + 1);
      expectTooLarge(await pushStreamed(url(chanId), split(raw, 4), signature(raw)));
      expect(await stored(mid)).toEqual([]);
    });
  });

  // RFC 8259 §8.1 lets a parser ignore a byte order mark; a relay written in .NET or PowerShell may add one.
  it('accepts a body that opens with a UTF-8 byte order mark, the signature taken over the bytes as sent, mark included', async () => {
    const mid = `mid-${impl.split(' ')[0]}-bom`;
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(textDelivery(mid, ACCOUNT_A, 'after a BOM')))]);
    const r = await push(server().url, new Uint8Array(raw), { chanId: 'chan-a', headers: { 'x-hub-signature-256': sign(raw, SECRET_A) } });
    expect(r.status, r.text).toBe(200);
    const [item] = await stored(mid);
    expect((item!.event as any).message.text).toBe('after a BOM');
  });

  it('checks the signature over, and stores, a body sent in many small chunks as one whole', async () => {
    const mid = `mid-${impl.split(' ')[0]}-many-chunks`;
    const raw = JSON.stringify(textDelivery(mid, ACCOUNT_A, 'sent a few bytes at a time'));
    const r = await pushStreamed(url('chan-a'), split(raw, 12), { 'x-hub-signature-256': sign(raw, SECRET_A) });
    expect(r.status, r.text).toBe(200);
    const [item] = await stored(mid);
    expect((item!.event as any).message.text).toBe('sent a few bytes at a time');
  });
});

describe('the media type and content coding of a push body', () => {
  const server = () => servers['hot path'];
  const raw = (mid: string) => JSON.stringify(textDelivery(mid, ACCOUNT_OPEN));
  const send = (mid: string, headers: Record<string, string>) => push(server().url, raw(mid), { headers });

  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json ; charset="utf-8"',
    'application/json; profile=meta; charset=utf-8',
    'application/json; profile=meta',
  ])('accepts Content-Type: %s', async (contentType) => {
    const r = await send(`mid-ct-${contentType}`, { 'content-type': contentType });
    expect(r.status, r.text).toBe(200);
  });

  it.each(['application/json; charset=utf-16', 'application/json; charset="latin1"', 'application/json; profile=meta; charset=iso-8859-1', 'application/jsonp', 'text/json'])(
    'refuses Content-Type: %s with 415 naming the header and the type',
    async (contentType) => {
      const r = await send('mid-ct-refused', { 'content-type': contentType });
      expect(r.status, r.text).toBe(415);
      expect(r.json).toEqual({
        resultMsg: 'Send the body as application/json (UTF-8).',
        code: 'unsupported_media_type',
        requestId: expect.any(String),
        errors: [{ path: '/headers/content-type', message: `unsupported media type ${contentType}` }],
      });
    },
  );

  it('refuses a body without Content-Type with 415, saying none was sent', async () => {
    const r = await request(`${server().url}${PUSH_PATH}`, { method: 'POST', body: new Uint8Array(Buffer.from(raw('mid-ct-none'))) });
    expect(r.status, r.text).toBe(415);
    expect(r.json.errors).toEqual([{ path: '/headers/content-type', message: 'unsupported media type (none)' }]);
  });

  it.each(['identity', 'IDENTITY', 'identity, identity', 'identity ,identity', 'identity,'])('accepts Content-Encoding: %s (no coding at all)', async (coding) => {
    const r = await send(`mid-coding-${coding}`, { 'content-type': 'application/json', 'content-encoding': coding });
    expect(r.status, r.text).toBe(200);
  });

  it.each([
    ['gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['identity, br', 'br'],
    ['gzip , identity, deflate', 'gzip, deflate'],
    ['gzip, , br,', 'gzip, br'],
  ])('refuses Content-Encoding: %s with 415 naming the codings it would have to undo', async (coding, named) => {
    const r = await send('mid-coding-refused', { 'content-type': 'application/json', 'content-encoding': coding });
    expect(r.status, r.text).toBe(415);
    expect(r.json).toEqual({
      resultMsg: 'Send the body without a content coding (Content-Encoding: identity).',
      code: 'unsupported_media_type',
      requestId: expect.any(String),
      errors: [{ path: '/headers/content-encoding', message: `unsupported content coding ${named}` }],
    });
  });

  it('names at most 100 characters of a long list of codings', async () => {
    const coding = Array.from({ length: 60 }, (_, i) => `x-coding-${i}`).join(', ');
    const r = await send('mid-coding-long', { 'content-type': 'application/json', 'content-encoding': coding });
    expect(r.status).toBe(415);
    expect(r.json.errors[0].message).toBe(`unsupported content coding ${coding.slice(0, 100)}`);
  });
});

describe('what a body that is not JSON is told', () => {
  const server = () => servers['hot path'];

  it('names invalid UTF-8 at /body', async () => {
    const bytes = Buffer.concat([Buffer.from('{"object":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const r = await push(server().url, new Uint8Array(bytes));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_json', resultMsg: 'The request body is not valid UTF-8.', errors: [{ path: '/body', message: 'invalid UTF-8' }] });
  });

  it("names broken JSON at /body with the parser's reason", async () => {
    const r = await push(server().url, '{"object":');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_json', resultMsg: 'The request body is not valid JSON.', errors: [{ path: '/body', message: expect.stringMatching(/JSON/) }] });
  });

  it('names nesting deeper than the limit at /body, saying the limit', async () => {
    const r = await push(server().url, `${'['.repeat(33)}${']'.repeat(33)}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'too_deep',
      resultMsg: 'The request body nests objects or arrays deeper than 32 levels.',
      errors: [{ path: '/body', message: 'nesting deeper than 32' }],
    });
  });
});
