// Every setting in the one grammar, with its cases derived from the declaration (server/run/settings.ts):
// each duration setting takes 500ms, 10s, 5m, 1h, 3d and bare milliseconds within its bounds and refuses
// them, naming itself, past them; the check command and serve() refuse a bad value of every setting.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT } from '../../server/app.js';
import { parseCommandLine, USAGE } from '../../server/run/command-line.js';
import { ConfigError, parseConfig } from '../../server/run/config.js';
import { preflightSettings } from '../../server/run/preflight.js';
import { durationWords, parseDuration, parseSize, parseWhole } from '../../server/run/setting-grammar.js';
import { CONFIG_SETTINGS, fromEnv, readSettings, SETTINGS, type SettingDeclaration, type SettingKind } from '../../server/run/settings.js';
import { serve } from '../../server/serve.js';
import { refusal } from '../support/refusal.js';

/** The forms every duration setting takes, with the milliseconds each stands for. */
const DURATIONS: [string, number][] = [
  ['500ms', 500],
  ['10s', 10_000],
  ['5m', 300_000],
  ['1h', 3_600_000],
  ['3d', 259_200_000],
  ['1500', 1500],
  [' 2 H ', 7_200_000],
  ['1W', 604_800_000],
];

const byKind = (kind: SettingKind) => (Object.entries(SETTINGS) as [string, SettingDeclaration][]).filter(([, d]) => d.kind === kind);
const durationSettings = byKind('duration');
const configDurations = Object.entries(CONFIG_SETTINGS) as [string, SettingDeclaration][];

describe('every duration setting, from the declaration', () => {
  const cases = durationSettings.flatMap(([name, d]) => DURATIONS.map(([text, ms]) => [name, text, ms, d.bounds!] as const));

  it.each(cases)('%s=%j: taken as its milliseconds within bounds, else refused naming the setting', (name, text, ms, bounds) => {
    const read = () => fromEnv({ [name]: text }, name as keyof typeof SETTINGS);
    if (ms >= bounds.min && ms <= bounds.max) expect(read()).toBe(ms);
    else expect(refusal(read)).toBe(`${name} "${text}" must be above 0 and at most ${durationWords(bounds.max)} (e.g. ${bounds.example})`);
  });

  it.each(durationSettings)('%s: its upper bound is taken and one millisecond past it refused, naming it and an example', (name, d) => {
    const { max, example } = d.bounds!;
    expect(fromEnv({ [name]: String(max) }, name as keyof typeof SETTINGS)).toBe(max);
    expect(refusal(() => fromEnv({ [name]: String(max + 1) }, name as keyof typeof SETTINGS))).toMatch(new RegExp(`^${name} "${max + 1}" must be .* \\(e\\.g\\. ${example}\\)$`));
    for (const bad of ['0', '-5s', '1.5s', '5 minutes', '5x', 's']) expect(refusal(() => fromEnv({ [name]: bad }, name as keyof typeof SETTINGS)), bad).toMatch(new RegExp(`^${name} "${bad.replace('.', '\\.')}" `));
  });

  it.each(configDurations.flatMap(([key, d]) => DURATIONS.map(([text, ms]) => [key, text, ms, d.bounds!] as const)))(
    'a destination’s %s %j: taken as its milliseconds within bounds, else refused naming where it is',
    (key, text, ms, bounds) => {
      const doc = (value: unknown) => JSON.stringify({ channels: [{ id: 'a', destinations: [{ url: 'https://x.example/', [key]: value }] }] });
      const field = key === 'timeout' ? 'timeoutMs' : 'maxAgeMs';
      if (ms >= bounds.min && ms <= bounds.max) expect(parseConfig(doc(text)).destinations![0]![field]).toBe(ms);
      else expect(refusal(() => parseConfig(doc(text)))).toMatch(new RegExp(`^/channels/0/destinations/0/${key} "`));
      expect(refusal(() => parseConfig(doc(`${bounds.max + 1}`)))).toMatch(new RegExp(`^/channels/0/destinations/0/${key} "${bounds.max + 1}" must be above 0 and at most`));
      expect(refusal(() => parseConfig(doc('10 seconds')))).toMatch(new RegExp(`^/channels/0/destinations/0/${key} "10 seconds" is not a duration`));
    },
  );
});

