// `ig-push verify`: the handshake from the command line, its output and exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/channels.js';
import { freePort } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { igPush } from './ig-push.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close();
});

describe('ig-push verify', () => {
  it('exits 0 when the receiver echoes the challenge, printing JSON with --json', async () => {
    const r = await igPush(['verify', '--url', server.url, '--channel', 'chan-a', '--token', 'verify-a', '--challenge', '12345', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines()).toEqual([{ ok: true, challenge: '12345' }]);
  });

  it('sends a random challenge by default and takes the token from IG_PUSH_VERIFY_TOKEN', async () => {
    const r = await igPush(['verify', '--url', server.url, '--channel', 'chan-b'], { env: { IG_PUSH_VERIFY_TOKEN: 'verify-b' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}handshake chan-b {2}challenge "\d+" echoed$/m);
  });

  it('exits 1 and names bad_verify_token for a wrong token', async () => {
    const r = await igPush(['verify', '--url', server.url, '--channel', 'chan-a', '--token', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}handshake chan-a {2}401 bad_verify_token: /m);
  });

  it('exits 3 when nothing answers, and 2 without a token', async () => {
    const port = await freePort();
    const unreachable = await igPush(['verify', '--url', `http://127.0.0.1:${port}`, '--token', 't', '--retries', '0', '--json']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.lines()[0]).toMatchObject({ ok: false, status: 0 });
    const noToken = await igPush(['verify', '--url', server.url]);
    expect(noToken).toMatchObject({ code: 2, stderr: "ig-push: required option '--token <token>' not specified (or set IG_PUSH_VERIFY_TOKEN)\n" });
  });
});
