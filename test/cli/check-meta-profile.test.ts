// `ig-push check --profile meta` against receivers written the way Meta's samples are
// (test/support/meta-sample-receiver.ts): one that keeps Meta's rules conforms though its bodies are not
// this contract's; each fault Meta's rules care about is reported alone, under its case.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORRECT_SAMPLE, SAMPLE_SECRET, SAMPLE_VERIFY_TOKEN, startSampleReceiver, type SampleFaults } from '../support/meta-sample-receiver.js';
import { igPush } from './ig-push.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-push-check-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function checkMeta(faults: SampleFaults, extra: string[] = []) {
  const receiver = await startSampleReceiver(faults);
  try {
    return await igPush(['check', '--url', receiver.url, '--secret', SAMPLE_SECRET, '--token', SAMPLE_VERIFY_TOKEN, '--yes', '--budget', '2s', '--profile', 'meta', ...extra]);
  } finally {
    await receiver.close();
  }
}

const failing = (lines: any[]) => lines.filter((l) => l.verdict === 'fail').map((l) => l.id);
const byId = (lines: any[], id: string) => lines.find((l) => l.id === id);

describe('ig-push check --profile meta', () => {
  it('passes a receiver that answers EVENT_RECEIVED as text/html, refuses with 403 and verifies X-Hub-Signature-256', async () => {
    const r = await checkMeta(CORRECT_SAMPLE, ['--json']);
    expect(r.code, r.stdout).toBe(0);
    const lines = r.lines();
    const summary = lines.at(-1).summary;
    expect(summary).toMatchObject({ profile: 'meta', failed: 0, skipped: 0 });
    expect(summary.passed).toBe(summary.planned);
    const ids = lines.filter((l) => l.verdict).map((l) => l.id);
    // Meta's rules only: no body shapes, no contract-only refusals or handshake details.
    expect(ids.filter((id: string) => !id.startsWith('acceptance/'))).toEqual(['handshake/challenge-echoed', 'handshake/wrong-token-refused', 'refusals/missing-signature', 'refusals/legacy-signature-only', 'refusals/wrong-signature']);
    expect(ids).toContain('acceptance/largest-delivery');
    expect(byId(lines, 'acceptance/text').requests.map((q: any) => q.status)).toEqual([200, 200]);
    expect(byId(lines, 'refusals/legacy-signature-only').requests[0].status).toBe(403);
  });

  it('says which profile judged, in the report, the JUnit file and --help', async () => {
    const junit = join(dir, 'meta.xml');
    const r = await checkMeta(CORRECT_SAMPLE, ['--only', 'handshake', '--junit', junit]);
    expect(r.code).toBe(0);
    expect(readFileSync(junit, 'utf8')).toContain('<property name="profile" value="meta"/>');
    expect(r.stdout.split('\n')[0]).toMatch(/^Checking http:\/\/127\.0\.0\.1:\d+\/webhook against Meta's rules \(profile meta\): 2 cases planned$/);
    const help = await igPush(['check', '--help']);
    expect(help.stdout).toMatch(/--profile <name> +what judges the receiver/);
    expect(help.stdout).toMatch(/^ {2}meta {8}only what Meta requires of any webhook receiver/m);
  });

  it('fails a receiver that accepts a delivery signed only with sha1, under the signature cases', async () => {
    const r = await checkMeta({ ...CORRECT_SAMPLE, legacyOnly: true }, ['--json']);
    expect(r.code).toBe(1);
    const lines = r.lines();
    expect(failing(lines)).toEqual(['refusals/legacy-signature-only', 'refusals/wrong-signature']);
    expect(byId(lines, 'refusals/legacy-signature-only').findings[0]).toMatchObject({ expected: 'any 4xx (refused)', got: '200 text/html EVENT_RECEIVED', hint: expect.stringContaining('checks the legacy sha1 header') });
  });

  it("fails a receiver that refuses Meta's largest delivery, under that case alone", async () => {
    const r = await checkMeta({ ...CORRECT_SAMPLE, bodyLimit: 100 * 1024 }, ['--json', '--body-limit', '102400']);
    expect(r.code).toBe(1);
    const lines = r.lines();
    expect(failing(lines)).toEqual(['acceptance/largest-delivery']);
    expect(byId(lines, 'acceptance/largest-delivery').findings[0]).toMatchObject({ expected: 'any 2xx (Meta counts it delivered, whatever the body)', got: expect.stringMatching(/^413 text\/html PayloadTooLargeError/) });
  });

  it('fails a receiver that dies after answering a delivery, under the case that killed it, and skips the rest', async () => {
    const r = await checkMeta({ ...CORRECT_SAMPLE, crashOnNoSender: true }, ['--json']);
    expect(r.code).toBe(1);
    const lines = r.lines();
    expect(failing(lines)).toEqual(['acceptance/edit']);
    expect(byId(lines, 'acceptance/edit').findings.at(-1)).toMatchObject({ step: 'still answering', got: expect.stringMatching(/^accepted, then stopped answering/) });
    const summary = lines.at(-1).summary;
    expect(summary.skipped).toBeGreaterThan(0);
    expect(summary.passed + summary.failed + summary.skipped).toBe(summary.planned);
  });

  it('under the default contract profile, the same receiver deviates on its bodies', async () => {
    const r = await checkMeta(CORRECT_SAMPLE, ['--json', '--profile', 'contract', '--only', 'acceptance/text']);
    expect(r.code).toBe(1);
    expect(r.lines().at(-1).summary.profile).toBe('contract');
  });
});
