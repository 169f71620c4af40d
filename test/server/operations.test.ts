// Operational behaviour: health, readiness, the served spec and docs, graceful shutdown.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec } from '../support/contract.js';
import { get, push, textDelivery } from '../support/http.js';
import { spawnServer } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('operations', () => {
  it('GET /healthz answers 200 and /readyz answers 200 once the store is writable', async () => {
    expect((await get(`${server.url}/healthz`)).json).toEqual({ status: 'ok' });
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
  });
  it('/readyz answers 503 once the store is closed', async () => {
    const s = await startTestServer();
    await s.inbox.close();
    expect((await get(`${s.url}/readyz`)).status).toBe(503);
    const r = await push(s.url, textDelivery('mid-closed'));
    expect(r.status).toBe(500);
    expect(r.json.code).toBe('store_unavailable');
    await s.close();
  });
  it('GET /openapi.json serves the bundled spec', async () => {
    expect((await get(`${server.url}/openapi.json`)).json).toEqual(spec);
  });
  it('GET /docs serves the offline docs page, or says how to build it', async () => {
    const r = await get(`${server.url}/docs`);
    if (r.status === 200) {
      expect(r.headers.get('content-type')).toMatch(/text\/html/);
      expect(r.text).toContain('Instagram message push');
    } else {
      expect(r.status).toBe(503);
      expect(r.text).toMatch(/npm run build/);
    }
  });
  it('finishes a request in flight on SIGTERM, then exits 0', async () => {
    const s = await spawnServer({ DATA_DIR: join(mkdtempSync(join(tmpdir(), 'ipk-term-')), 'data'), LOG_LEVEL: 'info' });
    // A body sent slowly keeps the request in flight while the signal arrives.
    const body = JSON.stringify(textDelivery('mid-in-flight'));
    const stream = new ReadableStream({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 20)));
        await new Promise((r) => setTimeout(r, 300));
        s.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 300));
        controller.enqueue(new TextEncoder().encode(body.slice(20)));
        controller.close();
      },
    });
    const r = await fetch(`${s.url}/apiaccess/api/instagram/message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(200);
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/shutting down/);
  });
});
