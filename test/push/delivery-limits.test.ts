// Too much in one delivery: at most 1000 events in all (messaging, standby and changes of every entry),
// refused before the schema validator walks them, on both push paths; nothing of a refused delivery
// is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENTS, eventCount } from '../../server/push/delivery-limits.js';
import { jsonShapeProblem, MAX_CONTAINERS } from '../../server/push/json-depth.js';
import { ACCOUNT_A, SECRET_A, testConfig } from '../support/channels.js';
import { push } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const event = (mid: string) => ({ sender: { id: '1' }, recipient: { id: ACCOUNT_A }, timestamp: 1732519199876, message: { mid, text: 'x' } });

/** A delivery of `n` events split over two entries and all three lists. */
function delivery(n: number, tag: string) {
  const events = Array.from({ length: n }, (_, i) => event(`${tag}-${i}`));
  const third = Math.floor(n / 3);
  return {
    object: 'instagram',
    entry: [
      { id: ACCOUNT_A, time: 1732519200123, messaging: events.slice(0, third), standby: events.slice(third, 2 * third) },
      { id: ACCOUNT_A, time: 1732519200124, messaging: events.slice(2 * third) },
    ],
  };
}

describe('jsonShapeProblem', () => {
  it('counts objects and arrays outside strings, and stops at the first problem', () => {
    const many = (n: number) => `[${'{},'.repeat(n - 2)}{}]`;
    expect(jsonShapeProblem(many(MAX_CONTAINERS), 32)).toBeNull();
    expect(jsonShapeProblem(many(MAX_CONTAINERS + 1), 32)).toBe('too_many_containers');
    expect(jsonShapeProblem(`["${'{'.repeat(100)}"]`, 2, 1)).toBeNull();
    expect(jsonShapeProblem('[[[[]]]]', 3)).toBe('too_deep');
  });
});

describe('eventCount', () => {
  it('counts messaging, standby and changes across entries, and ignores what is not a list', () => {
    expect(eventCount({ entry: [{ messaging: [{}, {}], standby: [{}], changes: [{}] }, { messaging: [{}] }, null, 'x'] })).toBe(5);
    expect(eventCount({ entry: [{ messaging: 'no' }] })).toBe(0);
    expect(eventCount(null)).toBe(0);
    expect(eventCount({ entry: {} })).toBe(0);
  });
});

for (const fastPush of [true, false]) {
  describe(`events per delivery (${fastPush ? 'hot path' : 'general path'})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ config: testConfig, app: { fastPush } });
    });
    afterAll(async () => {
      await server.close();
    });

    it(`accepts exactly ${MAX_EVENTS} events and stores every one`, async () => {
      const r = await push(server.url, delivery(MAX_EVENTS, `max-${fastPush}`), { chanId: 'chan-a', secret: SECRET_A });
      expect(r.status).toBe(200);
      const page = await server.inbox.list({ limit: 2000 });
      expect(page.items.filter((i) => String(i.mid).startsWith(`max-${fastPush}-`))).toHaveLength(MAX_EVENTS);
    });

    it(`refuses ${MAX_EVENTS + 1} events with 400 schema_violation at /body/entry and stores none`, async () => {
      const before = (await server.inbox.list({ limit: 5000 })).items.length;
      const r = await push(server.url, delivery(MAX_EVENTS + 1, `over-${fastPush}`), { chanId: 'chan-a', secret: SECRET_A });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('schema_violation');
      expect(r.json.errors).toEqual([{ path: '/body/entry', message: expect.stringContaining(`at most ${MAX_EVENTS} events`) }]);
      expect((await server.inbox.list({ limit: 5000 })).items.length).toBe(before);
    });

    it('refuses a megabyte of empty events (the flood that blocked the event loop) before parsing it', async () => {
      const body = `{"entry":[{"messaging":[${'{},'.repeat(340_000)}{}]}]}`;
      const r = await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('schema_violation');
      expect(r.json.errors).toEqual([{ path: '/body', message: expect.stringContaining(`at most ${MAX_CONTAINERS} objects and arrays`) }]);
    });

    it('refuses a number that overflows to infinity wherever it sits, naming its path', async () => {
      const cases: [string, string][] = [
        ['{"entry":[{"id":"1","time":1e400}]}', '/body/entry/0/time'],
        ['{"entry":[{"messaging":[{"timestamp":-1E+400}]}]}', '/body/entry/0/messaging/0/timestamp'],
        ['{"object":"instagram","extra":{"deep":[0,1e999]}}', '/body/extra/deep/1'],
      ];
      for (const [body, path] of cases) {
        const r = await push(server.url, body, { chanId: 'chan-a', secret: SECRET_A });
        expect(r.status, body).toBe(400);
        expect(r.json.code).toBe('schema_violation');
        expect(r.json.errors.map((e: { path: string }) => e.path)).toContain(path);
      }
    });

    it('checks the limit only after the signature: an unsigned flood gets 401', async () => {
      const r = await push(server.url, delivery(MAX_EVENTS + 1, `unsigned-${fastPush}`), { chanId: 'chan-a' });
      expect(r.status).toBe(401);
    });
  });
}
