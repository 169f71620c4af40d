// `ig-push trigger`: every kind of event, sent to the reference server, accepted and stored with the kind
// the inbox console shows for it; fresh mids and times per send; the dry run's bytes, signature and curl.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEvent } from '../../server/console/describe.js';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { CORRECT_SAMPLE, SAMPLE_SECRET, startSampleReceiver } from '../support/meta-sample-receiver.js';
import { freePort } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { igPush } from './ig-push.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close(); // also fails if a request the CLI sent, or an answer, broke the spec
});

/** What the console shows for each kind: the kind of each stored event, in delivery order. */
const CONSOLE_KIND: Record<string, string[]> = {
  text: ['text'],
  image: ['image'],
  video: ['video'],
  audio: ['audio'],
  file: ['file'],
  share: ['share'],
  story_mention: ['story_mention'],
  story_reply: ['text'],
  reply: ['text'],
  reel: ['reel'],
  ig_reel: ['ig_reel'],
  ephemeral: ['ephemeral'],
  reaction: ['reaction'],
  reaction_removed: ['reaction'],
  read: ['read'],
  postback: ['postback'],
  referral: ['referral'],
  product_referral: ['text'],
  quick_reply: ['quick_reply'],
  edit: ['edit'],
  deletion: ['deletion'],
  echo: ['text'],
  unsupported: ['unsupported'],
  standby: ['text'],
  batch: ['text', 'text', 'text', 'read'],
  non_ascii: ['image'],
  seconds_timestamps: ['text'],
  dashboard_test: ['unknown'],
  provider_example: ['deletion'],
};

async function itemsSince(ids: Set<string>) {
  return (await server.inbox.list({ limit: 1000 })).items.filter((i) => !ids.has(i.id));
}
const storedIds = async () => new Set((await server.inbox.list({ limit: 1000 })).items.map((i) => i.id));

describe('ig-push trigger --list', () => {
  it('names every kind Meta delivers, one line each with its summary', async () => {
    const r = await igPush(['trigger', '--list']);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]);
    expect(names.sort()).toEqual(Object.keys(CONSOLE_KIND).sort());
    expect(r.stdout).toMatch(/^story_mention +The customer mentioned the business in a story$/m);
    const json = await igPush(['trigger', '--list', '--json']);
    expect(json.lines()[1]).toEqual({ kind: 'text', summary: 'A text message from a customer', example: '#/components/examples/TextMessage' });
  });
});

