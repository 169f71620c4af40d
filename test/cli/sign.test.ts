// `ig-push sign`: the header value over a file's exact bytes, equal to the library's signPayload.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signLegacyPayload, signPayload } from '../../client/index.js';
import { fixture, fixtureBytes, igPush } from './ig-push.js';

describe('ig-push sign', () => {
  it("prints both signature headers of the file's exact bytes (escapes and whitespace included), as Meta sends them", async () => {
    const both = await igPush(['sign', fixture('non-ascii.json'), '--secret', 'k']);
    expect(both.code, both.stderr).toBe(0);
    const bytes = fixtureBytes('non-ascii.json');
    expect(both.stdout).toBe(`X-Hub-Signature-256: ${await signPayload(bytes, 'k')}\nX-Hub-Signature: ${await signLegacyPayload(bytes, 'k')}\n`);
    expect(await signLegacyPayload(bytes, 'k')).toBe(`sha1=${createHmac('sha1', 'k').update(bytes).digest('hex')}`);
    expect((await igPush(['sign', fixture('non-ascii.json'), '--secret', 'k', '--signature', 'sha1'])).stdout).toBe(`${await signLegacyPayload(bytes, 'k')}\n`);
    const r = await igPush(['sign', fixture('non-ascii.json'), '--secret', 'k', '--signature', 'sha256']);
    expect(r.stdout).toBe(`${await signPayload(fixtureBytes('non-ascii.json'), 'k')}\n`);
    // Re-serialising would have changed the bytes and so the signature.
    expect(r.stdout.trim()).not.toBe(await signPayload(JSON.stringify(JSON.parse(fixtureBytes('non-ascii.json').toString())), 'k'));
  });

  it('takes the secret from IG_PUSH_SECRET and the body from standard input', async () => {
    const r = await igPush(['sign', '-', '--json'], { input: fixtureBytes('batch.json'), env: { IG_PUSH_SECRET: 's3cret' } });
    expect(r.code, r.stderr).toBe(0);
    const signature = await signPayload(fixtureBytes('batch.json'), 's3cret');
    expect(r.lines()).toEqual([{ file: '-', header: 'X-Hub-Signature-256', signature, signatures: { 'X-Hub-Signature-256': signature, 'X-Hub-Signature': await signLegacyPayload(fixtureBytes('batch.json'), 's3cret') } }]);
  });

  it('prints the legacy one alone with --signature sha1 --json', async () => {
    const r = await igPush(['sign', fixture('batch.json'), '--secret', 's', '--signature', 'sha1', '--json']);
    const signature = await signLegacyPayload(fixtureBytes('batch.json'), 's');
    expect(r.lines()).toEqual([{ file: fixture('batch.json'), header: 'X-Hub-Signature', signature, signatures: { 'X-Hub-Signature': signature } }]);
  });

  it('exits 2 with a one-line error when no secret is given', async () => {
    const r = await igPush(['sign', fixture('text-message.json')], { env: { IG_PUSH_SECRET: '' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ig-push: a secret is required: pass --secret or set IG_PUSH_SECRET\n');
  });
});
