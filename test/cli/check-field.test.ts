// `ig-push check` against a receiver written the way Meta's samples are (test/support/meta-sample-receiver.ts):
// at /webhook, checking only the legacy sha1 header, refusing with HTML pages, a 100 KB body limit, a
// handshake missing a parameter never answered, and (switched on alone) a crash right after answering 200.
// Each fault is reported under the case that shows it, in words a stranger can act on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_SECRET, SAMPLE_VERIFY_TOKEN, startSampleReceiver, type SampleFaults } from '../support/meta-sample-receiver.js';
import { igPush } from './ig-push.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-push-check-field-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function checkSample(faults: SampleFaults, extra: string[] = []) {
  const receiver = await startSampleReceiver(faults);
  try {
    const r = await igPush(['check', '--url', receiver.url, '--secret', SAMPLE_SECRET, '--token', SAMPLE_VERIFY_TOKEN, '--yes', '--budget', '1s', ...extra]);
    return { ...r, receiver, url: receiver.url };
  } finally {
    await receiver.close();
  }
}

const byId = (lines: any[], id: string) => lines.find((l) => l.id === id);

describe('ig-push check against a receiver built from Meta’s samples', () => {
  it('reaches it at its own path (/webhook), says so at the top, and reports each fault under its case', async () => {
    const r = await checkSample({}, ['--json']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.lines();
    const summary = lines.at(-1).summary;
    expect(summary).toMatchObject({ target: r.url, url: { given: r.url, form: 'as-given' } });
    // Every request went to the URL as given: no contract path appended.
    for (const l of lines.filter((x) => x.requests)) for (const q of l.requests) expect(q.url.startsWith(r.url)).toBe(true);

    // Signed both ways, as Meta signs: deliveries pass its sha1-only check, so acceptance is judged on the answer alone.
    expect(byId(lines, 'acceptance/text').findings).toEqual([expect.objectContaining({ expected: 'Content-Type application/json', got: '200 text/html EVENT_RECEIVED' })]);
    expect(byId(lines, 'acceptance/text').requests.map((q: any) => q.status)).toEqual([200, 200]);
    // It checks only the legacy header: the two signature cases say which header it checked.
    expect(byId(lines, 'refusals/legacy-signature-only').findings[0]).toMatchObject({ expected: '401 missing_signature', hint: expect.stringContaining('checks the legacy sha1 header') });
    expect(byId(lines, 'refusals/wrong-signature').findings[0]).toMatchObject({ expected: '401 bad_signature', got: '200 text/html EVENT_RECEIVED', hint: expect.stringContaining('checks only X-Hub-Signature (sha1)') });
    // An HTML refusal is quoted as its text; one finding per case, the secondary mismatch under it.
    const missing = byId(lines, 'refusals/missing-signature').findings;
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ expected: '401 missing_signature', got: expect.stringMatching(/^403 text\/html Error: Couldn't find "x-hub-signature" in headers\. at verifyRequestSignature/) });
    expect(missing[0].also).toEqual([expect.stringMatching(/^a status the operation lists/)]);
    // The 100 KB limit refuses a delivery the contract allows.
    expect(byId(lines, 'acceptance/largest-delivery').findings[0]).toMatchObject({ expected: '200 {"resultMsg":"200"}', got: expect.stringMatching(/^413 text\/html PayloadTooLargeError: request entity too large/) });
    // A handshake missing a parameter is never answered: reported under that case, within the budget.
    for (const p of ['hub.mode', 'hub.verify_token', 'hub.challenge']) {
      expect(byId(lines, `handshake/without-${p}`).findings).toEqual([expect.objectContaining({ got: 'no answer within 1000 ms' })]);
    }
    // No place for a channel in /webhook: the unknown-channel case is skipped, saying why.
    expect(byId(lines, 'refusals/unknown-channel')).toMatchObject({ verdict: 'skip', skipped: expect.stringContaining('no place for a channel') });
    expect(summary.causes[0]).toEqual({ cause: 'expected Content-Type application/json, got 200 text/html EVENT_RECEIVED', cases: 30 });
    expect(summary.causes).toHaveLength(3);
  });

  it('prints the summary table of verdicts and the most common causes', async () => {
    const r = await checkSample({}, ['--only', 'refusals']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^verdict {3}cases\nconform +0\ndeviate +6\nskipped +1\n\nmost common causes:\n {2}\d cases? +expected /m);
  });

  it('with --signature sha256 alone, every delivery is refused with its readable reason', async () => {
    const r = await checkSample({ hangOnMissingParameter: false }, ['--signature', 'sha256', '--only', 'acceptance/text']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`send: POST ${'http://127.0.0.1'}`);
    expect(r.stdout).toMatch(/got {6}403 text\/html Error: Couldn't find "x-hub-signature" in headers\./);
  });

  it('reports a receiver that answered 200 and then died under the case that killed it, stops there, and exits 1', async () => {
    const junit = join(dir, 'crash.xml');
    const r = await checkSample({ crashOnNoSender: true, legacyOnly: false, htmlRefusals: false }, ['--only', 'acceptance', '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.receiver.crashed()).toBe(true);
    expect(r.stdout).toMatch(/^fail  acceptance\/edit .*\n(.*\n)*? +got {6}accepted, then stopped answering/m);
    expect(r.stdout).toMatch(/^stopped: the receiver answered acceptance\/edit, then nothing more; the cases after it did not run$/m);
    expect(r.stdout).not.toMatch(/^(ok|fail) +acceptance\/deletion/m);
    expect(XMLValidator.validate(readFileSync(junit, 'utf8'))).toBe(true);
  });

  it('still reports the crash when the killing case is the last one run', async () => {
    const r = await checkSample({ crashOnNoSender: true, legacyOnly: false }, ['--only', 'acceptance/text,acceptance/edit', '--json']);
    expect(r.code).toBe(1);
    const edit = byId(r.lines(), 'acceptance/edit');
    expect(edit.findings.at(-1)).toMatchObject({ step: 'still answering', got: expect.stringMatching(/^accepted, then stopped answering/) });
    expect(r.lines().at(-1).summary).toMatchObject({ stoppedAnsweringAfter: 'acceptance/edit' });
  });
});
