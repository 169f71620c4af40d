// The open sandbox answers only requests addressed to this machine's loopback names or to the HOST it
// listens on; listening on every interface is an explicit choice and lifts the restriction.
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_HOSTS as LOOPBACK } from '../../server/http/host-check.js';
import { sandboxAllowedHosts, serve } from '../../server/serve.js';

/** GET /healthz on 127.0.0.1 with a given Host header (fetch will not let a test set it). */
function statusWithHost(url: string, host: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sandboxAllowedHosts', () => {
  it('allows the loopback names when listening on loopback', () => {
    expect(sandboxAllowedHosts('127.0.0.1')).toEqual(LOOPBACK);
    expect(sandboxAllowedHosts('localhost')).toEqual(LOOPBACK);
    expect(sandboxAllowedHosts('::1')).toEqual(LOOPBACK);
  });
  it("adds the HOST setting's own name, lower-case, IPv6 in brackets as a Host header carries it", () => {
    expect(sandboxAllowedHosts('Sandbox.Example')).toEqual([...LOOPBACK, 'sandbox.example']);
    expect(sandboxAllowedHosts('192.168.1.20')).toEqual([...LOOPBACK, '192.168.1.20']);
    expect(sandboxAllowedHosts('FD00:0:0:0:0:0:0:1')).toEqual([...LOOPBACK, '[fd00::1]']);
    expect(sandboxAllowedHosts('[fd00::1]')).toEqual([...LOOPBACK, '[fd00::1]']);
  });
  it('allows any Host when listening on every interface', () => {
    expect(sandboxAllowedHosts('0.0.0.0')).toBeUndefined();
    expect(sandboxAllowedHosts('::')).toBeUndefined();
    expect(sandboxAllowedHosts('0:0:0:0:0:0:0:0')).toBeUndefined();
  });
});

describe('serve() as an open sandbox', () => {
  const dataDir = () => join(mkdtempSync(join(tmpdir(), 'ipk-hosts-')), 'data');

  it('answers loopback Host names with any port and refuses others', async () => {
    const s = await serve({ port: 0, dataDir: dataDir(), env: { LOG_LEVEL: 'silent' } });
    try {
      expect(await statusWithHost(s.url, new URL(s.url).host)).toBe(200);
      expect(await statusWithHost(s.url, 'localhost:1234')).toBe(200);
      expect(await statusWithHost(s.url, '[::1]:8080')).toBe(200);
      expect(await statusWithHost(s.url, 'LOCALHOST')).toBe(200);
      expect(await statusWithHost(s.url, 'rebound.example:8080')).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('answers any Host when HOST is a wildcard', async () => {
    const s = await serve({ port: 0, dataDir: dataDir(), env: { LOG_LEVEL: 'silent', HOST: '0.0.0.0' } });
    try {
      expect(await statusWithHost(s.url, 'anything.example')).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('answers any Host once a configuration file is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-hosts-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ channels: [{ id: 'a', accountId: '1' }] }));
    const s = await serve({ port: 0, dataDir: dataDir(), env: { LOG_LEVEL: 'silent', CONFIG: config } });
    try {
      expect(await statusWithHost(s.url, 'push.example.com')).toBe(200);
    } finally {
      await s.close();
    }
  });
});
