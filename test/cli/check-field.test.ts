// `ig-push check` against a receiver written the way Meta's samples are (test/support/meta-sample-receiver.ts):
// at /webhook, checking only the legacy sha1 header, refusing with HTML pages, a 100 KB body limit, a
// handshake missing a parameter never answered, and (switched on alone) a crash right after answering 200.
// Each fault is reported under the case that shows it, in words a stranger can act on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_SECRET, SAMPLE_VERIFY_TOKEN, startSampleReceiver, type SampleFaults } from '../support/meta-sample-receiver.js';
import { freePort } from '../support/process.js';
import { igPush, root } from './ig-push.js';

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
    expect(r.stdout).toMatch(/^stopped: the receiver answered acceptance\/edit, then nothing more; the \d+ cases after it skipped$/m);
    expect(r.stdout).not.toMatch(/^(ok|fail) +acceptance\/deletion/m);
    expect(r.stdout).toMatch(/^skip  acceptance\/deletion +not run: the receiver stopped answering after acceptance\/edit$/m);
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

/** The cases of a JUnit report, by verdict. */
function junitTotals(xml: string) {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
  const cases = doc.testsuites.testsuite.flatMap((s: any) => s.testcase);
  return {
    root: doc.testsuites,
    cases: cases.length,
    failed: cases.filter((c: any) => c.failure).length,
    skipped: cases.filter((c: any) => c.skipped).map((c: any) => ({ name: c.name, message: c.skipped.message })),
  };
}

/**
 * The sample as a process of its own under a small supervisor that starts it again on the same port
 * whenever it exits, as systemd, a container runtime or pm2 would.
 */
async function supervisedSample(faults: SampleFaults) {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let stopping = false;
  let starts = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      starts++;
      child = spawn(process.execPath, ['--import', 'tsx', 'test/support/meta-sample-receiver.ts', JSON.stringify({ ...faults, port })], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
      child.on('error', reject);
      child.on('exit', () => void (stopping || start()));
    });
  await start();
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    restarts: () => starts - 1,
    async stop() {
      stopping = true;
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child!.kill('SIGTERM');
      await gone;
    },
  };
}

describe('ig-push check accounts for every case it planned', () => {
  it('reports the cases after a crash as skipped with the reason, so the totals add up in the text, --json and JUnit', async () => {
    const junit = join(dir, 'totals.xml');
    const faults = { crashOnNoSender: true, legacyOnly: false, htmlRefusals: false, hangOnMissingParameter: false };
    const json = await checkSample(faults, ['--json', '--junit', junit]);
    expect(json.code).toBe(1);
    const lines = json.lines();
    const summary = lines.at(-1).summary;
    const results = lines.filter((l) => l.verdict);
    expect(summary.planned).toBe(results.length);
    expect(summary.cases).toBe(summary.planned);
    expect(summary.passed + summary.failed + summary.skipped).toBe(summary.planned);
    const notRun = results.filter((l) => l.skipped?.startsWith('not run:'));
    // Everything after acceptance/edit: the rest of the acceptance cases and every refusal.
    expect(notRun.length).toBeGreaterThan(5);
    expect(notRun.map((l) => l.id)).toContain('refusals/missing-signature');
    for (const l of notRun) expect(l.skipped).toBe('not run: the receiver stopped answering after acceptance/edit');

    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const totals = junitTotals(xml);
    expect(totals.cases).toBe(summary.planned);
    expect(Number(totals.root.tests)).toBe(summary.planned);
    expect(Number(totals.root.skipped)).toBe(summary.skipped);
    expect(totals.skipped).toContainEqual({ name: 'refusals/missing-signature', message: 'not run: the receiver stopped answering after acceptance/edit' });
    expect(totals.cases - totals.failed - totals.skipped.length).toBe(summary.passed);

    const text = await checkSample(faults);
    const planned = Number(/^Checking .*: (\d+) cases planned$/m.exec(text.stdout)![1]);
    expect(planned).toBe(summary.planned);
    const [, cases, conform, deviate, skipped] = /^(\d+) cases: (\d+) conform, (\d+) deviate, (\d+) skipped;/m.exec(text.stdout)!.map(Number) as [number, number, number, number, number];
    expect([cases, conform + deviate + skipped]).toEqual([planned, planned]);
    expect(text.stdout.match(/^(ok|fail|skip) /gm)).toHaveLength(planned);
  });

  it('with --wait-for-restart, waits for a receiver its supervisor restarts, says so, and runs every case', async () => {
    const sample = await supervisedSample({ crashOnNoSender: true, legacyOnly: false, htmlRefusals: false, hangOnMissingParameter: false });
    try {
      const r = await igPush(['check', '--url', sample.url, '--secret', SAMPLE_SECRET, '--token', SAMPLE_VERIFY_TOKEN, '--yes', '--budget', '2s', '--only', 'acceptance,refusals', '--wait-for-restart', '20s', '--json']);
      const lines = r.lines();
      const summary = lines.at(-1).summary;
      expect(sample.restarts()).toBeGreaterThanOrEqual(1);
      // The crash is still reported under the case that caused it…
      expect(byId(lines, 'acceptance/edit').findings.at(-1)).toMatchObject({ step: 'still answering' });
      // …the wait is said, and every case after it ran.
      expect(lines.find((l) => l.wait)?.wait).toMatchObject({ after: 'acceptance/edit', answered: true });
      expect(lines.filter((l) => l.skipped?.startsWith('not run:'))).toEqual([]);
      expect(byId(lines, 'refusals/missing-signature').requests[0].status).toBe(403);
      // Only the case the URL has no place for is skipped.
      expect(lines.filter((l) => l.verdict === 'skip').map((l) => l.id)).toEqual(['refusals/unknown-channel']);
      expect(summary).not.toHaveProperty('stoppedAnsweringAfter');
      expect(summary.passed + summary.failed + summary.skipped).toBe(summary.planned);
    } finally {
      await sample.stop();
    }
  });

  it('without a restart in time, says how long it waited and skips the rest', async () => {
    const r = await checkSample({ crashOnNoSender: true, legacyOnly: false, htmlRefusals: false }, ['--only', 'acceptance/edit,acceptance/largest-delivery', '--wait-for-restart', '300ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^waited: the receiver did not answer again within 300 ms after acceptance\/edit; the remaining cases are skipped$/m);
    expect(r.stdout).toMatch(/^skip  acceptance\/largest-delivery +not run: the receiver stopped answering after acceptance\/edit and did not answer again within 300 ms$/m);
  });
});
