// The relay's part of the configuration file: destinations per channel, with defaults, checked URLs
// and durations, secret references, unique IDs, and the admin token.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server/run/config.js';
import { durationMs, urlProblem } from '../../server/relay/destinations.js';

const parse = (doc: unknown, env: Record<string, string> = {}) => parseConfig(JSON.stringify(doc), env);
const refusal = (doc: unknown, env: Record<string, string> = {}): string => {
  try {
    parse(doc, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('taken');
};
const withDestinations = (destinations: unknown[]) => ({ channels: [{ id: 'a', destinations }] });

describe('relay configuration', () => {
  it('takes destinations with their defaults: enabled, 10 s timeout, 72 h maximum age, concurrency 4, no rate limit, batches of 100 events and 256 KiB', () => {
    const c = parse(withDestinations([{ url: 'https://cc.example/apiaccess/api/instagram/message/x' }]));
    expect(c.destinations).toEqual([
      { id: 'a-1', channel: 'a', url: 'https://cc.example/apiaccess/api/instagram/message/x', appSecret: undefined, enabled: true, timeoutMs: 10_000, maxAgeMs: 259_200_000, concurrency: 4, ratePerSecond: undefined, maxEvents: 100, maxBytes: 262_144 },
    ]);
  });

  it('takes every setting, durations as milliseconds or with a unit, and secret references', () => {
    const c = parse(
      {
        channels: [{ id: 'a', destinations: [{ id: 'cc', url: 'http://127.0.0.1:9/p', appSecret: { env: 'CC' }, enabled: false, timeout: 2500, maxAge: '2d', concurrency: 8, rate: 0.5, batch: { maxEvents: 1, maxBytes: 4096 } }] }],
        adminToken: { env: 'ADMIN' },
      },
      { CC: 'cc-secret', ADMIN: 'admin' },
    );
    expect(c.destinations![0]).toMatchObject({ id: 'cc', appSecret: 'cc-secret', enabled: false, timeoutMs: 2500, maxAgeMs: 172_800_000, concurrency: 8, ratePerSecond: 0.5, maxEvents: 1, maxBytes: 4096 });
    expect(c.adminToken).toBe('admin');
    expect(['500ms', '3s', '2m', '1h', '1d'].map(durationMs)).toEqual([500, 3000, 120_000, 3_600_000, 86_400_000]);
  });

  it('leaves destinations out for a configuration without any, as before', () => {
    expect(parse({ channels: [{ id: 'a' }] }).destinations).toBeUndefined();
  });

  it('takes HTTPS anywhere and plain HTTP only to loopback', () => {
    for (const ok of ['https://x.example/p', 'http://127.0.0.1:8080/p', 'http://localhost/p', 'http://[::1]:1/p']) expect(urlProblem(ok), ok).toBeNull();
    expect(refusal(withDestinations([{ url: 'http://cc.example/p' }]))).toMatch(/^\/channels\/0\/destinations\/0\/url must be https:\/\//);
    expect(refusal(withDestinations([{ url: 'ftp://x/p' }]))).toMatch(/url must be https/);
    expect(refusal(withDestinations([{ url: 'not a url' }]))).toMatch(/url is not an absolute URL/);
    expect(refusal(withDestinations([{ url: 'https://u:p@x.example/' }]))).toMatch(/url must not carry credentials/);
    expect(urlProblem('https://u@x.example/')).toBe('must not carry credentials');
    expect(urlProblem('https://:p@x.example/')).toBe('must not carry credentials');
    expect(urlProblem('http://127.0.0.2/p')).toMatch(/^must be https:\/\//);
    expect(urlProblem('ftp://localhost/p')).toMatch(/^must be https:\/\//);
  });

  it('refuses a duplicated destination ID, a bad duration, an unknown field and an unset secret', () => {
    expect(refusal({ channels: [{ id: 'a', destinations: [{ id: 'd', url: 'https://x/' }] }, { id: 'b', destinations: [{ id: 'd', url: 'https://y/' }] }] })).toMatch(
      /^\/channels\/1\/destinations\/0\/id: destination ID "d" is used twice/,
    );
    expect(refusal(withDestinations([{ url: 'https://x/', timeout: '10 seconds' }]))).toMatch(/timeout/);
    expect(refusal(withDestinations([{ url: 'https://x/', retries: 3 }]))).toMatch(/destinations\/0 has an unknown key "retries"/);
    expect(refusal(withDestinations([{ url: 'https://x/', concurrency: 0 }]))).toMatch(/concurrency/);
    expect(refusal(withDestinations([{ url: 'https://x/', batch: { maxEvents: 1001 } }]))).toMatch(/batch\/maxEvents/);
    expect(refusal(withDestinations([{ url: 'https://x/', batch: { maxBytes: 100 } }]))).toMatch(/batch\/maxBytes/);
    expect(refusal(withDestinations([{ url: 'https://x/', appSecret: { env: 'NOPE' } }]))).toMatch(/^\/channels\/0\/destinations\/0\/appSecret: environment variable NOPE is not set/);
  });

  // The schema is the only check of these: toDestination takes a number of milliseconds as it is.
  it('refuses a destination without a URL, a value of the wrong type, and a duration in milliseconds out of its bounds', () => {
    const at = '/channels/0/destinations/0';
    expect(refusal(withDestinations([{}]))).toBe(`${at} must have required property 'url'`);
    expect(refusal(withDestinations([{ url: 1 }]))).toBe(`${at}/url must be string`);
    expect(refusal(withDestinations([{ url: 'https://x/', enabled: 'yes' }]))).toBe(`${at}/enabled must be boolean`);
    expect(refusal(withDestinations([{ url: 'https://x/', rate: 0 }]))).toBe(`${at}/rate must be > 0`);
    expect(refusal(withDestinations([{ url: 'https://x/', rate: 'fast' }]))).toBe(`${at}/rate must be number`);
    expect(refusal(withDestinations([{ url: 'https://x/', timeout: 0 }]))).toMatch(new RegExp(`^${at}/timeout must be >= 1`));
    expect(refusal(withDestinations([{ url: 'https://x/', timeout: 86_400_001 }]))).toMatch(new RegExp(`^${at}/timeout must be <= 86400000`));
    expect(refusal(withDestinations([{ url: 'https://x/', maxAge: 1.5 }]))).toMatch(new RegExp(`^${at}/maxAge must be integer`));
    expect(parse(withDestinations([{ url: 'https://x/', timeout: 1, maxAge: 86_400_000 }])).destinations![0]).toMatchObject({ timeoutMs: 1, maxAgeMs: 86_400_000 });
  });
});
