// The configuration file: checked at start, secrets from env or files, bad files stop the server (exit 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/run/config.js';
import { runServerToExit, spawnServer } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'ipk-config-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('parseConfig', () => {
  it('reads channels, defaults enabled to true and resolves secrets from env and files', () => {
    const secretFile = file('secret.txt', 'from-file\n');
    const c = parseConfig(
      JSON.stringify({ channels: [{ id: 'a', accountId: '1', appSecret: { env: 'APP_SECRET_A' }, verifyToken: { file: secretFile } }], inboxToken: 'tok' }),
      { APP_SECRET_A: 'from-env' },
    );
    expect(c.channels[0]).toEqual({ id: 'a', accountId: '1', appSecret: 'from-env', verifyToken: 'from-file', enabled: true });
    expect(c.inboxToken).toBe('tok');
  });
  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['no channels', '{}', /channels/],
    ['an unknown key', '{"channels":[],"chanels":[]}', /unknown key "chanels" \(did you mean "channels"\?/],
    ['a wrong type', '{"channels":[{"id":"a","enabled":"yes"}]}', /\/channels\/0\/enabled/],
    ['a bad channel id', '{"channels":[{"id":"a b"}]}', /\/channels\/0\/id/],
    ['a duplicate channel id', '{"channels":[{"id":"a"},{"id":"a"}]}', /used twice/],
    ['a duplicate account id', '{"channels":[{"id":"a","accountId":"1"},{"id":"b","accountId":"1"}]}', /two channels/],
    ['a missing env secret', '{"channels":[{"id":"a","appSecret":{"env":"NOPE_NOT_SET"}}]}', /NOPE_NOT_SET is not set/],
    ['a missing secret file', '{"channels":[{"id":"a","appSecret":{"file":"/nonexistent/secret"}}]}', /cannot read secret file/],
  ])('refuses %s, naming the problem', (_what, text, message) => {
    expect(() => parseConfig(text, {})).toThrow(ConfigError);
    expect(() => parseConfig(text, {})).toThrow(message);
  });
});

describe('starting the server', () => {
  it('exits with code 2 and names the problem when the config file is bad', async () => {
    const { code, output } = await runServerToExit({ CONFIG: file('bad.json', '{"channels":[{"id":"a","enabled":"yes"}]}'), DATA_DIR: join(dir, 'd1') });
    expect(code).toBe(2);
    expect(output).toMatch(/configuration error: .*\/channels\/0\/enabled/);
  });
  it('exits with code 2 when the config file does not exist, also via --config', async () => {
    const { code, output } = await runServerToExit({ DATA_DIR: join(dir, 'd2') }, ['--config', join(dir, 'missing.json')]);
    expect(code).toBe(2);
    expect(output).toMatch(/cannot read .*missing\.json/);
  });
  it('warns loudly when it runs as an open sandbox, and never logs secrets', async () => {
    const sandbox = await spawnServer({ DATA_DIR: join(dir, 'd3') });
    sandbox.child.kill('SIGTERM');
    expect(await sandbox.exited).toBe(0);
    expect(sandbox.output()).toMatch(/OPEN SANDBOX/);

    const cfg = file('good.json', JSON.stringify({ channels: [{ id: 'a', accountId: '1', appSecret: 'TOP-SECRET-VALUE', verifyToken: 'VERIFY-SECRET' }], inboxToken: 'INBOX-SECRET' }));
    const s = await spawnServer({ CONFIG: cfg, DATA_DIR: join(dir, 'd4'), LOG_LEVEL: 'debug' });
    await fetch(`${s.url}/apiaccess/api/instagram/message/a?hub.mode=subscribe&hub.verify_token=VERIFY-SECRET&hub.challenge=1`);
    await fetch(`${s.url}/apiaccess/api/instagram/message/a`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=SIGVALUE' }, body: '{"entry":[{"messaging":[{"message":{"text":"PRIVATE TEXT"}}]}]}' });
    await fetch(`${s.url}/inbox/messages`, { headers: { authorization: 'Bearer INBOX-SECRET' } });
    s.child.kill('SIGTERM');
    await s.exited;
    expect(s.output()).toMatch(/"msg":"request"/);
    for (const secret of ['TOP-SECRET-VALUE', 'VERIFY-SECRET', 'INBOX-SECRET', 'SIGVALUE', 'PRIVATE TEXT']) expect(s.output()).not.toContain(secret);
  });
});
