// Every command takes --url in the same forms (base URL, push URL with or without a channel, a {chanId}
// template, the receiver's own URL), prints the URL it resolved with --verbose, and refuses the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import { SAMPLE_SECRET, SAMPLE_VERIFY_TOKEN, startSampleReceiver, type SampleReceiver } from '../support/meta-sample-receiver.js';
import { SECRET_A, testConfig } from '../support/channels.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { fixture, igPush } from './ig-push.js';

const P = '/apiaccess/api/instagram/message';
let server: TestServer;
let sample: SampleReceiver;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
  sample = await startSampleReceiver({ htmlRefusals: true });
});
afterAll(async () => {
  await sample.close();
  await server.close();
});

describe('--url forms in every command', () => {
  const forms = () => [
    ['base URL + --channel', [server.url, '--channel', 'chan-a']],
    ['push URL + --channel', [`${server.url}${P}`, '--channel', 'chan-a']],
    ['push URL of the channel', [`${server.url}${P}/chan-a`]],
    ['a {chanId} template', [`${server.url}${P}/{chanId}`, '--channel', 'chan-a']],
  ] as const;

  it('send, trigger and verify reach the same channel from each form, printing it with --verbose', async () => {
    for (const [name, [url, ...rest]] of forms()) {
      const send = await igPush(['send', fixture('text-message.json'), '--url', url, ...rest, '--secret', SECRET_A, '--verbose']);
      expect(send.code, `${name}: ${send.stdout}${send.stderr}`).toBe(0);
      expect(send.stdout).toContain(`deliveries go to ${server.url}${P}/chan-a\n`);
      const trigger = await igPush(['trigger', 'text', '--url', url, ...rest, '--secret', SECRET_A, '--verbose']);
      expect(trigger.code, `${name}: ${trigger.stdout}${trigger.stderr}`).toBe(0);
      const verify = await igPush(['verify', '--url', url, ...rest, '--token', 'verify-a', '--verbose']);
      expect(verify.code, `${name}: ${verify.stdout}${verify.stderr}`).toBe(0);
      expect(verify.stdout).toContain(`the handshake goes to ${server.url}${P}/chan-a\n`);
    }
  });

  it('check takes each form too', async () => {
    for (const [name, [url, ...rest]] of forms()) {
      const r = await igPush(['check', '--url', url, ...rest, '--secret', SECRET_A, '--token', 'verify-a', '--only', 'handshake/challenge-echoed,refusals/wrong-signature']);
      expect(r.code, `${name}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^Checking ${server.url}${P}/chan-a against spec \\S+ \\(profile contract\\): 2 cases planned$`));
    }
  });

  it('a receiver at its own path (/webhook): send, trigger and verify go there as given, signed both ways', async () => {
    const before = sample.accepted.length;
    // It checks only the sha1 header and stores both; its EVENT_RECEIVED answer is not the contract's body:
    // send fails it (exit 1), trigger counts the 2xx as delivered, as Meta does, with a note.
    const send = await igPush(['send', fixture('text-message.json'), '--url', sample.url, '--secret', SAMPLE_SECRET]);
    expect(send.stdout).toMatch(/^fail {2}.*the receiver answered 200 with a body that is not JSON/m);
    const trigger = await igPush(['trigger', 'text', '--url', sample.url, '--secret', SAMPLE_SECRET]);
    expect(trigger.code).toBe(0);
    expect(trigger.stdout).toMatch(/^ok {4}text {2}200 .*\n {6}note: not the contract's answer: expected Content-Type application\/json, got 200 text\/html EVENT_RECEIVED/m);
    expect(sample.accepted.length).toBe(before + 2);
    const verify = await igPush(['verify', '--url', sample.url, '--token', SAMPLE_VERIFY_TOKEN]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('trigger on a refusal prints the status and the readable body, as check does', async () => {
    const r = await igPush(['trigger', 'text', '--url', sample.url, '--secret', SAMPLE_SECRET, '--signature', 'sha256']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}text {2}403 Error: Couldn't find "x-hub-signature" in headers\. at verifyRequestSignature/m);
  });

  it('refuses an ambiguous URL in every command, showing the accepted forms (exit 2)', async () => {
    const bad = `${server.url}${P}/chan-a`;
    for (const args of [['send', fixture('text-message.json')], ['trigger', 'text'], ['verify', '--token', 't'], ['check']]) {
      const r = await igPush([...args, '--url', bad, '--channel', 'chan-b']);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toMatch(/^ig-push: --url ".*" names channel "chan-a", but --channel says "chan-b": give one\naccepted forms:\n/);
    }
  });

  it('trigger suggests the kind meant', async () => {
    const r = await igPush(['trigger', 'reacton', '--url', server.url]);
    expect(r).toMatchObject({ code: 2, stderr: 'ig-push: unknown kind "reacton" (did you mean reaction?) (ig-push trigger --list names them)\n' });
  });
});

describe('the typed client and the legacy signature', () => {
  it('sends the contract header alone by default, both with legacySignature, the sha1 alone with "only"', async () => {
    const delivery = { object: 'instagram', entry: [] } as never;
    const seen: Headers[] = [];
    const fetch = async (request: Request) => {
      seen.push(request.headers);
      return new Response('{"resultMsg":"200"}', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    for (const legacySignature of [undefined, true, 'only'] as const) await createPushClient({ baseUrl: 'http://x', appSecret: 's', fetch, legacySignature }).push(delivery);
    expect(seen.map((h) => [h.has('x-hub-signature-256'), h.get('x-hub-signature')?.slice(0, 5) ?? null])).toEqual([
      [true, null],
      [true, 'sha1='],
      [false, 'sha1='],
    ]);
  });
});
