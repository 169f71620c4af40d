// Generated cases: deliveries drawn from the bundled schema are all accepted and stored; a wrong type in
// any single field is refused with that field's path. Replay a failure with FC_SEED=<seed> (and FC_PATH).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryArbitrary, fieldPaths, setAt, wrongValueFor } from '../support/arbitraries.js';
import { validateSchema } from '../support/contract.js';
import { push, request, PUSH_PATH } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH;
const params = (numRuns: number) => ({ numRuns, seed, path, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

let n = 0;
const eventsOf = (d: any): any[] => (Array.isArray(d?.entry) ? d.entry : []).flatMap((e: any) => [...(e?.messaging ?? []), ...(e?.standby ?? []), ...(e?.changes ?? [])]);
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('generated deliveries', () => {
  it('the arbitrary only draws deliveries the schema accepts (the oracle agrees)', () => {
    fc.assert(fc.property(deliveryArbitrary(), (d) => validateSchema('WebhookDelivery', d).valid), params(300));
  });

  it('accepts every valid delivery with 200 and stores each of its events', async () => {
    await fc.assert(
      fc.asyncProperty(deliveryArbitrary(), async (delivery) => {
        const chanId = `gen-${++n}`;
        const r = await push(server.url, delivery, { chanId });
        if (r.status !== 200) throw new Error(`answered ${r.status}: ${r.text}`);
        const stored = (await server.inbox.list({ channel: chanId, limit: 1000 })).items.map((i) => i.event);
        for (const event of eventsOf(JSON.parse(JSON.stringify(delivery)))) {
          const found = stored.some((s) => sameJson(s, event) || (event?.message?.mid !== undefined && (s as any)?.message?.mid === event.message.mid));
          if (!found) throw new Error(`event not stored: ${JSON.stringify(event)}`);
        }
      }),
      params(2000),
    );
  }, 60_000);

  it('refuses a wrong type in any single field with 400 naming that field', async () => {
    const fields = fieldPaths();
    expect(fields.length).toBeGreaterThan(30);
    await fc.assert(
      fc.asyncProperty(deliveryArbitrary(), fc.constantFrom(...fields), async (delivery, field) => {
        const body = structuredClone(delivery) as Record<string, any>;
        setAt(body, field.pointer, wrongValueFor(field.type));
        const r = await push(server.url, body, { chanId: 'mutations' });
        if (r.status !== 400 || r.json?.code !== 'schema_violation') throw new Error(`answered ${r.status}: ${r.text}`);
        const paths = r.json.errors.map((e: any) => e.path);
        if (!paths.includes(`/body${field.pointer}`)) throw new Error(`${field.pointer} not named: ${paths.join(', ')}`);
      }),
      params(500),
    );
  }, 60_000);

  it('never answers 5xx, whatever the bytes (and every answer is documented: the oracle checks)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.uint8Array({ maxLength: 200 })), async (body) => {
        const r = await request(`${server.url}${PUSH_PATH}/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body as BodyInit });
        if (r.status >= 500) throw new Error(`answered ${r.status}: ${r.text}`);
      }),
      params(500),
    );
  }, 60_000);
});
