// What a 400 schema_violation says: every failing JSON path of the body, each with what is wrong there,
// on both push paths and both implementations (the hot path and the general validator path), capped so
// that a huge wrong batch cannot make a huge error body; and what a chanId that breaks the spec is told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { push, textDelivery, type Answer } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { compilePushValidators } from '../../server/push/push-validator.js';
import { loadBundledSpec } from '../../server/contract/spec.js';


/** A delivery to ACCOUNT_A that is wrong in many places at once, and what the 400 must say of each. */
function manyErrors(mid: string) {
  const body = {
    object: 5,
    entry: [
      {
        id: ACCOUNT_A,
        time: 'yesterday',
        messaging: [
          {
            sender: { id: 1 },
            timestamp: 'now',
            message: { mid, text: {}, is_echo: 'yes' },
          },
        ],
      },
      { id: ACCOUNT_A, standby: 'none', changes: [7] },
    ],
  };
  const expected = [
    { path: '/body/object', message: 'must be string' },
    { path: '/body/entry/0/time', message: 'must be number' },
    { path: '/body/entry/0/messaging/0/sender/id', message: 'must be string' },
    { path: '/body/entry/0/messaging/0/timestamp', message: 'must be number' },
    { path: '/body/entry/0/messaging/0/message/text', message: 'must be string' },
    { path: '/body/entry/0/messaging/0/message/is_echo', message: 'must be boolean' },
    { path: '/body/entry/1/standby', message: 'must be array' },
    { path: '/body/entry/1/changes/0', message: 'must be object' },
  ];
  return { body, expected };
}

const byPath = (errors: { path: string; message: string }[]) => [...errors].sort((a, b) => (a.path + a.message).localeCompare(b.path + b.message));

const expectSchemaViolation = (r: Answer) => {
  expect(r.status, r.text).toBe(400);
  expect(r.json).toMatchObject({ resultMsg: 'The request body does not match the schema.', code: 'schema_violation', requestId: expect.any(String) });
};

