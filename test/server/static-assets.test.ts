// The docs page, the console's files and the bundled spec: compressed when the client accepts it,
// cacheable (ETag, 304 on If-None-Match), and the same bytes for everyone once decoded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseCoding, compressAsset, noneMatch } from '../../server/contract/static-asset.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET that sees the bytes as sent (fetch would decode them). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    httpGet(`${server.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('static answers', () => {
  for (const [path, type] of [
    ['/docs', 'text/html; charset=utf-8'],
    ['/openapi.json', 'application/json; charset=utf-8'],
    ['/inbox/console.js', 'text/javascript; charset=utf-8'],
  ] as const) {
    it(`${path}: brotli or gzip when accepted, the same bytes decoded, with an ETag that gets 304`, async () => {
      const plain = await rawGet(path);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['content-type']).toBe(type);
      expect(plain.headers.vary).toMatch(/Accept-Encoding/);
      const br = await rawGet(path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.body.length).toBeLessThan(plain.body.length / 2);
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
      const gz = await rawGet(path, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
      expect(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size).toBe(3);
      const again = await rawGet(path, { 'accept-encoding': 'gzip, deflate, br', 'if-none-match': String(br.headers.etag) });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(br.headers.etag);
    });
  }

  it('keeps the page headers (CSP) on the compressed docs and on 304', async () => {
    const first = await rawGet('/docs', { 'accept-encoding': 'br' });
    expect(first.headers['content-security-policy']).toMatch(/default-src 'self'/);
    const cached = await rawGet('/docs', { 'accept-encoding': 'br', 'if-none-match': `W/${first.headers.etag}` });
    expect(cached.status).toBe(304);
    expect(cached.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });
});

describe('content negotiation', () => {
  it('takes the coding the client rates highest, brotli on a tie, none refused with q=0', async () => {
    const asset = await compressAsset('a'.repeat(10_000), 'text/plain');
    expect(chooseCoding(undefined, asset)).toBe('identity');
    expect(chooseCoding('identity', asset)).toBe('identity');
    expect(chooseCoding('gzip, br', asset)).toBe('br');
    expect(chooseCoding('br;q=0.5, gzip', asset)).toBe('gzip');
    expect(chooseCoding('br;q=0, gzip;q=0', asset)).toBe('identity');
    expect(chooseCoding('*', asset)).toBe('br');
    expect(chooseCoding('*;q=0.1, gzip;q=0.5', asset)).toBe('gzip');
    expect(chooseCoding('GZIP;Q=1', asset)).toBe('gzip');
  });

  it('leaves out a coding that would not be smaller', async () => {
    const tiny = await compressAsset('x', 'text/plain');
    expect(chooseCoding('gzip, br', tiny)).toBe('identity');
  });

  it('matches If-None-Match weakly, in a list, or with *', () => {
    expect(noneMatch(undefined, '"a"')).toBe(false);
    expect(noneMatch('"b", W/"a"', '"a"')).toBe(true);
    expect(noneMatch('*', '"a"')).toBe(true);
    expect(noneMatch('"b"', '"a"')).toBe(false);
  });
});

describe('a built file not built yet', () => {
  it('answers 503 in words saying what to run, then serves the file once the build has written it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-unbuilt-'));
    const docsFile = pathToFileURL(join(dir, 'docs.html'));
    const consoleDir = pathToFileURL(`${join(dir, 'console')}/`);
    const unbuilt = await startTestServer({ app: { docsFile, consoleDir } });
    try {
      for (const [path, words] of [
        ['/docs', 'The docs page is not built: run `npm run build`'],
        ['/inbox/console.js', 'The inbox console is not built: run `npm run build`.'],
      ] as const) {
        const res = await fetch(`${unbuilt.url}${path}`);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(await res.text()).toContain(words);
      }
      writeFileSync(docsFile, '<!doctype html><title>built</title>');
      const built = await fetch(`${unbuilt.url}/docs`);
      expect(built.status).toBe(200);
      expect(built.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await built.text()).toContain('<title>built</title>');
    } finally {
      await unbuilt.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
