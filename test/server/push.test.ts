// The push operation over real HTTP: what is accepted, stored, and how each refusal reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec } from '../support/contract.js';
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_OFF, ACCOUNT_OPEN, SECRET_A, SECRET_B, bearer, testConfig } from '../support/channels.js';
import { get, push, textDelivery } from '../support/http.js';
import { pageExampleText } from '../support/provider-page.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: testConfig });
});
afterAll(async () => {
  await server.close();
});

const stored = async (mid: string) => (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid);

describe('accepted deliveries', () => {
  it("accepts the provider page's example text as sent, duplicate reply_to and all, and stores it", async () => {
    const text = pageExampleText();
    const r = await push(server.url, text, { chanId: 'chan-open' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ resultMsg: '200' });
    const [item] = await stored('MESSAGE-ID');
    expect(item!.channel).toBe('chan-open');
    // JSON.parse keeps the last reply_to, as the page's text implies.
    expect(item!.event).toEqual(JSON.parse(text).entry[0].messaging[0]);
  });

  it.each(Object.entries<any>(spec.components.requestBodies.WebhookDelivery.content['application/json'].examples))(
    'accepts the spec example %s on the open channel',
    async (_name, example) => {
      const value = 'value' in example ? example.value : spec.components.examples[example.$ref.split('/').pop()].value;
      const r = await push(server.url, value, { chanId: 'chan-open' });
      expect(r.status, r.text).toBe(200);
    },
  );

  it('answers 200 only once every event is readable from the inbox, with entry id, time and receivedAt', async () => {
    const before = Date.now();
    const r = await push(server.url, textDelivery('mid-readback'), { chanId: 'chan-a', secret: SECRET_A });
    expect(r.status).toBe(200);
    const [item] = await stored('mid-readback');
    expect(item).toMatchObject({ channel: 'chan-a', entryId: ACCOUNT_A, entryTime: 1732519200123 });
    expect(Date.parse(item!.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('accepts unknown keys at every level and keeps them', async () => {
    const body = textDelivery('mid-extra') as any;
    body.brand_new = { x: 1 };
    body.entry[0].messaging[0].message.future_field = [1, 2];
    body.entry[0].messaging[0].message.attachments = [{ type: 'hologram', payload: { url: 'https://x', depth: 3 } }];
    expect((await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
    const [item] = await stored('mid-extra');
    expect((item!.event as any).message.future_field).toEqual([1, 2]);
  });

  it('accepts times in seconds and in milliseconds', async () => {
    const body = textDelivery('mid-seconds') as any;
    body.entry[0].time = 1732519200;
    body.entry[0].messaging[0].timestamp = 1732519199;
    expect((await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A })).status).toBe(200);
  });

  it('answers with an X-Request-Id', async () => {
    const r = await push(server.url, textDelivery('mid-reqid'), { chanId: 'chan-open' });
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('routing', () => {
  it('routes by entry[].id to the channel with that account ID when the path has no channel', async () => {
    const r = await push(server.url, textDelivery('mid-route-b', ACCOUNT_B), { secret: SECRET_B });
    expect(r.status).toBe(200);
    expect((await stored('mid-route-b'))[0]!.channel).toBe('chan-b');
  });

  it('stores each entry of a batch under its own channel', async () => {
    const body = { object: 'instagram', entry: [(textDelivery('mid-batch-open-1', ACCOUNT_OPEN) as any).entry[0], (textDelivery('mid-batch-open-2', ACCOUNT_OPEN) as any).entry[0]] };
    expect((await push(server.url, body)).status).toBe(200);
    expect((await stored('mid-batch-open-2'))[0]!.channel).toBe('chan-open');
  });

  it('answers 404 unknown_channel for an account ID no channel has, naming the entry', async () => {
    const r = await push(server.url, textDelivery('mid-nobody', '999'), { secret: SECRET_A });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry/0/id' }] });
    expect(await stored('mid-nobody')).toEqual([]);
  });

  it('answers 404 unknown_channel for an unknown chanId in the path', async () => {
    const r = await push(server.url, textDelivery('mid-x'), { chanId: 'chan-zzz', secret: SECRET_A });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/path/chanId' }] });
  });

  it('answers 404 when the path names no channel and the delivery has no entry', async () => {
    const r = await push(server.url, { object: 'instagram' });
    expect(r.status).toBe(404);
  });

  it('answers 401 channel_disabled for a disabled channel, by path and by account', async () => {
    const body = textDelivery('mid-off', ACCOUNT_OFF);
    for (const chanId of ['chan-off', undefined]) {
      const r = await push(server.url, body, { chanId, secret: 'off-secret' });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('channel_disabled');
      expect(r.json.resultMsg).toMatch(/purchased/);
    }
    expect(await stored('mid-off')).toEqual([]);
  });
});

describe('signatures', () => {
  const body = JSON.stringify(textDelivery('mid-sig'));
  it('refuses an unsigned delivery to a channel with an app secret: 401 missing_signature', async () => {
    const r = await push(server.url, body, { chanId: 'chan-a' });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 'missing_signature', errors: [{ path: '/headers/x-hub-signature-256' }] });
  });
  it('refuses a wrong signature: 401 bad_signature', async () => {
    const r = await push(server.url, body, { chanId: 'chan-a', headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('bad_signature');
  });
  it("refuses a delivery signed with another channel's secret", async () => {
    expect((await push(server.url, body, { chanId: 'chan-a', secret: SECRET_B })).status).toBe(401);
  });
  it('refuses when the bytes changed after signing, even if the JSON means the same', async () => {
    const signedFor = JSON.stringify({ a: 'é/' });
    const sent = '{"a":"\\u00e9\\/"}'; // Meta's escaping: same JSON value, other bytes
    const { sign } = await import('../support/http.js');
    const r = await push(server.url, sent, { chanId: 'chan-a', headers: { 'x-hub-signature-256': sign(signedFor, SECRET_A) } });
    expect(r.status).toBe(401);
  });
  it("accepts Meta's escaped bytes when the signature covers exactly those bytes", async () => {
    const sent = `{"object":"instagram","entry":[{"id":"${ACCOUNT_A}","messaging":[{"message":{"mid":"mid-escaped","text":"caf\\u00e9 \\/ \\ud83d\\ude00"}}]}]}`;
    const r = await push(server.url, sent, { chanId: 'chan-a', secret: SECRET_A });
    expect(r.status, r.text).toBe(200);
    expect(((await stored('mid-escaped'))[0]!.event as any).message.text).toBe('café / 😀');
  });
  it('ignores the legacy X-Hub-Signature (sha1) header and malformed values are mismatches', async () => {
    const r = await push(server.url, body, { chanId: 'chan-a', headers: { 'x-hub-signature': 'sha1=abc', 'x-hub-signature-256': 'sha256=xyz' } });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('bad_signature');
  });
  it('checks the signature before the schema: an unsigned bad body answers 401, not 400', async () => {
    const r = await push(server.url, { entry: 'nope' }, { chanId: 'chan-a' });
    expect(r.status).toBe(401);
  });
  it('accepts an unsigned delivery to a channel without an app secret', async () => {
    expect((await push(server.url, textDelivery('mid-open'), { chanId: 'chan-open' })).status).toBe(200);
  });
});

describe('schema violations', () => {
  it('answers 400 schema_violation with every failing path', async () => {
    const body = textDelivery('mid-bad') as any;
    body.entry[0].time = 'yesterday';
    body.entry[0].messaging[0].message.is_echo = 'yes';
    body.entry[0].messaging[0].message.attachments = [{ type: 7 }];
    const r = await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('schema_violation');
    const paths = r.json.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/body/entry/0/time', '/body/entry/0/messaging/0/message/is_echo', '/body/entry/0/messaging/0/message/attachments/0/type']));
    expect(await stored('mid-bad')).toEqual([]);
  });
  it('refuses an array body and a string body with 400', async () => {
    for (const raw of ['[]', '"text"', '42', 'null']) {
      const r = await push(server.url, raw, { chanId: 'chan-open' });
      expect(r.status, raw).toBe(400);
    }
  });
});

describe('inbox read-back', () => {
  it('requires the inbox token when one is configured', async () => {
    expect((await get(`${server.url}/inbox/messages`)).status).toBe(401);
    expect((await get(`${server.url}/inbox/messages`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${server.url}/inbox/messages?limit=1`, bearer)).status).toBe(200);
  });
  it('pages by cursor and filters by channel', async () => {
    for (const n of [1, 2, 3]) await push(server.url, textDelivery(`mid-page-${n}`, ACCOUNT_B), { chanId: 'chan-b', secret: SECRET_B });
    const first = await get(`${server.url}/inbox/messages?channel=chan-b&limit=2`, bearer);
    expect(first.json.items.every((i: any) => i.channel === 'chan-b')).toBe(true);
    const second = await get(`${server.url}/inbox/messages?channel=chan-b&limit=2&cursor=${first.json.nextCursor}`, bearer);
    const mids = [...first.json.items, ...second.json.items].map((i: any) => i.mid);
    expect(mids).toEqual(expect.arrayContaining(['mid-page-1', 'mid-page-2']));
    expect(new Set(mids).size).toBe(mids.length);
  });
  it('refuses a bad limit or a cursor it never handed out with 400', async () => {
    expect((await get(`${server.url}/inbox/messages?limit=0`, bearer)).status).toBe(400);
    expect((await get(`${server.url}/inbox/messages?limit=abc`, bearer)).status).toBe(400);
    expect((await get(`${server.url}/inbox/messages?cursor=abc`, bearer)).status).toBe(400);
    expect((await get(`${server.url}/inbox/messages?surprise=1`, bearer)).status).toBe(400);
  });
});
