// `ig-push serve`: the reference server from the command line, reachable by the client, stopped by SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import { SECRET_A, testConfig } from '../support/channels.js';
import { textDelivery } from '../support/http.js';
import { igPush, root } from './ig-push.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-push-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ig-push serve', () => {
  it('serves the configured channels on the port asked for, then drains and exits 0 on SIGTERM', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(testConfig));
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', 'serve', '--port', '0', '--config', config, '--data-dir', join(dir, 'data')], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let out = '';
      child.stderr.on('data', (d) => (out += d));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${out}`)));
      });
      const client = createPushClient({ baseUrl: url, appSecret: SECRET_A });
      await expect(client.push(textDelivery('cli-serve-1') as never, { chanId: 'chan-a' })).resolves.toEqual({ resultMsg: '200' });
      await expect(createPushClient({ baseUrl: url, retries: 0 }).push(textDelivery('cli-serve-2') as never, { chanId: 'chan-a' })).rejects.toMatchObject({ status: 401 });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 with a one-line error for a bad configuration file', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, '{"channels": 5}');
    const r = await igPush(['serve', '--port', '0', '--config', config, '--data-dir', join(dir, 'data-bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ig-push: configuration error: .*\/channels must be array\n$/);
  });
});
