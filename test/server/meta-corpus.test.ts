// Genuine deliveries, as Meta's public documentation publishes them (test/fixtures/meta, sources in
// SOURCES.md), are all accepted, signed over their exact bytes, and every event in them is stored.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../support/contract.js';
import { push } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const dir = new URL('../fixtures/meta/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const SECRET = 'meta-app-secret';

let server: TestServer;
beforeAll(async () => {
  // One signed channel per account the corpus uses, so routing by entry[].id is exercised too.
  const accounts = new Set<string>();
  for (const f of files) for (const e of JSON.parse(readFileSync(new URL(f, dir), 'utf8')).entry ?? []) if (typeof e.id === 'string') accounts.add(e.id);
  server = await startTestServer({ config: { channels: [...accounts].map((accountId, i) => ({ id: `meta-${i}`, accountId, appSecret: SECRET })) } });
});
afterAll(async () => {
  await server.close();
});

const eventCount = (delivery: any) =>
  (delivery.entry ?? []).reduce((n: number, e: any) => n + (e.messaging?.length ?? 0) + (e.standby?.length ?? 0) + (e.changes?.length ?? 0), 0);

describe("Meta's published deliveries", () => {
  it('the corpus holds at least 15 deliveries', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });
  it.each(files)('%s validates against the request schema', (file) => {
    expect(validateSchema('WebhookDelivery', JSON.parse(readFileSync(new URL(file, dir), 'utf8'))).errors).toEqual([]);
  });
  it.each(files)('%s is accepted when signed, and each of its events is stored', async (file) => {
    const raw = readFileSync(new URL(file, dir), 'utf8');
    const before = (await server.inbox.list({ limit: 1000 })).items.length;
    const r = await push(server.url, raw, { secret: SECRET });
    expect(r.status, r.text).toBe(200);
    const after = (await server.inbox.list({ limit: 1000 })).items.length;
    // Fixtures may repeat an event another fixture already delivered; never more than the delivery holds.
    expect(after - before).toBeLessThanOrEqual(eventCount(JSON.parse(raw)));
    expect(after - before).toBeGreaterThan(0);
  });
});