describe('what was taken before is taken alike', () => {
  it('reads the forms each parser took before the one grammar, with the same meaning', () => {
    const ms = (name: keyof typeof SETTINGS, text: string) => fromEnv({ [name]: text }, name);
    expect([ms('REQUEST_TIMEOUT', '30s'), ms('REQUEST_TIMEOUT', '500ms'), ms('REQUEST_TIMEOUT', '2m'), ms('REQUEST_TIMEOUT', ' 750 '), ms('IDLE_TIMEOUT', '5 MS')]).toEqual([30_000, 500, 120_000, 750, 5]);
    expect([ms('RETENTION', '30d'), ms('RETENTION', ' 90m '), ms('RETENTION', '2W'), ms('RETENTION', '45s')]).toEqual([30 * 86_400_000, 5_400_000, 14 * 86_400_000, 45_000]);
    expect([ms('READ_STATEMENT_TIMEOUT', '750'), ms('READ_STATEMENT_TIMEOUT', '2s')]).toEqual([750, 2000]);
    expect([ms('BODY_LIMIT', '1048576'), ms('BODY_LIMIT', '512kb'), ms('BODY_LIMIT', '2MiB'), ms('BODY_LIMIT', '1 mb'), ms('BODY_LIMIT', '0'), ms('PAGE_MAX_BYTES', '7B')]).toEqual([1048576, 524288, 2097152, 1048576, 0, 7]);
    expect([ms('MAX_CONNECTIONS', ' 16 '), ms('DATABASE_POOL_SIZE', '4'), ms('PORT', '0'), ms('METRICS_PORT', '65535'), ms('WAIT_FOR_STORE', 'YES')]).toEqual([16, 4, 0, 65535, true]);
    const destination = parseConfig(JSON.stringify({ channels: [{ id: 'a', destinations: [{ url: 'https://x.example/', timeout: 2500, maxAge: '72h' }] }] })).destinations![0]!;
    expect([destination.timeoutMs, destination.maxAgeMs]).toEqual([2500, 259_200_000]);
  });

  it('reads sizes up to gigabytes and whole numbers, and refuses signs, fractions and exponents', () => {
    const bounds = { min: 1, max: 2 * 1024 ** 3, example: '4mb' };
    expect([parseSize('S', '1gb', bounds), parseSize('S', '2GiB', bounds), parseSize('S', ' 3 kib ', bounds)]).toEqual([1024 ** 3, 2 * 1024 ** 3, 3072]);
    for (const bad of ['-1', '1.5mb', '1e3', '2tb', 'mb', '']) expect(refusal(() => parseSize('S', bad, bounds)), bad).toMatch(/^S ".*" is not a size \(e\.g\. 4mb; /);
    expect(refusal(() => parseSize('S', '3gb', bounds))).toBe('S "3gb" must be above 0 and at most 2 GiB (e.g. 4mb)');
    expect(refusal(() => parseWhole('N', '1e3', { min: 1, max: 9, example: '4' }))).toBe('N "1e3" is not a positive whole number (e.g. 4)');
    expect(refusal(() => parseWhole('N', '10', { min: 2, max: 9, example: '4' }))).toBe('N "10" must be at least 2 and at most 9 (e.g. 4)');
    expect(refusal(() => parseDuration('D', '30s', { min: 60_000, max: 86_400_000, example: '1h' }))).toBe('D "30s" must be at least 1 minute and at most 24 hours (e.g. 1h)');
  });
});

describe('a bad value of any setting stops the check and the server, naming it', () => {
  const bad: Partial<Record<SettingKind, string>> = { duration: 'soon', size: 'lots', whole: 'many', port: 'x', switch: 'maybe' };
  const checked = (Object.entries(SETTINGS) as [string, SettingDeclaration][]).filter(([, d]) => bad[d.kind] !== undefined);

  it('the declared defaults are the code’s', () => {
    expect(SETTINGS.BODY_LIMIT.default).toBe(DEFAULT_BODY_LIMIT);
    expect(readSettings({})).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: './data', bodyLimit: DEFAULT_BODY_LIMIT, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, waitForStore: false, validateResponses: true });
    expect(readSettings({ REQUEST_TIMEOUT: '5s' }).headersTimeoutMs).toBe(5000);
  });

  it.each(checked)('check: %s', (name, d) => {
    expect(refusal(() => preflightSettings({}, { [name]: bad[d.kind] }))).toMatch(new RegExp(`^${name} "${bad[d.kind]}" is not`));
  });

  it.each(checked)('serve(): %s', async (name, d) => {
    // The port option would win over PORT, so it is left out where PORT is the setting under test.
    const started = serve({ port: name === 'PORT' ? undefined : 0, dataDir: mkdtempSync(join(tmpdir(), 'ipk-settings-')), env: { LOG_LEVEL: 'silent', [name]: bad[d.kind] } });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(new RegExp(`^${name} "${bad[d.kind]}" is not`));
  });

  it('keeps the checks between settings: headers within the request time, idle past the feed’s keep-alive', () => {
    expect(refusal(() => readSettings({ REQUEST_TIMEOUT: '5s', HEADERS_TIMEOUT: '6s' }))).toBe('HEADERS_TIMEOUT (6000 ms) must not be longer than REQUEST_TIMEOUT (5000 ms)');
    expect(refusal(() => preflightSettings({}, { IDLE_TIMEOUT: '15s' }))).toMatch(/^IDLE_TIMEOUT "15s" must be longer than the live feed's 15 s keep-alive/);
    expect(readSettings({ REQUEST_TIMEOUT: '1h', HEADERS_TIMEOUT: '1h', IDLE_TIMEOUT: '1d' })).toMatchObject({ requestTimeoutMs: 3_600_000, headersTimeoutMs: 3_600_000 });
  });
});

describe('the command line, from the declaration', () => {
  const flagged = (Object.entries(SETTINGS) as [string, SettingDeclaration][]).filter(([, d]) => d.flag !== undefined);

  it.each(flagged)('%s: its flag is an option of the server command, shown in --help beside the variable', (name, d) => {
    expect(USAGE).toMatch(new RegExp(`${d.flag} <[^>]+>.*env ${name}\\b`));
    const value = d.kind === 'port' ? '0' : 'x';
    const parsed = parseCommandLine([d.flag!, value]);
    expect(parsed.action).toBe('serve');
  });
});
