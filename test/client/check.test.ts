// `instagram-push-kit/check` as a library: the conformance cases inside a vitest suite (one test per case,
// as a team would write it) and a node:test suite; the deliveries they send (every shape Meta publishes,
// fresh, serialised byte for byte as Meta does); the JUnit report for any body a receiver may answer.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import {
  conformance,
  ConformanceError,
  deliveryKinds,
  freshDelivery,
  metaJson,
  newMid,
  runConformance,
  toJUnit,
  type ConformanceReport,
} from '../../client/check/index.js';
import { percentile } from '../../client/check/summary.js';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { freePort } from '../support/process.js';
import { startTestServer } from '../support/server.js';
import { startStubReceiver, STUB_CHANNEL, STUB_SECRET } from '../support/stub-receiver.js';

const root = new URL('../..', import.meta.url).pathname;
const server = await startTestServer({ config: testConfig });
afterAll(async () => {
  await server.close();
});

describe('the conformance cases in a vitest suite, one test per case', () => {
  for (const c of conformance({ url: server.url, channel: 'chan-a', secret: SECRET_A, verifyToken: 'verify-a', accountId: ACCOUNT_A })) {
    it.skipIf(Boolean(c.skip))(`${c.id}: ${c.title}`, () => c.assert());
  }
});

describe('the conformance cases as a library', () => {
  it('run in a node:test suite, one test per case', async () => {
    // Spawned asynchronously: the receiver answering it runs in this process.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter', 'tap', 'test/fixtures/check/node-test-suite.ts'], {
      cwd: root,
      env: { ...process.env, RECEIVER_URL: server.url, RECEIVER_CHANNEL: 'chan-a', RECEIVER_SECRET: SECRET_A, RECEIVER_VERIFY_TOKEN: 'verify-a' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/^# tests 14$/m);
    expect(out).toMatch(/^# pass 14$/m);
    expect(out).toMatch(/^ok \d+ - acceptance\/text: /m);
  });

  it('assert() throws a ConformanceError spelling out each finding; run() reports it', async () => {
    const stub = await startStubReceiver('edits-500');
    try {
      const [edit] = conformance({ url: stub.url, channel: STUB_CHANNEL, secret: STUB_SECRET, only: ['acceptance/edit'] });
      const err = await edit!.assert().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConformanceError);
      expect((err as Error).message).toMatch(/^acceptance\/edit: 1 deviation from the contract\nsend: POST http:\/\/127\.0\.0\.1:\d+\/apiaccess\/api\/instagram\/message\/chan-stub\n {2}expected 200 \{"resultMsg":"200"\}\n {2}got {6}500 application\/json .*\n {2}spec {5}#\/components\/responses\/PushAccepted$/);
      expect((await edit!.run()).verdict).toBe('fail');
    } finally {
      await stub.close();
    }
  });

  it('refuses options that cannot work', () => {
    expect(() => conformance({ url: 'localhost:8080', channel: 'c' })).toThrow(TypeError);
    expect(() => conformance({ url: 'ftp://x', channel: 'c' })).toThrow(/must be http or https/);
    expect(() => conformance({ url: 'http://x', channel: '' })).toThrow(/channel is required/);
    expect(() => conformance({ url: 'http://x', channel: 'c', budgetMs: 0 })).toThrow(RangeError);
    expect(() => conformance({ url: 'http://x', channel: 'c', only: ['everything'] })).toThrow(/unknown case or group "everything"/);
  });

  it('reports an unreachable receiver once, at the first request', async () => {
    const port = await freePort(); // nothing listens there any more
    const report = await runConformance({ url: `http://127.0.0.1:${port}`, channel: 'c', secret: 's', only: ['refusals'] });
    expect(report.unreachable).toBe(`no answer from http://127.0.0.1:${port}/apiaccess/api/instagram/message/c: connection refused (ECONNREFUSED)`);
    expect(report.cases).toEqual([]);
    // The JUnit report of such a run is one failed case naming the cause, so CI shows why.
    const xml = toJUnit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<testcase name="receiver answers" classname="ig-push check.reachability"');
    expect(xml).toContain(`<failure type="unreachable" message="no answer from http://127.0.0.1:${port}/apiaccess/api/instagram/message/c: connection refused (ECONNREFUSED)">`);
  });


  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
  });
});

