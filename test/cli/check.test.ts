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

const referenceArgs = () => ['check', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A, '--token', 'verify-a', '--account-id', ACCOUNT_A];
const stored = async () => (await server.inbox.list({ limit: 1000 })).items.length;

describe('ig-push check against the reference server', () => {
  it('passes every case, prints a line per case and the latency, and writes a JUnit file with one testcase per case', async () => {
    const junit = join(dir, 'report.xml');
    const before = await stored();
    const r = await igPush([...referenceArgs(), '--yes', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Checking ${server.url}/apiaccess/api/instagram/message/chan-a against spec ${JSON.parse(readFileSync('generated/openapi.json', 'utf8')).info.version} (profile contract): 44 cases planned`);
    // The URLs as resolved from --url, at the top.
    expect(lines.slice(1, 5)).toEqual([
      `  --url ${server.url}: a base URL`,
      `  deliveries and the handshake: ${server.url}/apiaccess/api/instagram/message/chan-a`,
      `  by account ID:                ${server.url}/apiaccess/api/instagram/message`,
      `  an unknown channel:           ${server.url}/apiaccess/api/instagram/message/ig-push-check-RANDOM`,
    ]);
    const caseLines = lines.filter((l) => /^(ok|fail|skip) /.test(l));
    expect(caseLines).toHaveLength(44);
    for (const line of caseLines) expect(line).toMatch(/^ok {4}\S+ +\d+ requests?, \d+ ms$/);
    expect(r.stdout).toMatch(/^ok {4}acceptance\/edit +3 requests, \d+ ms$/m);
    expect(lines.at(-1)).toMatch(/^44 cases: 44 conform, 0 deviate, 0 skipped; \d+ requests: p50 \d+ ms, p95 \d+ ms, max \d+ ms, none over 5000 ms$/);
    // Two deliveries of each kind stored (the chanId path and the account path); redeliveries stored once.
    expect(await stored()).toBeGreaterThan(before + 2 * 28);

    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
    expect(doc.testsuites).toMatchObject({ name: 'ig-push check', tests: '44', failures: '0', errors: '0', skipped: '0' });
    expect(doc.testsuites.testsuite.map((s: any) => [s.name, s.tests])).toEqual([['handshake', '6'], ['acceptance', '31'], ['refusals', '7']]);
    const testcases = doc.testsuites.testsuite.flatMap((s: any) => s.testcase);
    expect(testcases).toHaveLength(44);
    expect(new Set(testcases.map((t: any) => t.name)).size).toBe(44);
    expect(testcases.filter((t: any) => t.failure || t.skipped)).toEqual([]);
    expect(testcases.every((t: any) => Number(t.time) >= 0 && t.classname.startsWith('ig-push check.'))).toBe(true);
    // The verify token is a secret: never in a report.
    expect(xml).not.toContain('verify-a');
  });

  it('prints a JSON line per case and a summary with --json', async () => {
    const r = await igPush([...referenceArgs(), '--yes', '--json', '--only', 'handshake,acceptance/batch,refusals/oversize-body']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.lines();
    const ids = lines.map((l) => l.id ?? 'summary');
    expect(ids).toEqual(['handshake/challenge-echoed', 'handshake/wrong-token-refused', 'handshake/wrong-mode-refused', 'handshake/without-hub.mode', 'handshake/without-hub.verify_token', 'handshake/without-hub.challenge', 'acceptance/batch', 'refusals/oversize-body', 'summary']);
    const batch = lines[6];
    expect(batch).toMatchObject({ group: 'acceptance', stores: true, verdict: 'pass', findings: [] });
    // Full URLs, as requested.
    expect(batch.requests.map((q: any) => [q.step, q.method, q.url, q.status])).toEqual([
      ['send', 'POST', `${server.url}/apiaccess/api/instagram/message/chan-a`, 200],
      ['redelivery', 'POST', `${server.url}/apiaccess/api/instagram/message/chan-a`, 200],
      ['by account ID', 'POST', `${server.url}/apiaccess/api/instagram/message`, 200],
    ]);
    expect(lines[0].requests[0].url).toMatch(/hub\.verify_token=%E2%80%A6/);
    expect(lines[7].requests[0]).toMatchObject({ status: 413 });
    expect(lines[8].summary).toMatchObject({ target: `${server.url}/apiaccess/api/instagram/message/chan-a`, url: { given: server.url, form: 'base' }, cases: 8, passed: 8, failed: 0, requests: 10, budgetMs: 5000, overBudget: 0, causes: [] });
    expect(lines[8].summary.p95Ms).toBeGreaterThanOrEqual(lines[8].summary.p50Ms);
  });

  it('passes every case of the Meta profile too: the contract keeps Meta’s rules', async () => {
    const r = await igPush([...referenceArgs(), '--yes', '--profile', 'meta', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const summary = r.lines().at(-1).summary;
    expect(summary).toMatchObject({ profile: 'meta', failed: 0, skipped: 0, planned: 36 });
    // Meta's rules send no request to the path without {chanId}: a receiver has one callback URL.
    for (const l of r.lines().filter((x) => x.requests)) for (const q of l.requests) expect(q.url).toContain('/message/chan-a');
  });

  it('takes the push URL whole, and runs refusals and the handshake without --yes, storing nothing', async () => {
    const before = await stored();
    // The old flag name still works (hidden alias of --token).
    const r = await igPush(['check', '--url', `${server.url}/apiaccess/api/instagram/message`, '--channel', 'chan-b', '--secret', 'app-secret-b', '--verify-token', 'verify-b', '--only', 'refusals,handshake']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^13 cases: 13 conform, 0 deviate, 0 skipped; 13 requests/m);
    expect(await stored()).toBe(before);
  });

  it('skips what the options do not allow, saying what is missing', async () => {
    const r = await igPush(['check', '--url', server.url, '--channel', 'chan-open', '--only', 'handshake,refusals']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^skip {2}handshake\/challenge-echoed +needs the channel's verify token \(--verify-token\)$/m);
    expect(r.stdout).toMatch(/^skip {2}refusals\/missing-signature +needs the channel's app secret \(--secret\)$/m);
    expect(r.stdout).toMatch(/^13 cases: 4 conform, 0 deviate, 9 skipped;/m);
  });

  it('will not store anything without --yes when it cannot ask (exit 2), and refuses unknown cases (exit 2)', async () => {
    const before = await stored();
    const noYes = await igPush(['check', '--url', server.url, '--channel', 'chan-a', '--secret', SECRET_A]);
    expect(noYes).toMatchObject({ code: 2, stdout: '' });
    expect(noYes.stderr).toMatch(/^ig-push: 31 acceptance cases store events on .*: pass --yes to go ahead, or --only handshake,refusals to store nothing\n$/);
    const unknown = await igPush(['check', '--url', server.url, '--channel', 'chan-a', '--only', 'refusals,acceptance/nope']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^ig-push: unknown case or group "acceptance\/nope"/);
    expect(await stored()).toBe(before);
  });

  it('exits 3 when nothing answers at the URL, and still writes the JUnit file naming the cause', async () => {
    const port = await freePort(); // nothing listens there any more
    const junit = join(dir, 'unreachable.xml');
    const r = await igPush(['check', '--url', `http://127.0.0.1:${port}`, '--channel', 'chan-a', '--only', 'refusals', '--junit', junit]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^ig-push: no answer from http://127\\.0\\.0\\.1:${port}/apiaccess/api/instagram/message/chan-a: connection refused \\(ECONNREFUSED\\)\\n$`));
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<testsuites name="ig-push check" tests="1" failures="1"');
    expect(xml).toMatch(/<failure type="unreachable" message="no answer from http:\/\/127\.0\.0\.1:\d+\/apiaccess\/api\/instagram\/message\/chan-a: connection refused \(ECONNREFUSED\)">/);
  });
});

interface Run {
  code: number | null;
  failed: any[];
  summary: any;
  stderr: string;
}

async function checkStub(fault: Fault, extra: string[] = []): Promise<Run> {
  const stub = await startStubReceiver(fault);
  try {
    const r = await igPush(['check', '--url', stub.url, '--channel', STUB_CHANNEL, '--secret', STUB_SECRET, '--token', STUB_VERIFY_TOKEN, '--yes', '--json', ...extra]);
    const lines = r.stdout ? r.lines() : [];
    return { code: r.code, failed: lines.filter((l) => l.verdict === 'fail'), summary: lines.at(-1)?.summary, stderr: r.stderr };
  } finally {
    await stub.close();
  }
}

describe('ig-push check against receivers that break the contract', () => {
  it('a conforming stub passes every case (so each failure below is the fault alone)', async () => {
    const run = await checkStub('none');
    expect(run.failed).toEqual([]);
    expect(run).toMatchObject({ code: 0, summary: { cases: 44, passed: 44, failed: 0, skipped: 0 } });
  });

  it('accepts any signature: both signature refusals fail, naming the security scheme', async () => {
    const run = await checkStub('any-signature');
    expect(run.code).toBe(1);
    expect(run.failed.map((c) => c.id)).toEqual(['refusals/missing-signature', 'refusals/legacy-signature-only', 'refusals/wrong-signature']);
    expect(run.failed[0].findings).toEqual([
      { step: 'send', request: expect.stringMatching(new RegExp(`^POST http://127\\.0\\.0\\.1:\\d+/apiaccess/api/instagram/message/${STUB_CHANNEL}$`)), expected: '401 missing_signature', got: '200 application/json {"resultMsg":"200"}', spec: '#/components/securitySchemes/hubSignature' },
    ]);
    expect(run.failed[2].findings[0]).toMatchObject({ expected: '401 bad_signature', got: expect.stringMatching(/^200 /), hint: expect.stringMatching(/checks only X-Hub-Signature \(sha1\), or nothing/) });
  });

  it('answers 500 to edits: the edit case fails, with the error body quoted', async () => {
    const run = await checkStub('edits-500');
    expect(run.code).toBe(1);
    expect(run.failed.map((c) => c.id)).toEqual(['acceptance/edit']);
    expect(run.failed[0].requests).toHaveLength(1); // a delivery never accepted is not redelivered
    expect(run.failed[0].findings).toEqual([
      {
        step: 'send',
        request: expect.stringMatching(new RegExp(`^POST http://127\\.0\\.0\\.1:\\d+/apiaccess/api/instagram/message/${STUB_CHANNEL}$`)),
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
    expect(run.failed).toHaveLength(31);
    expect(run.failed.every((c) => c.group === 'acceptance')).toBe(true);
    expect(run.summary.causes).toEqual([{ cause: 'expected a body matching the schema, got 200 application/json {"status":"ok"}', cases: 31 }]);
    expect(run.failed[0].findings).toEqual([
      {
        step: 'send',
        request: expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/apiaccess\//),
        expected: 'a body matching the schema',
        got: '200 application/json {"status":"ok"}',
        spec: '#/components/responses/PushAccepted/content/application~1json/schema',
        detail: expect.stringContaining("must have required property 'resultMsg'"),
      },
    ]);
  });

  it('takes 6 s to answer anything: no answer at all within the budget is exit 3, not a deviation (the budget is shortened here)', async () => {
    const started = Date.now();
    const run = await checkStub('slow', ['--budget', '250ms', '--only', 'handshake,refusals']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^ig-push: no answer from http:\/\/127\.0\.0\.1:\d+\/apiaccess\/api\/instagram\/message\/chan-stub: none within 250 ms\n$/);
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
