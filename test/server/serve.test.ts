// serve(): what `npm start` and `ig-push serve` run, in-process, configured from env and options.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve } from '../../server/main.js';
import { get, push, textDelivery } from '../support/http.js';

describe('serve', () => {
  it('starts from a config file and env, takes signed pushes, honours BODY_LIMIT, and closes cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-serve-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'a', accountId: '1', appSecret: { env: 'SERVE_SECRET' } }], inboxToken: 't' }));
    const s = await serve({ port: 0, env: { CONFIG: config, DATA_DIR: join(dir, 'data'), BODY_LIMIT: '2kb', LOG_LEVEL: 'silent', SERVE_SECRET: 'shh' } });
    try {
      expect((await push(s.url, textDelivery('serve-1', '1'), { secret: 'shh' })).status).toBe(200);
      expect((await push(s.url, textDelivery('serve-2', '1'), { secret: 'wrong' })).status).toBe(401);
      expect((await push(s.url, textDelivery('serve-3', '1', 'x'.repeat(3000)), { secret: 'shh' })).status).toBe(413);
      expect((await get(`${s.url}/inbox/messages`, { authorization: 'Bearer t' })).json.items).toHaveLength(1);
      expect((await get(`${s.url}/readyz`)).status).toBe(200);
    } finally {
      await s.close();
    }
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
  it('refuses a BODY_LIMIT that is not a size', async () => {
    await expect(serve({ port: 0, env: { BODY_LIMIT: 'lots', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } })).rejects.toThrow(/BODY_LIMIT/);
  });
});
