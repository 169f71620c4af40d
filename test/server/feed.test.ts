// The live feed behind the inbox console (GET /inbox/events): backlog, then accepted and refused items as
// they happen, every item valid against the spec's InboxFeedItem; secrets and signatures never in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, SECRET_A, testConfig } from '../support/channels.js';
import { buildConsoleIfStale } from '../support/console-page.js';
import { validateSchema } from '../support/contract.js';
import { push, sign, textDelivery } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openSse, type SseMessage } from '../support/sse.js';

let server: TestServer;
beforeAll(async () => {
  // The site icon is one of the console's built files.
  buildConsoleIfStale();
  server = await startTestServer({ config: testConfig, app: { feedPollMs: 50 } });
});
afterAll(() => server.close());

const feed = (query = '') => openSse(`${server.url}/inbox/events${query}`, bearer);
const item = (m: SseMessage) => JSON.parse(m.data);

describe('GET /inbox/events', () => {
  it('replays the backlog, marks its end, then sends new deliveries as they are stored', async () => {
    await push(server.url, textDelivery('feed-before'), { secret: SECRET_A });
    const { status, contentType, reader } = await feed();
    try {
      expect(status).toBe(200);
      expect(contentType).toMatch(/^text\/event-stream/);
      const before = await reader.waitFor((m) => m.event === 'accepted' && item(m).item.mid === 'feed-before');
      await reader.waitFor((m) => m.event === 'ready');
      expect(reader.messages.indexOf(before)).toBeLessThan(reader.messages.findIndex((m) => m.event === 'ready'));
      await push(server.url, textDelivery('feed-after', undefined, 'live one'), { secret: SECRET_A });
      const after = await reader.waitFor((m) => m.event === 'accepted' && item(m).item.mid === 'feed-after', 1000);
      expect(item(after).item).toMatchObject({ channel: 'chan-a', event: { message: { text: 'live one' } } });
      expect(after.id).toBe(`a${item(after).item.id}`);
      for (const m of reader.messages.filter((x) => x.event !== 'ready')) expect(validateSchema('InboxFeedItem', item(m)).errors).toEqual([]);
    } finally {
      reader.close();
    }
  });

  it('sends refusals with their status and error body, and never the signature or a secret', async () => {
    const { reader } = await feed('?backlog=0');
    try {
      await reader.waitFor((m) => m.event === 'ready');
      const body = JSON.stringify(textDelivery('feed-forged'));
      const forged = sign(body, 'not-the-secret');
      const answer = await push(server.url, body, { headers: { 'x-hub-signature-256': forged } });
      expect(answer.status).toBe(401);
      const m = await reader.waitFor((x) => x.event === 'refused' && item(x).refusal.error.requestId === answer.json.requestId, 1000);
      const { refusal } = item(m);
      expect(refusal).toMatchObject({ status: 401, method: 'POST', error: answer.json, body, contentType: 'application/json' });
      expect(validateSchema('InboxFeedItem', item(m)).errors).toEqual([]);
      expect(m.data).not.toContain(forged.slice('sha256='.length));
      expect(m.data).not.toContain(SECRET_A);
      expect(JSON.stringify(server.refusals.since())).not.toContain(forged.slice('sha256='.length));
    } finally {
      reader.close();
    }
  });

  it('keeps the verify token out of the refusals (the path is kept without its query)', async () => {
    const r = await fetch(`${server.url}/apiaccess/api/instagram/message/chan-a?hub.mode=subscribe&hub.verify_token=guessed-token&hub.challenge=1`);
    expect(r.status).toBe(401);
    expect(JSON.stringify(server.refusals.since())).not.toContain('guessed-token');
  });

  it('says what a refused handshake asked for: its mode, and whether a token came, never the token', async () => {
    const { reader } = await feed('?backlog=0');
    try {
      await reader.waitFor((m) => m.event === 'ready');
      const wrongMode = await fetch(`${server.url}/apiaccess/api/instagram/message?hub.mode=unsubscribe&hub.verify_token=secret-hs-token&hub.challenge=7`);
      expect(wrongMode.status).toBe(400);
      const noMode = await fetch(`${server.url}/apiaccess/api/instagram/message/chan-a?hub.challenge=7`);
      expect(noMode.status).toBe(400);
      const refused = async (requestId: string) => item(await reader.waitFor((m) => m.event === 'refused' && item(m).refusal.error.requestId === requestId, 1000)).refusal;
      const first = await refused((await wrongMode.json()).requestId);
      expect(first).toMatchObject({ method: 'GET', status: 400, handshake: { mode: 'unsubscribe', verifyTokenSent: true } });
      expect(await refused((await noMode.json()).requestId)).toMatchObject({ channel: 'chan-a', handshake: { mode: null, verifyTokenSent: false } });
      expect(validateSchema('Refusal', first).errors).toEqual([]);
      expect(JSON.stringify(reader.messages)).not.toContain('secret-hs-token');
      // A push is not a handshake.
      const r = await push(server.url, textDelivery('feed-not-handshake'), { secret: 'wrong' });
      expect((await refused(r.json.requestId)).handshake).toBeUndefined();
    } finally {
      reader.close();
    }
  });

  it('serves /favicon.ico, which browsers ask for, so it never shows in the refusals', async () => {
    const before = server.refusals.since().length;
    const icon = await fetch(`${server.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/x-icon');
    // An ICO file: reserved 0, type 1 (icon).
    expect([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)]).toEqual([0, 0, 1, 0]);
    expect(server.refusals.since().length).toBe(before);
  });

  it('limits the backlog to `backlog` items of each kind', async () => {
    for (const mid of ['b1', 'b2', 'b3']) await push(server.url, textDelivery(`feed-${mid}`), { secret: SECRET_A });
    const { reader } = await feed('?backlog=2');
    try {
      await reader.waitFor((m) => m.event === 'ready');
      const accepted = reader.messages.filter((m) => m.event === 'accepted').map((m) => item(m).item.mid);
      expect(accepted).toEqual(['feed-b2', 'feed-b3']);
      expect(reader.messages.filter((m) => m.event === 'refused').length).toBeLessThanOrEqual(2);
    } finally {
      reader.close();
    }
  });

  it('refuses a reader without the inbox token, and a bad backlog, with the error body', async () => {
    const open = await openSse(`${server.url}/inbox/events`);
    expect(open.status).toBe(401);
    expect(JSON.parse(open.body)).toMatchObject({ code: 'unauthorized' });
    const bad = await feed('?backlog=-1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors[0].path).toBe('/query/backlog');
  });
});
