// `ig-push serve`: the reference server from the command line, reachable by the client, stopped by SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import { CliError, EXIT } from '../../client/cli/exit-codes.js';
import { loadServer } from '../../client/cli/serve.js';
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

  it('says in one line how to install the server package when it is missing (exit 2)', async () => {
    const missing = Object.assign(new Error("Cannot find package 'instagram-push-kit-server' imported from /app/node_modules/instagram-push-kit/dist/ig-push.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const refused = await loadServer(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CliError);
    expect(refused).toMatchObject({ code: EXIT.usage, message: 'serve needs the server package: npm install instagram-push-kit-server' });
  });

  it('reports a dependency missing inside an installed server as what it is', async () => {
    const broken = Object.assign(new Error("Cannot find package 'express' imported from /app/node_modules/instagram-push-kit-server/dist/server/app.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadServer(() => Promise.reject(broken))).rejects.toBe(broken);
  });
});