// The servers start in this block's hook only, so that the unit tests below run without them.
describe('over HTTP', () => {
  let servers: Record<'hot path' | 'general path', TestServer>;
  beforeAll(async () => {
    const [fast, general] = await Promise.all([
      startTestServer({ config: testConfig, app: { fastPush: true } }),
      startTestServer({ config: testConfig, app: { fastPush: false } }),
    ]);
    servers = { 'hot path': fast, 'general path': general };
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  describe.each(['hot path', 'general path'] as const)('a body with several errors, on the %s', (impl) => {
    const server = () => servers[impl];
    const stored = async (mid: string) => (await server().inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);

    it.each([
      ['with the channel in the path', 'chan-a'],
      ['with the channel found from entry[].id', undefined],
    ])('is refused with 400 schema_violation naming each failing path and what fails there, %s', async (_name, chanId) => {
      const mid = `mid-many-errors-${impl.split(' ')[0]}-${chanId ?? 'entry'}`;
      const { body, expected } = manyErrors(mid);
      const r = await push(server().url, body, { chanId, secret: SECRET_A });
      expectSchemaViolation(r);
      expect(byPath(r.json.errors)).toEqual(byPath(expected));
      expect(await stored(mid)).toEqual([]);
    });

    it('names a wrong attachment type at its path, whatever else the schema says of it', async () => {
      const body = { entry: [{ id: ACCOUNT_A, messaging: [{ message: { mid: 'mid-attachment-type', attachments: [{ type: 7 }, { type: 'image', payload: 'x' }] } }] }] };
      const r = await push(server().url, body, { chanId: 'chan-a', secret: SECRET_A });
      expectSchemaViolation(r);
      const paths = new Set(r.json.errors.map((e: { path: string }) => e.path));
      expect(paths).toEqual(new Set(['/body/entry/0/messaging/0/message/attachments/0/type', '/body/entry/0/messaging/0/message/attachments/1/payload']));
      for (const e of r.json.errors) expect(e.message).toMatch(/^must /);
    });

    it('names at most 100 failing paths, the first ones, for a batch wrong in every entry', async () => {
      const body = { entry: Array.from({ length: 300 }, () => ({ time: 'never' })) };
      const r = await push(server().url, body, { chanId: 'chan-open' });
      expectSchemaViolation(r);
      expect(r.json.errors).toHaveLength(100);
      expect(r.json.errors[0]).toEqual({ path: '/body/entry/0/time', message: 'must be number' });
      expect(r.json.errors[99]).toEqual({ path: '/body/entry/99/time', message: 'must be number' });
    });

    it('refuses more objects and arrays than a delivery may hold with 400 schema_violation at /body', async () => {
      const r = await push(server().url, `{"entry":[${'{},'.repeat(50_000)}{}]}`, { chanId: 'chan-open' });
      expectSchemaViolation(r);
      expect(r.json.errors).toEqual([{ path: '/body', message: expect.stringMatching(/^must hold at most 50000 objects and arrays/) }]);
    });

    it('accepts the same delivery once it is right', async () => {
      const body = { object: 'instagram', entry: [{ id: ACCOUNT_A, time: 1732519200123, messaging: [{ sender: { id: '1' }, timestamp: 1732519199876, message: { mid: `mid-right-${impl.split(' ')[0]}`, text: 'x', is_echo: true } }] }] };
      expect((await push(server().url, body, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
    });
  });
});

describe.each([true, false])('a chanId that breaks the spec, in the open sandbox (hot path: %s)', (fastPush) => {
  let sandbox: TestServer;
  beforeAll(async () => {
    sandbox = await startTestServer({ app: { fastPush } });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it.each([
    ['breaking the pattern', 'a%20b', 'must match pattern "^[A-Za-z0-9._~-]+$"'],
    ['longer than 128 characters', 'c'.repeat(129), 'must NOT have more than 128 characters'],
  ])('is refused with 400 bad_request at /path/chanId saying why, when %s', async (_name, chanId, message) => {
    const r = await push(sandbox.url, { object: 'instagram' }, { chanId });
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ code: 'bad_request', errors: [{ path: '/path/chanId', message }] });
  });
});

describe('compilePushValidators', () => {
  const PATH = '/apiaccess/api/instagram/message/{chanId}';
  /** A local `#/…` reference of `doc` (the spec's own refs use no escapes). */
  const resolvePointer = (doc: any, ref: string) => ref.slice(2).split('/').reduce((node, key) => node[key], doc);
  const bad = { entry: [{ id: 7, time: 'x' }] };

  it('reads the push operation whether its request body, chanId parameter and 200 response are references or written inline', () => {
    const referenced = loadBundledSpec();
    const inline = structuredClone(referenced) as any;
    const op = inline.paths[PATH];
    const deref = (node: any) => (node.$ref ? resolvePointer(inline, node.$ref) : node);
    op.post.requestBody = structuredClone(deref(op.post.requestBody));
    op.post.responses['200'] = structuredClone(deref(op.post.responses['200']));
    op.parameters = [{ name: 'other', in: 'query', schema: { type: 'integer' } }, ...op.parameters.map((p: any) => structuredClone(deref(p)))];
    const [a, b] = [compilePushValidators(referenced), compilePushValidators(inline)];
    for (const v of [a, b]) {
      expect(v.body(JSON.parse(JSON.stringify(textDelivery('mid-unit'))))).toBeNull();
      expect(v.chanId('chan-a')).toBeNull();
      expect(v.acceptedBody).toBe('{"resultMsg":"200"}');
    }
    expect(b.body(bad)).toEqual(a.body(bad));
    expect(b.chanId('a b')).toEqual(a.chanId('a b'));
    expect(a.body(bad)).toEqual([
      { path: '/body/entry/0/id', message: 'must be string' },
      { path: '/body/entry/0/time', message: 'must be number' },
    ]);
  });

  it('refuses to start from a spec whose 200 body would not accept what the server answers', () => {
    const broken = structuredClone(loadBundledSpec()) as any;
    const response = broken.paths[PATH].post.responses['200'];
    const target = response.$ref ? resolvePointer(broken, response.$ref) : response;
    target.content['application/json'].schema = { type: 'object', required: ['resultMsg'], properties: { resultMsg: { const: 'OK' } } };
    expect(() => compilePushValidators(broken)).toThrow(/200 body of the push operation does not match the spec/);
  });
});
