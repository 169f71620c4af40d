// `ig-push serve`: the reference server from the command line, reachable by the client, stopped by SIGTERM;
// with --forward-to, a triggered event arrives at a local receiver, signed with the secret serve printed.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../client/index.js';
import { CliError, EXIT } from '../../client/cli/exit-codes.js';
import { loadServer } from '../../client/cli/serve.js';
import { SECRET_A, testConfig } from '../support/channels.js';
import { textDelivery } from '../support/http.js';
import { STUB_CHANNEL, STUB_SECRET, startStubReceiver } from '../support/stub-receiver.js';
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

  it('exits 1 when the server cannot start on its port, naming the port', async () => {
    const held = createServer();
    await new Promise<void>((ok) => held.listen(0, '127.0.0.1', ok));
    const port = (held.address() as { port: number }).port;
    try {
      const r = await igPush(['serve', '--port', String(port), '--data-dir', join(dir, 'data-port')], { child: true });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ig-push: server failed to start: port ${port} is in use`);
    } finally {
      held.close();
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

/** `ig-push serve args…` as a child process; resolves once it printed the trigger line (the server listens). */
async function startServe(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', 'serve', '--port', '0', '--data-dir', join(dir, `data-${Math.random().toString(36).slice(2)}`), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', IG_PUSH_FORWARD_SECRET: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^send an event: ig-push trigger text --url (http:\/\/127\.0\.0\.1:\d+) --channel /m.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${out}`)));
  });
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until<T>(what: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('not within the time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('ig-push serve --forward-to', () => {
  it('forwards a triggered event to a local receiver, signed with the secret it printed, in one command', async () => {
    // A receiver that keeps every request as it came, to check the signature with the printed secret.
    const got: { headers: Record<string, unknown>; body: string }[] = [];
    const receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      got.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"resultMsg":"200"}');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhook`;
    const serve = await startServe(['--forward-to', target]);
    try {
      const printed = /^forwarding every event on channel dev to (\S+)\n {2}signed with X-Hub-Signature-256 using the secret ([0-9a-f]{64})$/m.exec(serve.output());
      expect(printed?.[1]).toBe(target);
      const secret = printed![2]!;
      const r = await igPush(['trigger', 'text', '--url', serve.url, '--channel', 'dev', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const mid = r.lines()[0].mids[0];
      const forwarded = await until(() => got.find((g) => g.body.includes(mid)));
      expect(forwarded.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(forwarded.body).digest('hex')}`);
      expect(JSON.parse(forwarded.body).entry[0].messaging[0].message.mid).toBe(mid);
      // A developer's server answers only this machine's names, as the sandbox does (no DNS rebinding from a web page).
      const rebound = await hostAnswer(serve.url, 'attacker.example');
      expect(rebound).toBeGreaterThanOrEqual(400);
      expect(await hostAnswer(serve.url, 'localhost')).toBe(200);
      expect(await serve.stop()).toBe(0);
    } finally {
      await serve.stop();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('signs with --forward-secret when given: the stub receiver checks it and takes the event', async () => {
    const stub = await startStubReceiver();
    const serve = await startServe(['--forward-to', `${stub.url}/apiaccess/api/instagram/message/${STUB_CHANNEL}`, '--forward-secret', STUB_SECRET, '--channel', 'chan-local']);
    try {
      expect(serve.output()).toContain(`signed with X-Hub-Signature-256 using the secret ${STUB_SECRET} (given)`);
      const r = await igPush(['trigger', 'image', '--url', serve.url, '--channel', 'chan-local', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const mid = r.lines()[0].mids[0];
      await until(() => stub.accepted.find((body) => body.includes(mid)));
    } finally {
      await serve.stop();
      await stub.close();
    }
  });

  it('refuses a destination the relay may not reach, in the option’s words (exit 2)', async () => {
    const r = await igPush(['serve', '--port', '0', '--data-dir', join(dir, 'data-plain'), '--forward-to', 'http://example.com/webhook']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ig-push: --forward-to must be https://, or http:// to a loopback address (127.0.0.1, localhost, [::1])\n');
    const both = await igPush(['serve', '--port', '0', '--config', 'x.json', '--forward-to', 'http://127.0.0.1:1/webhook']);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('--forward-to runs without --config') });
  });
});

/** The status of GET /healthz asked with another Host header (fetch cannot set Host; node:http can). */
function hostAnswer(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/healthz`, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject).end();
  });
}
