// Every value the configuration file can hold, at and past its limits: what is taken, and that what is
// refused is refused with a ConfigError naming the field (config.ts). Starting the server with a bad
// file is in config.test.ts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../server/run/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ipk-config-values-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const parse = (doc: unknown, env: Record<string, string | undefined> = {}) => parseConfig(JSON.stringify(doc), env);
/** The ConfigError's message for a refused document (fails the test if it is taken or throws something else). */
const refusal = (doc: unknown, env: Record<string, string | undefined> = {}): string => {
  try {
    parseConfig(typeof doc === 'string' ? doc : JSON.stringify(doc), env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error(`taken: ${JSON.stringify(doc)}`);
};

describe('channels', () => {
  it('takes channel IDs of 1 to 128 characters from A-Z, a-z, 0-9 and ._~-', () => {
    const ids = ['a', 'A.b_c~d-9', 'x'.repeat(128)];
    expect(parse({ channels: ids.map((id) => ({ id })) }).channels.map((c) => c.id)).toEqual(ids);
  });

  it.each([
    ['empty', ''],
    ['129 characters long', 'x'.repeat(129)],
    ['with a space', 'a b'],
    ['with a slash', 'a/b'],
    ['with a non-ASCII letter', 'café'],
    ['with a trailing newline', 'a\n'],
  ])('refuses a channel ID %s, naming /channels/i/id', (_what, id) => {
    expect(refusal({ channels: [{ id: 'ok' }, { id }] })).toMatch(/^\/channels\/1\/id must match pattern/);
  });

  it('refuses a channel ID that is not a string, or a channel without one', () => {
    expect(refusal({ channels: [{ id: 5 }] })).toMatch(/^\/channels\/0\/id must be string/);
    expect(refusal({ channels: [{ accountId: '1' }] })).toMatch(/^\/channels\/0 must have required property 'id'/);
  });

  it('takes account IDs of 1 to 128 characters and refuses longer or empty ones, naming /channels/i/accountId', () => {
    expect(parse({ channels: [{ id: 'a', accountId: '1' }, { id: 'b', accountId: '9'.repeat(128) }] }).channels.map((c) => c.accountId)).toEqual(['1', '9'.repeat(128)]);
    expect(refusal({ channels: [{ id: 'a', accountId: '' }] })).toMatch(/^\/channels\/0\/accountId must NOT have fewer than 1 characters/);
    expect(refusal({ channels: [{ id: 'a', accountId: '9'.repeat(129) }] })).toMatch(/^\/channels\/0\/accountId must NOT have more than 128 characters/);
    expect(refusal({ channels: [{ id: 'a', accountId: 17841400000000000 }] })).toMatch(/^\/channels\/0\/accountId must be string/);
  });

  it('takes any number of channels without an account ID, each unset', () => {
    const c = parse({ channels: [{ id: 'a' }, { id: 'b' }, { id: 'c', accountId: '1' }] });
    expect(c.channels.map((x) => x.accountId)).toEqual([undefined, undefined, '1']);
  });

  it('names the channel whose ID or account ID repeats an earlier one', () => {
    expect(refusal({ channels: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] })).toBe('/channels/2/id: channel ID "a" is used twice');
    expect(refusal({ channels: [{ id: 'a', accountId: '7' }, { id: 'b', accountId: '8' }, { id: 'c', accountId: '7' }] })).toBe('/channels/2/accountId: account ID "7" is used by two channels');
  });

  it('keeps enabled as given and defaults it to true; refuses anything but a boolean', () => {
    expect(parse({ channels: [{ id: 'a', enabled: false }, { id: 'b', enabled: true }, { id: 'c' }] }).channels.map((c) => c.enabled)).toEqual([false, true, true]);
    for (const enabled of ['false', 0, null]) expect(refusal({ channels: [{ id: 'a', enabled }] })).toMatch(/^\/channels\/0\/enabled must be boolean/);
  });

  it('refuses a channel with a key it does not know, and channels that are not a list of objects', () => {
    expect(refusal({ channels: [{ id: 'a', secret: 'x' }] })).toMatch(/^\/channels\/0 has an unknown key "secret"/);
    expect(refusal({ channels: { id: 'a' } })).toMatch(/^\/channels must be array/);
    expect(refusal({ channels: ['a'] })).toMatch(/^\/channels\/0 must be object/);
  });

  it('takes an empty channel list and a $schema reference', () => {
    expect(parse({ $schema: './config.schema.json', channels: [] })).toEqual({ channels: [], inboxToken: undefined, databaseUrl: undefined });
    expect(refusal({ $schema: 1, channels: [] })).toMatch(/^\/\$schema must be string/);
  });
});

describe('a mistyped key', () => {
  it('names the key, the closest allowed one and every allowed key, wherever it is', () => {
    expect(refusal({ channels: [{ id: 'a', appSecert: 'x' }] })).toBe(
      '/channels/0 has an unknown key "appSecert" (did you mean "appSecret"? allowed: id, accountId, appSecret, verifyToken, enabled, destinations)',
    );
    expect(refusal({ chanels: [] })).toMatch(/^\/ must have required property 'channels'; \/ has an unknown key "chanels" \(did you mean "channels"\?/);
    expect(refusal({ channels: [{ id: 'a', VerifyTokn: 'x' }] })).toMatch(/unknown key "VerifyTokn" \(did you mean "verifyToken"\?/);
    expect(refusal({ channels: [{ id: 'a', accountid: '1' }] })).toMatch(/unknown key "accountid" \(did you mean "accountId"\?/);
  });
});

describe('the document', () => {
  it('refuses text that is not JSON, saying where', () => {
    expect(refusal('{"channels": [')).toMatch(/^not valid JSON: .*JSON/);
    expect(refusal('')).toMatch(/^not valid JSON: /);
  });

  it('names the document itself as / when the problem is at its top', () => {
    expect(refusal({})).toBe("/ must have required property 'channels'");
    expect(refusal([])).toBe('/ must be object');
    expect(refusal({ channels: [], inboxTokn: 'x' })).toBe('/ has an unknown key "inboxTokn" (did you mean "inboxToken"? allowed: channels, inboxToken, databaseUrl, metricsToken, adminToken)');
  });

  it('lists at most five problems, the first ones, separated by semicolons', () => {
    const channels = Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, enabled: 'yes' }));
    const message = refusal({ channels });
    expect(message.split('; ')).toEqual([0, 1, 2, 3, 4].map((i) => `/channels/${i}/enabled must be boolean`));
  });
});

describe('secrets', () => {
  const fields = [
    ['/channels/0/appSecret', (s: unknown) => ({ channels: [{ id: 'a', appSecret: s }] }), (c: ReturnType<typeof parseConfig>) => c.channels[0]!.appSecret],
    ['/channels/0/verifyToken', (s: unknown) => ({ channels: [{ id: 'a', verifyToken: s }] }), (c: ReturnType<typeof parseConfig>) => c.channels[0]!.verifyToken],
    ['/inboxToken', (s: unknown) => ({ channels: [], inboxToken: s }), (c: ReturnType<typeof parseConfig>) => c.inboxToken],
    ['/databaseUrl', (s: unknown) => ({ channels: [], databaseUrl: s }), (c: ReturnType<typeof parseConfig>) => c.databaseUrl],
    ['/metricsToken', (s: unknown) => ({ channels: [], metricsToken: s }), (c: ReturnType<typeof parseConfig>) => c.metricsToken],
    ['/adminToken', (s: unknown) => ({ channels: [], adminToken: s }), (c: ReturnType<typeof parseConfig>) => c.adminToken],
  ] as const;

  describe.each(fields)('%s', (where, doc, read) => {
    it('is taken inline, from an environment variable or from a file with its surrounding whitespace trimmed', () => {
      expect(read(parse(doc('inline value')))).toBe('inline value');
      expect(read(parse(doc({ env: 'SECRET_VALUE' }), { SECRET_VALUE: ' from env ' }))).toBe(' from env ');
      expect(read(parse(doc({ file: file('secret.txt', '\n  from a file \n\n') })))).toBe('from a file');
    });

    it('is unset when not given', () => {
      expect(read(parse(doc(undefined)))).toBeUndefined();
    });

    it('refuses an environment variable that is unset or empty, naming the field and the variable', () => {
      expect(refusal(doc({ env: 'NOT_SET_ANYWHERE' }), {})).toBe(`${where}: environment variable NOT_SET_ANYWHERE is not set`);
      expect(refusal(doc({ env: 'SET_BUT_EMPTY' }), { SET_BUT_EMPTY: '' })).toBe(`${where}: environment variable SET_BUT_EMPTY is not set`);
    });

    it('refuses a file it cannot read, naming the field, the file and why', () => {
      const missing = join(dir, 'no-such-secret');
      expect(refusal(doc({ file: missing }))).toBe(`${where}: cannot read secret file ${missing} (ENOENT)`);
      const folder = join(dir, 'a-folder');
      mkdirSync(folder, { recursive: true });
      expect(refusal(doc({ file: folder }))).toBe(`${where}: cannot read secret file ${folder} (EISDIR)`);
    });

    it.each([
      ['an empty string', ''],
      ['an empty variable name', { env: '' }],
      ['an empty file name', { file: '' }],
      ['an object naming neither a variable nor a file', {}],
      ['both a variable and a file', { env: 'A', file: '/b' }],
      ['an unknown kind of reference', { vault: 'x' }],
      ['a number', 42],
    ])('refuses %s, naming the field', (_what, value) => {
      expect(refusal(doc(value), { A: 'set' })).toMatch(new RegExp(`^${where.replace(/\//g, '\\/')} must`));
    });
  });
});

describe('loadConfigFile', () => {
  it('reads a file and resolves its secrets', () => {
    const path = file('good.json', JSON.stringify({ channels: [{ id: 'a', appSecret: { env: 'LOADED_SECRET' } }] }));
    expect(loadConfigFile(path, { LOADED_SECRET: 's3cret' }).channels).toEqual([{ id: 'a', accountId: undefined, appSecret: 's3cret', verifyToken: undefined, enabled: true }]);
  });

  it('refuses a file it cannot read, naming the file and why', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadConfigFile(missing, {})).toThrow(ConfigError);
    expect(() => loadConfigFile(missing, {})).toThrow(`cannot read ${missing} (ENOENT)`);
  });

  it('names the file before each problem in it', () => {
    const path = file('bad.json', JSON.stringify({ channels: [{ id: 'a', verifyToken: { env: 'NOT_SET_ANYWHERE' } }] }));
    expect(() => loadConfigFile(path, {})).toThrow(ConfigError);
    expect(() => loadConfigFile(path, {})).toThrow(`${path}: /channels/0/verifyToken: environment variable NOT_SET_ANYWHERE is not set`);
  });
});