describe('ig-push trigger against the reference server', () => {
  it.each(Object.entries(CONSOLE_KIND))('%s is accepted and stored as the console shows it: %j', async (kind, consoleKinds) => {
    const before = await storedIds();
    const r = await igPush(['trigger', kind, '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [sent] = r.lines();
    expect(sent).toMatchObject({ kind, ok: true, status: 200 });
    const items = await itemsSince(before);
    expect(items.map((i) => describeEvent(i.event).kind)).toEqual(consoleKinds);
    expect(items.every((i) => i.channel === 'chan-a')).toBe(true);
    // A fresh mid per send: every stored mid is one this send made (or an event with none, such as a referral).
    for (const item of items) if (item.mid !== null) expect(sent.mids).toContain(item.mid);
    if (kind === 'echo') expect(describeEvent(items[0]!.event).direction).toBe('echo');
  });

  it('names each kind as the inbox stores it, and still takes the kebab-case names of before', async () => {
    // Where a trigger sends one event of a stored kind, the two names are one spelling.
    for (const name of ['story_mention', 'ig_reel', 'quick_reply', 'reel', 'ephemeral', 'reaction', 'image']) expect(CONSOLE_KIND[name]).toEqual([name]);
    const before = await storedIds();
    const r = await igPush(['trigger', 'story-mention', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines()[0]).toMatchObject({ kind: 'story_mention', ok: true });
    const [item] = await itemsSince(before);
    expect(item!.kind).toBe('story_mention');
    expect((await server.inbox.list({ limit: 1000, kind: 'story_mention' })).items.map((i) => i.mid)).toContain(item!.mid);
  });

  it('sends --count deliveries, each with its own mid and a current time, and routes by --account-id without --channel', async () => {
    const before = await storedIds();
    const started = Date.now();
    const r = await igPush(['trigger', 'text', '--count', '3', '--url', server.url, '--account-id', ACCOUNT_A, '--secret', SECRET_A]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^(ok {4}text {2}200 \(\d+ ms\) {2}mid aWdfZAG1faXRlbToxOklHTWVzc2FnZA[\w-]+\n){3}3\/3 accepted, 0 refused, 0 unanswered\n$/);
    const items = await itemsSince(before);
    expect(items).toHaveLength(3);
    expect(new Set(items.map((i) => i.mid)).size).toBe(3);
    for (const item of items) {
      expect(item).toMatchObject({ channel: 'chan-a', entryId: ACCOUNT_A });
      expect(item.entryTime!).toBeGreaterThanOrEqual(started - 1000);
      expect((item.event as any).timestamp).toBeLessThanOrEqual(item.entryTime!);
      expect((item.event as any).timestamp).toBeGreaterThan(started - 10_000);
    }
  });

  it('exits 1 with a line naming the refusal when the secret is wrong, and 3 when nothing answers', async () => {
    const refused = await igPush(['trigger', 'image', '--url', server.url, '--channel', 'chan-a', '--secret', 'wrong']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^fail {2}image {2}401 bad_signature: /);
    const port = await freePort();
    const unreachable = await igPush(['trigger', 'read', '--url', `http://127.0.0.1:${port}`, '--retries', '0', '--json']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.lines()[0]).toMatchObject({ kind: 'read', ok: false, status: 0 });
  });

  it('exits 2 for an unknown kind, no kind, or no --url, sending nothing', async () => {
    const before = await storedIds();
    expect(await igPush(['trigger', 'selfie', '--url', server.url])).toMatchObject({ code: 2, stdout: '', stderr: 'ig-push: unknown kind "selfie" (ig-push trigger --list names them)\n' });
    expect(await igPush(['trigger', '--url', server.url])).toMatchObject({ code: 2, stderr: 'ig-push: name a kind to send (ig-push trigger --list names them)\n' });
    expect(await igPush(['trigger', 'text'])).toMatchObject({ code: 2, stderr: "ig-push: required option '--url <url>' not specified (or set IG_PUSH_URL)\n" });
    expect((await itemsSince(before)).length).toBe(0);
  });
});

describe('ig-push trigger --dry-run', () => {
  it('prints the bytes Meta would send (\\uXXXX and \\/ escapes), their signature and a curl line, and sends nothing', async () => {
    const before = await storedIds();
    const r = await igPush(['trigger', 'non_ascii', '--dry-run', '--url', server.url, '--channel', 'chan-a', '--secret', 'k']);
    expect(r.code, r.stderr).toBe(0);
    const [request, type, signature, legacy, blank, body, blank2, curl] = r.stdout.trim().split('\n');
    expect([request, type, blank, blank2]).toEqual([`POST ${server.url}/apiaccess/api/instagram/message/chan-a`, 'Content-Type: application/json', '', '']);
    expect(body).toMatch(/^[\x20-\x7e]+$/); // ASCII only
    expect(body).toContain('"text":"Caf\\u00e9 \\u2615 \\/ na\\u00efve \\ud83d\\ude00"');
    expect(body).toContain('"url":"https:\\/\\/lookaside.fbsbx.com\\/ig_messaging_cdn\\/');
    expect(JSON.parse(body!).entry[0].messaging[0].message.text).toBe('Café ☕ / naïve 😀');
    expect(signature).toBe(`X-Hub-Signature-256: sha256=${createHmac('sha256', 'k').update(body!).digest('hex')}`);
    // Both signatures over the same bytes, as Meta sends them.
    expect(legacy).toBe(`X-Hub-Signature: sha1=${createHmac('sha1', 'k').update(body!).digest('hex')}`);
    expect(curl).toBe(`curl -sS -X POST '${server.url}/apiaccess/api/instagram/message/chan-a' -H 'Content-Type: application/json' -H '${signature}' -H '${legacy}' --data-binary '${body}'`);
    expect((await itemsSince(before)).length).toBe(0);
  });

  it('makes a fresh delivery each time, and prints a JSON line each with --json', async () => {
    const r = await igPush(['trigger', 'reaction', '--dry-run', '--count', '2', '--json', '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = r.lines();
    expect(a).toMatchObject({ kind: 'reaction', url: `${server.url}/apiaccess/api/instagram/message`, signature: null });
    expect(a.body).not.toBe(b.body);
    expect(JSON.parse(a.body).entry[0].messaging[0].reaction.mid).not.toBe(JSON.parse(b.body).entry[0].messaging[0].reaction.mid);
    expect(a.curl).not.toContain('X-Hub-Signature-256');
  });
});

describe('ig-push trigger against a receiver built from Meta’s samples', () => {
  it('counts a 2xx as delivered (exit 0) and notes that EVENT_RECEIVED as text/html is not the contract’s answer', async () => {
    const sample = await startSampleReceiver(CORRECT_SAMPLE);
    try {
      const r = await igPush(['trigger', 'text', '--url', sample.url, '--secret', SAMPLE_SECRET]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ok {4}text {2}200 \(\d+ ms\) {2}mid \S+\n {6}note: not the contract's answer: expected Content-Type application\/json, got 200 text\/html EVENT_RECEIVED \(#\/components\/responses\/PushAccepted\/content\)\n$/);
      expect(sample.accepted).toHaveLength(1);
      const json = await igPush(['trigger', 'text', '--url', sample.url, '--secret', SAMPLE_SECRET, '--json']);
      expect(json.code).toBe(0);
      expect(json.lines()[0]).toMatchObject({ kind: 'text', ok: true, status: 200, notes: [expect.stringContaining('expected Content-Type application/json')] });
    } finally {
      await sample.close();
    }
  });

  it('with --strict, fails such an answer (exit 1), as before', async () => {
    const sample = await startSampleReceiver(CORRECT_SAMPLE);
    try {
      const r = await igPush(['trigger', 'text', '--url', sample.url, '--secret', SAMPLE_SECRET, '--strict', '--json']);
      expect(r.code).toBe(1);
      expect(r.lines()[0]).toMatchObject({ kind: 'text', ok: false, status: 200, message: expect.stringMatching(/^200 text\/html EVENT_RECEIVED: not the contract's answer: .*\(--strict\)$/) });
    } finally {
      await sample.close();
    }
  });

  it('adds no note for the reference server, whose answer is the contract’s, even with --strict', async () => {
    const r = await igPush(['trigger', 'text', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--strict', '--json']);
    expect(r.code).toBe(0);
    expect(r.lines()[0]).not.toHaveProperty('notes');
  });
});
