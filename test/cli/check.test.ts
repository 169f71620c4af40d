// `ig-push check`: the reference server keeps every case; receivers broken in one way each are caught
// under the right case, with what the spec expects, what came back and where the spec says so.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { freePort } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startStubReceiver, STUB_CHANNEL, STUB_SECRET, STUB_VERIFY_TOKEN, type Fault } from '../support/stub-receiver.js';
import { igPush } from './ig-push.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-push-check-'));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.close(); // also fails if any answer the check drew from the server broke the spec
});

const referenceArgs = () => ['check', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--verify-token', 'verify-a', '--account-id', ACCOUNT_A];
const stored = async () => (await server.inbox.list({ limit: 1000 })).items.length;

describe('ig-push check against the reference server', () => {
  it('passes every case, prints a line per case and the latency, and writes a JUnit file with one testcase per case', async () => {
    const junit = join(dir, 'report.xml');
    const before = await stored();
    const r = await igPush([...referenceArgs(), '--yes', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Checking ${server.url}/apiaccess/api/instagram/message/chan-a against spec ${JSON.parse(readFileSync('generated/openapi.json', 'utf8')).info.version}: 38 cases`);
    const caseLines = lines.filter((l) => /^(ok|fail|skip) /.test(l));
    expect(caseLines).toHaveLength(38);
    for (const line of caseLines) expect(line).toMatch(/^ok {4}\S+ +\d+ requests?, \d+ ms$/);
    expect(r.stdout).toMatch(/^ok {4}acceptance\/edit +3 requests, \d+ ms$/m);
    expect(lines.at(-1)).toMatch(/^38 cases: 38 conform, 0 deviate, 0 skipped; 95 requests: p50 \d+ ms, p95 \d+ ms, max \d+ ms, none over 5000 ms$/);
    // Two deliveries of each kind stored (the chanId path and the account path); redeliveries stored once.
    expect(await stored()).toBeGreaterThan(before + 2 * 28);

    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
    expect(doc.testsuites).toMatchObject({ name: 'ig-push check', tests: '38', failures: '0', errors: '0', skipped: '0' });
    expect(doc.testsuites.testsuite.map((s: any) => [s.name, s.tests])).toEqual([['handshake', '3'], ['acceptance', '29'], ['refusals', '6']]);
    const testcases = doc.testsuites.testsuite.flatMap((s: any) => s.testcase);
    expect(testcases).toHaveLength(38);
    expect(new Set(testcases.map((t: any) => t.name)).size).toBe(38);
    expect(testcases.filter((t: any) => t.failure || t.skipped)).toEqual([]);
    expect(testcases.every((t: any) => Number(t.time) >= 0 && t.classname.startsWith('ig-push check.'))).toBe(true);
    // The verify token is a secret: never in a report.
    expect(xml).not.toContain('verify-a');
  });

  it('prints a JSON line per case and a summary with --json', async () => {
    const r = await igPush([...referenceArgs(), '--yes', '--json', '--only', 'handshake,acceptance/batch,refusals/oversize-body']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.lines();
    expect(lines.map((l) => l.id ?? 'summary')).toEqual(['handshake/challenge-echoed', 'handshake/wrong-token-refused', 'handshake/wrong-mode-refused', 'acceptance/batch', 'refusals/oversize-body', 'summary']);
    expect(lines[3]).toMatchObject({ group: 'acceptance', stores: true, verdict: 'pass', findings: [] });
    expect(lines[3].requests.map((q: any) => [q.step, q.method, q.path, q.status])).toEqual([
      ['send', 'POST', '/apiaccess/api/instagram/message/chan-a', 200],
      ['redelivery', 'POST', '/apiaccess/api/instagram/message/chan-a', 200],
      ['by account ID', 'POST', '/apiaccess/api/instagram/message', 200],
    ]);
    expect(lines[0].requests[0].path).toMatch(/hub\.verify_token=%E2%80%A6/);
    expect(lines[4].requests[0]).toMatchObject({ status: 413 });
    expect(lines[5].summary).toMatchObject({ target: `${server.url}/apiaccess/api/instagram/message/chan-a`, cases: 5, passed: 5, failed: 0, requests: 7, budgetMs: 5000, overBudget: 0 });
    expect(lines[5].summary.p95Ms).toBeGreaterThanOrEqual(lines[5].summary.p50Ms);
  });

  it('takes the push URL whole, and runs refusals and the handshake without --yes, storing nothing', async () => {
    const before = await stored();
    const r = await igPush(['check', '--url', `${server.url}/apiaccess/api/instagram/message`, '--channel', 'chan-b', '--secret', 'app-secret-b', '--verify-token', 'verify-b', '--only', 'refusals,handshake']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^9 cases: 9 conform, 0 deviate, 0 skipped; 9 requests/m);
    expect(await stored()).toBe(before);
  });

  it('skips what the options do not allow, saying what is missing', async () => {
    const r = await igPush(['check', '--url', server.url, '--channel', 'chan-open', '--only', 'handshake,refusals']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^skip {2}handshake\/challenge-echoed +needs the channel's verify token \(--verify-token\)$/m);
    expect(r.stdout).toMatch(/^skip {2}refusals\/missing-signature +needs the channel's app secret \(--secret\)$/m);
    expect(r.stdout).toMatch(/^9 cases: 4 conform, 0 deviate, 5 skipped;/m);
  });

  it('will not store anything without --yes when it cannot ask (exit 2), and refuses unknown cases (exit 2)', async () => {
    const before = await stored();
    const noYes = await igPush(['check', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A]);
    expect(noYes).toMatchObject({ code: 2, stdout: '' });
    expect(noYes.stderr).toMatch(/^ig-push: 29 acceptance cases store events on .*: pass --yes to go ahead, or --only handshake,refusals to store nothing\n$/);
    const unknown = await igPush(['check', '--url', server.url, '--channel', 'chan-a', '--only', 'refusals,acceptance/nope']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^ig-push: unknown case or group "acceptance\/nope"/);
    expect(await stored()).toBe(before);
  });

  it('exits 3 when nothing answers at the URL', async () => {
    const port = await freePort(); // nothing listens there any more
    const r = await igPush(['check', '--url', `http://127.0.0.1:${port}`, '--channel', 'chan-a', '--only', 'refusals']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^ig-push: no answer from http://127\\.0\\.0\\.1:${port}: fetch failed \\(ECONNREFUSED\\)\\n$`));
  });
});

interface Run {
  code: number | null;
  failed: any[];
  summary: any;
}

async function checkStub(fault: Fault, extra: string[] = []): Promise<Run> {
  const stub = await startStubReceiver(fault);
  try {
    const r = await igPush(['check', '--url', stub.url, '--channel', STUB_CHANNEL, '--secret', STUB_SECRET, '--verify-token', STUB_VERIFY_TOKEN, '--yes', '--json', ...extra]);
    const lines = r.lines();
    return { code: r.code, failed: lines.filter((l) => l.verdict === 'fail'), summary: lines.at(-1).summary };
  } finally {
    await stub.close();
  }
}

describe('ig-push check against receivers that break the contract', () => {
  it('a conforming stub passes every case (so each failure below is the fault alone)', async () => {
    const run = await checkStub('none');
    expect(run.failed).toEqual([]);
    expect(run).toMatchObject({ code: 0, summary: { cases: 38, passed: 38, failed: 0, skipped: 0 } });
  });

  it('accepts any signature: both signature refusals fail, naming the security scheme', async () => {
    const run = await checkStub('any-signature');
    expect(run.code).toBe(1);
    expect(run.failed.map((c) => c.id)).toEqual(['refusals/missing-signature', 'refusals/wrong-signature']);
    expect(run.failed[0].findings).toEqual([
      { step: 'send', request: `POST /apiaccess/api/instagram/message/${STUB_CHANNEL}`, expected: '401 missing_signature', got: '200 application/json {"resultMsg":"200"}', spec: '#/components/securitySchemes/hubSignature' },
    ]);
    expect(run.failed[1].findings[0]).toMatchObject({ expected: '401 bad_signature', got: expect.stringMatching(/^200 /) });
  });

  it('answers 500 to edits: the edit case fails, with the error body quoted', async () => {
    const run = await checkStub('edits-500');
    expect(run.code).toBe(1);
    expect(run.failed.map((c) => c.id)).toEqual(['acceptance/edit']);
    expect(run.failed[0].requests).toHaveLength(1); // a delivery never accepted is not redelivered
    expect(run.failed[0].findings).toEqual([
      {
        step: 'send',
        request: `POST /apiaccess/api/instagram/message/${STUB_CHANNEL}`,
        expected: '200 {"resultMsg":"200"}',
        got: expect.stringMatching(/^500 application\/json \{"resultMsg":"The receiver could not store the delivery\.","code":"internal_error"/),
        spec: '#/components/responses/PushAccepted',
      },
    ]);
  });

  it('echoes a different challenge: the handshake case fails', async () => {
    const run = await checkStub('other-challenge');
    expect(run.code).toBe(1);
    expect(run.failed.map((c) => c.id)).toEqual(['handshake/challenge-echoed']);
    expect(run.failed[0].findings).toEqual([
      expect.objectContaining({ step: 'handshake', expected: expect.stringMatching(/^the body "\d{10}", exactly as sent$/), got: '200 text/plain 1158201444', spec: '#/components/responses/ChallengeEchoed' }),
    ]);
  });

  it('answers 200 with another body: every acceptance case fails on the schema of the 200 body', async () => {
    const run = await checkStub('other-body');
    expect(run.code).toBe(1);
    expect(run.failed).toHaveLength(29);
    expect(run.failed.every((c) => c.group === 'acceptance')).toBe(true);
    expect(run.failed[0].findings).toEqual([
      {
        step: 'send',
        request: `POST /apiaccess/api/instagram/message/${STUB_CHANNEL}`,
        expected: 'a body matching the schema',
        got: '200 application/json {"status":"ok"}',
        spec: '#/components/responses/PushAccepted/content/application~1json/schema',
        detail: expect.stringContaining("must have required property 'resultMsg'"),
      },
    ]);
  });

  it('takes 6 s to answer: every case fails on the time Meta allows (the budget is shortened here)', async () => {
    const started = Date.now();
    const run = await checkStub('slow', ['--budget', '250', '--only', 'handshake,refusals']);
    expect(run.code).toBe(1);
    expect(run.failed).toHaveLength(9);
    for (const c of run.failed) {
      expect(c.findings).toEqual([expect.objectContaining({ expected: expect.stringMatching(/^an answer within 250 ms/), got: 'no answer within 250 ms', spec: '#/info/description' })]);
    }
    expect(run.summary).toMatchObject({ overBudget: 9, p50Ms: null, budgetMs: 250 });
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
