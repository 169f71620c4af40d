// Which channel a delivery's events are stored under, and whose signature it needs: the path's chanId
// decides; without one, each entry goes to the channel with its account ID (entry[].id). Both push
// paths (the hot path and the general validator path) are held to the same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_OFF, ACCOUNT_OPEN, SECRET_A, SECRET_B, testConfig } from '../support/channels.js';
import { push, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const entryOf = (mid: string, accountId: string) => (textDelivery(mid, accountId) as { entry: object[] }).entry[0]!;
const batch = (...entries: object[]) => ({ object: 'instagram', entry: entries });

/** Two channels of one Meta app (same app secret), and one of another app. */
const sharedAppConfig = {
  channels: [
    { id: 'shop-1', accountId: '17841400000000101', appSecret: 'one-app', enabled: true },
    { id: 'shop-2', accountId: '17841400000000102', appSecret: 'one-app', enabled: true },
    { id: 'other-app', accountId: '17841400000000103', appSecret: 'other-app-secret', enabled: true },
  ],
};

for (const fastPush of [true, false]) {
  describe(`routing on the ${fastPush ? 'hot' : 'general'} path`, () => {
    let server: TestServer;
    let shared: TestServer;
    const tag = fastPush ? 'hot' : 'gen';
    beforeAll(async () => {
      [server, shared] = await Promise.all([
        startTestServer({ config: testConfig, app: { fastPush } }),
        startTestServer({ config: sharedAppConfig, app: { fastPush } }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([server.close(), shared.close()]);
    });

    const channelsOf = async (s: TestServer, prefix: string) =>
      Object.fromEntries((await s.inbox.list({ limit: 1000 })).items.filter((i) => String(i.mid).startsWith(prefix)).map((i) => [i.mid, i.channel]));

    it('stores each entry of a batch without a chanId under the channel of its own account', async () => {
      const p = `${tag}-mixed-`;
      const body = batch(entryOf(`${p}open`, ACCOUNT_OPEN), entryOf(`${p}a`, ACCOUNT_A), entryOf(`${p}open-2`, ACCOUNT_OPEN));
      const r = await push(server.url, body, { secret: SECRET_A });
      expect(r.status, r.text).toBe(200);
      expect(await channelsOf(server, p)).toEqual({ [`${p}open`]: 'chan-open', [`${p}a`]: 'chan-a', [`${p}open-2`]: 'chan-open' });
    });

    it('stores the entries of two channels of one app each under its own channel, signed once with the app secret', async () => {
      const p = `${tag}-shared-`;
      const body = batch(entryOf(`${p}2`, '17841400000000102'), entryOf(`${p}1`, '17841400000000101'));
      const r = await push(shared.url, body, { secret: 'one-app' });
      expect(r.status, r.text).toBe(200);
      expect(await channelsOf(shared, p)).toEqual({ [`${p}1`]: 'shop-1', [`${p}2`]: 'shop-2' });
    });

    it("refuses a batch spanning two apps with 401, whichever app's secret signed it, and stores none of it", async () => {
      const p = `${tag}-two-apps-`;
      const body = batch(entryOf(`${p}1`, '17841400000000101'), entryOf(`${p}3`, '17841400000000103'));
      for (const secret of ['one-app', 'other-app-secret']) {
        const r = await push(shared.url, body, { secret });
        expect(r.status).toBe(401);
        expect(r.json).toMatchObject({ code: 'bad_signature', errors: [{ path: '/headers/x-hub-signature-256' }] });
      }
      expect(await channelsOf(shared, p)).toEqual({});
    });

    it("needs the signature of every signed channel in the batch, not only the first entry's", async () => {
      const p = `${tag}-open-then-a-`;
      const body = batch(entryOf(`${p}open`, ACCOUNT_OPEN), entryOf(`${p}a`, ACCOUNT_A));
      const unsigned = await push(server.url, body);
      expect(unsigned.status).toBe(401);
      expect(unsigned.json).toMatchObject({ code: 'missing_signature', errors: [{ path: '/headers/x-hub-signature-256', message: 'missing' }] });
      expect(unsigned.json.resultMsg).toMatch(/X-Hub-Signature-256 header is required/);
      const wrong = await push(server.url, body, { secret: SECRET_B });
      expect(wrong.status).toBe(401);
      expect(wrong.json).toMatchObject({ code: 'bad_signature', errors: [{ path: '/headers/x-hub-signature-256', message: 'signature does not match' }] });
      expect(wrong.json.resultMsg).toMatch(/does not match the request body/);
      expect(await channelsOf(server, p)).toEqual({});
    });

    it('refuses a batch with a known and an unknown account with 404 naming the unknown entry, and stores none of it', async () => {
      const p = `${tag}-unknown-`;
      const r = await push(server.url, batch(entryOf(`${p}a`, ACCOUNT_A), entryOf(`${p}x`, '17841499999999999')), { secret: SECRET_A });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry/1/id', message: 'no channel has this account ID' }] });
      expect(r.json.resultMsg).toContain('"17841499999999999" of entry 1');
      expect(await channelsOf(server, p)).toEqual({});
    });

    it('refuses an entry without an account ID with 404 naming that entry when the path names no channel', async () => {
      const noId = { time: 1732519200123, messaging: [{ message: { mid: `${tag}-no-id`, text: 'x' } }] };
      const r = await push(server.url, batch(entryOf(`${tag}-with-id`, ACCOUNT_OPEN), noId));
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry/1/id' }] });
      expect(r.json.resultMsg).toContain('"" of entry 1');
    });

    it('refuses a batch with an entry for a disabled channel with 401 channel_disabled, even when signed for the others', async () => {
      const r = await push(server.url, batch(entryOf(`${tag}-on`, ACCOUNT_A), entryOf(`${tag}-off`, ACCOUNT_OFF)), { secret: SECRET_A });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('channel_disabled');
      expect(r.json.resultMsg).toContain('chan-off');
    });

    it('answers 404 naming /body/entry when the path names no channel and entry is empty', async () => {
      const r = await push(server.url, { object: 'instagram', entry: [] });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry', message: 'no entry to route by' }] });
      expect(r.json.resultMsg).toMatch(/names no account/);
    });

    it.each([['null'], ['[]'], ['"text"'], ['{"entry": {}}'], ['{"entry": "17841400000000000"}']])(
      'answers 404 with nothing to route by when the path names no channel and the body is %s',
      async (raw) => {
        const r = await push(server.url, raw, { secret: SECRET_A });
        expect(r.status, r.text).toBe(404);
        expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry' }] });
      },
    );

    it('does not route an entry that is not an object, nor an account ID sent as a number: 404 naming the entry', async () => {
      for (const entry of [null, 'x', { id: Number(ACCOUNT_A), messaging: [] }]) {
        const r = await push(server.url, batch(entryOf(`${tag}-first`, ACCOUNT_A), entry as object), { secret: SECRET_A });
        expect(r.status, r.text).toBe(404);
        expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/body/entry/1/id' }] });
      }
    });

    it('answers 404 naming the chanId for an unknown channel in the path', async () => {
      const r = await push(server.url, textDelivery(`${tag}-nope`), { chanId: 'chan-nope', secret: SECRET_A });
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({ code: 'unknown_channel', errors: [{ path: '/path/chanId', message: 'unknown channel' }] });
      expect(r.json.resultMsg).toContain('"chan-nope"');
    });

    it("stores a delivery under the path's channel whatever account its entries name, with that channel's signature", async () => {
      const p = `${tag}-path-wins-`;
      const toOpen = await push(server.url, batch(entryOf(`${p}open`, ACCOUNT_A)), { chanId: 'chan-open' });
      expect(toOpen.status, toOpen.text).toBe(200);
      const toB = await push(server.url, batch(entryOf(`${p}b`, ACCOUNT_A), entryOf(`${p}b2`, '17841499999999999')), { chanId: 'chan-b', secret: SECRET_B });
      expect(toB.status, toB.text).toBe(200);
      expect(await channelsOf(server, p)).toEqual({ [`${p}open`]: 'chan-open', [`${p}b`]: 'chan-b', [`${p}b2`]: 'chan-b' });
    });

    it("refuses a delivery to a path's channel signed with the secret of the account its entries name", async () => {
      const r = await push(server.url, batch(entryOf(`${tag}-a-for-b`, ACCOUNT_A)), { chanId: 'chan-b', secret: SECRET_A });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('bad_signature');
    });

    it('checks the signature of the path channel before reading the JSON: an unsigned broken body answers 401', async () => {
      const r = await push(server.url, '{"entry": [', { chanId: 'chan-a' });
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('missing_signature');
    });

    it('reads the JSON before routing by entry: a broken body without a chanId answers 400, not 404', async () => {
      const r = await push(server.url, '{"entry": [', { secret: SECRET_A });
      expect(r.status).toBe(400);
    });

    it('checks the signature before the limits: an unsigned over-long batch without a chanId answers 401', async () => {
      const entries = Array.from({ length: 1001 }, (_, i) => entryOf(`${tag}-many-${i}`, ACCOUNT_A));
      const r = await push(server.url, batch(...entries));
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('missing_signature');
    });

    it('refuses a signed over-long batch without a chanId in the words of any other schema violation', async () => {
      const entries = Array.from({ length: 1001 }, (_, i) => entryOf(`${tag}-over-${i}`, ACCOUNT_A));
      const over = await push(server.url, batch(...entries), { secret: SECRET_A });
      const wrongType = await push(server.url, batch({ ...entryOf(`${tag}-wrong-type`, ACCOUNT_A), time: 'soon' }), { secret: SECRET_A });
      expect([over.status, over.json.code]).toEqual([400, 'schema_violation']);
      expect([over.status, over.json.code, over.json.resultMsg]).toEqual([wrongType.status, wrongType.json.code, wrongType.json.resultMsg]);
    });
  });
}

describe('redeliveries and events without a message ID', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: testConfig });
  });
  afterAll(async () => {
    await server.close();
  });
  const texts = async (mid: string) =>
    (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === mid && i.channel === 'chan-open').map((i) => (i.event as any).message.text);

  it('stores two different messages that both carry an empty mid, and a redelivery of either once', async () => {
    const event = (timestamp: number, text: string) => ({ sender: { id: '1' }, recipient: { id: ACCOUNT_OPEN }, timestamp, message: { mid: '', text } });
    const delivery = batch({ id: ACCOUNT_OPEN, time: 1732519200123, messaging: [event(1732519199001, 'first of two'), event(1732519199002, 'second of two')] });
    for (let i = 0; i < 2; i++) expect((await push(server.url, delivery)).status).toBe(200);
    expect((await texts('')).sort()).toEqual(['first of two', 'second of two']);
  });

  it('stores a message redelivered to its channel once, and the same mid sent to another channel under that channel too', async () => {
    for (const chanId of ['chan-open', 'chan-open', 'chan-b']) {
      const r = await push(server.url, textDelivery('mid-twice', ACCOUNT_OPEN), { chanId, secret: chanId === 'chan-b' ? SECRET_B : undefined });
      expect(r.status).toBe(200);
    }
    const all = (await server.inbox.list({ limit: 1000 })).items.filter((i) => i.mid === 'mid-twice').map((i) => i.channel);
    expect(all.sort()).toEqual(['chan-b', 'chan-open']);
  });
});

describe('the open sandbox (no configuration)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ app: { fastPush: true } });
  });
  afterAll(async () => {
    await server.close();
  });
  const channelOf = async (mid: string) => (await server.inbox.list({ limit: 1000 })).items.find((i) => i.mid === mid)?.channel;

  it('stores a delivery to any chanId under that chanId, unsigned', async () => {
    expect((await push(server.url, textDelivery('sandbox-any'), { chanId: 'whatever-1' })).status).toBe(200);
    expect(await channelOf('sandbox-any')).toBe('whatever-1');
  });

  it('stores every entry of a delivery without a chanId under the sandbox channel, whatever its account', async () => {
    const r = await push(server.url, batch(entryOf('sandbox-1', ACCOUNT_A), entryOf('sandbox-2', '1')));
    expect(r.status, r.text).toBe(200);
    expect([await channelOf('sandbox-1'), await channelOf('sandbox-2')]).toEqual(['sandbox', 'sandbox']);
  });

  it('ignores a signature header: nothing to check it against', async () => {
    const r = await push(server.url, textDelivery('sandbox-sig'), { headers: { 'x-hub-signature-256': 'sha256=nonsense' } });
    expect(r.status).toBe(200);
  });
});
