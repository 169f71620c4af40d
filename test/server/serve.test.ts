// serve(): what `npm start` and `ig-push serve` run, in-process, configured from env and options.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
  it('refuses a PORT or LOG_FORMAT that is not one before it opens anything, as a configuration error', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ipk-serve-')), 'never');
    await expect(serve({ env: { PORT: '80a', DATA_DIR: dataDir, LOG_LEVEL: 'silent' } })).rejects.toMatchObject({ name: 'ConfigError', message: 'PORT "80a" is not a port (a whole number from 0 to 65535; 0 picks a free one)' });
    await expect(serve({ port: 0, env: { LOG_FORMAT: 'yaml', DATA_DIR: dataDir, LOG_LEVEL: 'silent' } })).rejects.toMatchObject({ name: 'ConfigError', message: 'LOG_FORMAT "yaml" is not json or pretty' });
    expect(existsSync(dataDir)).toBe(false);
  });
  it('takes PORT and LOG_FORMAT from env', async () => {
    const s = await serve({ env: { PORT: '0', LOG_FORMAT: 'json', DATA_DIR: join(mkdtempSync(join(tmpdir(), 'ipk-serve-')), 'data'), LOG_LEVEL: 'silent' } });
    try {
      expect((await get(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
  it('refuses a BODY_LIMIT that is not a size', async () => {
    await expect(serve({ port: 0, env: { BODY_LIMIT: 'lots', DATA_DIR: mkdtempSync(join(tmpdir(), 'ipk-serve-')), LOG_LEVEL: 'silent' } })).rejects.toThrow(/BODY_LIMIT/);
  });
});