describe('the deliveries', () => {
  const metaDir = new URL('../fixtures/meta/', import.meta.url);
  const fixtures = readdirSync(metaDir).filter((f) => f.endsWith('.json')).sort();
  /** Keys, nesting and value types, values aside (arrays as the set of their items' shapes). */
  const shape = (v: unknown): string => {
    if (Array.isArray(v)) return `[${[...new Set(v.map(shape))].sort().join('|')}]`;
    if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${k}:${shape((v as Record<string, unknown>)[k])}`).join(',')}}`;
    return typeof v;
  };
  const kindShapes = new Map(deliveryKinds().map((k) => [shape(k.value), k.name]));

  it.each(fixtures)("Meta's %s has a named example of the same shape, so the check sends it", (file) => {
    expect(kindShapes.get(shape(JSON.parse(readFileSync(new URL(file, metaDir), 'utf8'))))).toEqual(expect.any(String));
  });

  it('serialises exactly as Meta does: the bytes of its escaped delivery, from the parsed value', () => {
    const bytes = readFileSync(new URL('meta-escaped.json', metaDir), 'utf8').trim();
    expect(metaJson(JSON.parse(bytes))).toBe(bytes);
    expect(metaJson({ t: 'a/b \u2028 é 😀 "q" \\' })).toBe('{"t":"a\\/b \\u2028 \\u00e9 \\ud83d\\ude00 \\"q\\" \\\\"}');
  });

  it('makes each delivery fresh: new mids (one per original), times moved to now in their own unit and type', () => {
    const batch = deliveryKinds().find((k) => k.name === 'batch')!.value;
    let n = 0;
    const now = 1_800_000_000_000;
    const { delivery, mids } = freshDelivery(batch, { now, mid: () => `fresh-${++n}` });
    expect(mids).toEqual(['fresh-1', 'fresh-2', 'fresh-3', 'fresh-4']);
    const [first, second] = delivery.entry!;
    expect(first!.messaging!.map((e) => e.message!.mid)).toEqual(['fresh-1', 'fresh-2']);
    expect(second!.time).toBe(now);
    expect(first!.time).toBe(now - 111); // as far before the latest time as in the example
    expect(first!.messaging![0]!.timestamp).toBeLessThan(first!.time!);
    expect(batch.entry![0]!.time).toBe(1732519680666); // the example itself is untouched

    const edit = deliveryKinds().find((k) => k.name === 'edit')!.value;
    const text = deliveryKinds().find((k) => k.name === 'text')!.value;
    expect(edit.entry![0]!.messaging![0]!.message_edit!.mid).toBe(text.entry![0]!.messaging![0]!.message!.mid);
    expect(freshDelivery(edit).delivery.entry![0]!.messaging![0]!.message_edit!.mid).toMatch(/^aWdfZAG1faXRlbToxOklHTWVzc2FnZA[\w-]{60}$/);

    const dashboard = freshDelivery(deliveryKinds().find((k) => k.name === 'dashboard_test')!.value, { now, accountId: '42' }).delivery as any;
    expect(dashboard.entry[0]).toMatchObject({ id: '0', time: now / 1000 });
    expect(dashboard.entry[0].changes[0].value.timestamp).toBe(String(now / 1000 - 5));
  });

  it('puts every entry under --account-id, the business side of each event with it', () => {
    const echo = freshDelivery(deliveryKinds().find((k) => k.name === 'echo')!.value, { accountId: '1784' }).delivery;
    expect(echo.entry![0]).toMatchObject({ id: '1784', messaging: [{ sender: { id: '1784' }, recipient: { id: '6543210987654321' } }] });
    const batch = freshDelivery(deliveryKinds().find((k) => k.name === 'batch')!.value, { accountId: '1784' }).delivery;
    expect(batch.entry!.map((e) => e.id)).toEqual(['1784', '1784']);
    expect(batch.entry![1]!.messaging![0]!.recipient!.id).toBe('1784');
  });

  it('makes a new mid every time', () => {
    expect(new Set(Array.from({ length: 100 }, newMid)).size).toBe(100);
  });
});

describe('the JUnit report', () => {
  it('stays well-formed XML whatever a receiver answered', () => {
    const nasty = 'a <b> & "c" \'d\' \u0000\u0007\u001b ]]> \ud83d\ude00';
    const report: ConformanceReport = {
      target: 'http://x/apiaccess/api/instagram/message/c&d',
      url: { given: 'http://x', form: 'base' },
      specVersion: '2.1.0',
      profile: 'contract',
      startedAt: new Date(0).toISOString(),
      cases: [
        { id: 'acceptance/text', group: 'acceptance', title: nasty, stores: true, verdict: 'fail', requests: [{ step: 'send', method: 'POST', url: 'http://x/p?a=1&b=2', status: 500, ms: 3 }], findings: [{ step: 'send', request: 'POST /p', expected: '200', got: `500 text/html ${nasty}`, spec: '#/x', detail: nasty }] },
        { id: 'handshake/challenge-echoed', group: 'handshake', title: 't', stores: false, verdict: 'skip', skipped: nasty, requests: [], findings: [] },
      ],
      summary: { cases: 2, passed: 0, failed: 1, skipped: 1, requests: 1, p50Ms: 3, p95Ms: 3, maxMs: 3, budgetMs: 5000, overBudget: 0, durationMs: 4, causes: [] },
    };
    const xml = toJUnit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<failure type="deviation" message="send: expected 200, got 500 text/html a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; \ufffd\ufffd\ufffd ]]&gt;');
  });
});
