// `ig-push send`: files pushed to a receiver byte for byte, a line per file, a summary, exit codes.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_A, testConfig } from '../support/channels.js';
import { freePort } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { fixture, fixtureBytes, igPush } from './ig-push.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close(); // also fails if a request the CLI sent (not marked as a probe) broke the spec
});

const storedMids = async (channel: string) =>
  (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.channel === channel).map((i) => i.mid);

describe('ig-push send', () => {
  it('pushes many signed files with a line each and a summary, and exits 0 when all were accepted', async () => {
    const r = await igPush(['send', fixture('text-message.json'), fixture('batch.json'), '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}test\/fixtures\/cli\/text-message\.json {2}200 \(\d+ ms\)$/m);
    expect(r.stdout).toMatch(/^ok {4}test\/fixtures\/cli\/batch\.json {2}200/m);
    expect(r.stdout).toMatch(/^2\/2 accepted, 0 refused, 0 unanswered$/m);
    const mids = await storedMids('chan-a');
    for (const file of ['text-message.json', 'batch.json']) {
      for (const entry of JSON.parse(fixtureBytes(file).toString()).entry) expect(mids).toContain(entry.messaging[0].message.mid);
    }
  });

  it('routes by entry[].id without --channel, with the secret from IG_PUSH_SECRET and the file from stdin', async () => {
    const r = await igPush(['send', '-', '--url', server.url], { input: fixtureBytes('non-ascii.json'), env: { IG_PUSH_SECRET: SECRET_A } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [item] = (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === 'cli-non-ascii-1');
    expect(item).toMatchObject({ channel: 'chan-a', event: { message: { text: 'Café or café? 😀 / kept byte for byte' } } });
  });

  it('exits 1 when any file is refused, with a JSON line per file naming the failing paths and a summary', async () => {
    const r = await igPush(['send', '--json', fixture('text-message.json'), fixture('wrong-types.json'), '--url', server.url, '--channel', 'chan-open', '-H', 'x-contract-probe: invalid']);
    expect(r.code).toBe(1);
    const [ok, refused, summary] = r.lines();
    expect(ok).toEqual({ file: fixture('text-message.json'), ok: true, status: 200, ms: expect.any(Number) });
    expect(refused).toMatchObject({ file: fixture('wrong-types.json'), ok: false, status: 400, attempts: 1, error: { code: 'schema_violation' } });
    expect(refused.error.errors.map((e: { path: string }) => e.path)).toContain('/body/entry/0/time');
    expect(refused.message).toMatch(/^400 schema_violation: .*\/body\/entry\/0\/time/);
    expect(summary).toEqual({ summary: { sent: 2, accepted: 1, refused: 1, unanswered: 0 } });
  });

  it('exits 1 and says bad_signature when the secret is wrong', async () => {
    const r = await igPush(['send', fixture('text-message.json'), '--url', server.url, '--channel', 'chan-a', '--secret', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}test\/fixtures\/cli\/text-message\.json {2}401 bad_signature: /m);
  });

  it('exits 1 with the 413 and its error body for a 12 MiB file, sending it once (a 413 is never retried)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-send-'));
    const file = join(dir, 'huge.json');
    writeFileSync(file, `{"object":"instagram","entry":[],"pad":"${' '.repeat(12 * 1024 * 1024)}"}`);
    const r = await igPush(['send', '--json', file, '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--retries', '2', '-H', 'x-contract-probe: invalid']);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.lines()[0]).toMatchObject({ ok: false, status: 413, attempts: 1, error: { code: 'payload_too_large' }, message: expect.stringMatching(/^413 payload_too_large: /) });
  });

  it('exits 3 when the receiver is unreachable, after the retries asked for', async () => {
    const port = await freePort(); // nothing listens there any more
    const r = await igPush(['send', fixture('text-message.json'), '--url', `http://127.0.0.1:${port}`, '--retries', '1', '--json']);
    expect(r.code).toBe(3);
    expect(r.lines()[0]).toMatchObject({ ok: false, status: 0, attempts: 2, message: expect.stringMatching(/^could not connect to http:\/\/127\.0\.0\.1:\d+\/apiaccess\/api\/instagram\/message(\/[^:]+)?: connection refused \(ECONNREFUSED\) \(2 attempts\)$/) });
  });

  it('exits 2 with a one-line error for a missing --url, a bad URL or an unreadable file, sending nothing', async () => {
    const noUrl = await igPush(['send', fixture('text-message.json')]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toBe("ig-push: required option '--url <url>' not specified (or set IG_PUSH_URL)\n");
    const badUrl = await igPush(['send', fixture('text-message.json'), '--url', 'localhost:8080']);
    expect(badUrl.code).toBe(2);
    // The likely fix first, then the forms --url takes.
    expect(badUrl.stderr).toMatch(/^ig-push: --url "localhost:8080" is not an absolute URL \(did you mean http:\/\/localhost:8080\?\)\naccepted forms:\n {2}http:\/\/host:port /);
    const before = (await server.inbox.list({ limit: 1000 })).items.length;
    const missing = await igPush(['send', fixture('text-message.json'), 'nope.json', '--url', server.url, '--channel', 'chan-open']);
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: 'ig-push: cannot read nope.json: no such file\n' });
    expect((await server.inbox.list({ limit: 1000 })).items.length).toBe(before);
  });
});

describe('what ig-push send puts on the wire', () => {
  it("sends the file's exact bytes, signed over those bytes, with the package's User-Agent", async () => {
    const seen: { headers: IncomingHttpHeaders; url: string; body: Buffer }[] = [];
    const stub = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, url: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
      });
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
      const r = await igPush(['send', fixture('non-ascii.json'), '--url', url, '--channel', 'c 1', '--secret', 'k', '-H', 'X-Relay: cli']);
      expect(r.code, r.stderr).toBe(0);
      const [req] = seen;
      expect(req!.url).toBe('/apiaccess/api/instagram/message/c%201');
      expect(req!.body.equals(fixtureBytes('non-ascii.json'))).toBe(true);
      expect(req!.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', 'k').update(fixtureBytes('non-ascii.json')).digest('hex')}`);
      expect(req!.headers['content-type']).toMatch(/^application\/json/);
      expect(req!.headers['user-agent']).toMatch(/^instagram-push-kit\/\d+\.\d+\.\d+/);
      expect(req!.headers['x-relay']).toBe('cli');
    } finally {
      await new Promise((r) => stub.close(r));
    }
  });
});

