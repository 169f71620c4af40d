// The one grammar of settings, function by function (server/run/setting-grammar.ts): how a duration and
// a size are said back in a refusal, the bounds' words, ports and switches. Each setting read through
// it, from env, flags and the config file, is in settings.test.ts.
import { describe, expect, it } from 'vitest';
import { durationWords, parseDuration, parsePort, parseSize, parseSwitch, parseWhole, sizeWords } from '../../server/run/setting-grammar.js';
import { refusal } from '../support/refusal.js';

describe('durations in words', () => {
  it.each([
    [86_400_000, '24 hours'],
    [1_209_600_000, '2 weeks'],
    [604_800_000, '1 week'],
    [172_800_000, '2 days'],
    [3_600_000, '1 hour'],
    [5_400_000, '90 minutes'],
    [60_000, '1 minute'],
    [90_000, '90 s'],
    [5000, '5 s'],
    [1000, '1 s'],
    [1500, '1500 ms'],
    [250, '250 ms'],
    [0, '0 ms'],
  ])('says %i ms as "%s"', (ms, words) => {
    expect(durationWords(ms)).toBe(words);
  });
});

describe('sizes in words', () => {
  it.each([
    [1024 ** 3, '1 GiB'],
    [3 * 1024 ** 3, '3 GiB'],
    [2 * 1024 ** 2, '2 MiB'],
    [1024 ** 2 + 1024, '1025 KiB'],
    [512 * 1024, '512 KiB'],
    [1024, '1 KiB'],
    [1536, '1536 bytes'],
    [1000, '1000 bytes'],
    [0, '0 bytes'],
  ])('says %i bytes as "%s"', (bytes, words) => {
    expect(sizeWords(bytes)).toBe(words);
  });
});

describe('bounds', () => {
  it('says "above 0" for a lowest value of 1, else the lowest value in the setting’s own words', () => {
    expect(refusal(() => parseDuration('T', '0', { min: 1, max: 60_000, example: '5s' }))).toBe('T "0" must be above 0 and at most 1 minute (e.g. 5s)');
    expect(refusal(() => parseDuration('T', '10ms', { min: 1000, max: 3_600_000, example: '5s' }))).toBe('T "10ms" must be at least 1 s and at most 1 hour (e.g. 5s)');
    expect(refusal(() => parseSize('B', '2mb', { min: 1024, max: 1024 ** 2, example: '512kb' }))).toBe('B "2mb" must be at least 1 KiB and at most 1 MiB (e.g. 512kb)');
    expect(refusal(() => parseSize('B', 'lots', { min: 1, max: 1024, example: '512' }))).toBe('B "lots" is not a size (e.g. 512; 1048576, 512kb, 2mb)');
  });

  it('takes a value at either bound', () => {
    expect(parseDuration('T', '1s', { min: 1000, max: 2000, example: '1s' })).toBe(1000);
    expect(parseDuration('T', '2000', { min: 1000, max: 2000, example: '1s' })).toBe(2000);
  });
});

describe('whole numbers', () => {
  it('asks for a positive whole number only when 0 is not allowed', () => {
    expect(refusal(() => parseWhole('N', 'x', { min: 1, max: 9, example: '4' }))).toBe('N "x" is not a positive whole number (e.g. 4)');
    expect(refusal(() => parseWhole('N', 'x', { min: 0, max: 9, example: '4' }))).toBe('N "x" is not a whole number (e.g. 4)');
    expect(parseWhole('N', ' 0 ', { min: 0, max: 9, example: '4' })).toBe(0);
  });
});

describe('ports', () => {
  it('takes 0 to 65535, with spaces around it', () => {
    expect([parsePort('P', '0'), parsePort('P', ' 8080 '), parsePort('P', '65535')]).toEqual([0, 8080, 65535]);
  });

  it.each(['65536', '-1', '80.5', 'http', '', '123456'])('refuses %j, saying what a port is', (text) => {
    expect(refusal(() => parsePort('PORT', text))).toBe(`PORT "${text}" is not a port (a whole number from 0 to 65535; 0 picks a free one)`);
  });
});

describe('switches', () => {
  it.each(['true', '1', 'yes', 'TRUE', ' Yes '])('reads %j as on', (text) => {
    expect(parseSwitch('S', text)).toBe(true);
  });

  it.each(['false', '0', 'no', 'False', ' NO '])('reads %j as off', (text) => {
    expect(parseSwitch('S', text)).toBe(false);
  });

  it.each(['maybe', '', 'on', '2'])('refuses %j', (text) => {
    expect(refusal(() => parseSwitch('S', text))).toBe(`S "${text}" is not true or false`);
  });
});
