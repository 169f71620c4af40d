// The one grammar every setting is written in, wherever it is read (env, command line, config file):
// durations ("500ms", "10s", "5m", "1h", "3d", "2w" or bare milliseconds) and sizes ("512kb", "2mib" or
// bare bytes), whole numbers and switches. Pure: each parser returns the value or throws ConfigError
// naming the setting, so a user learns one way to write a duration and it works everywhere.
import { ConfigError } from './config-error.js';

/** What a parsed value must lie within (inclusive), and an example shown when it does not. */
export interface Bounds {
  min: number;
  max: number;
  example: string;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
// Binary multiples under both spellings: "kb" has always meant 1024 here (BODY_LIMIT, PAGE_MAX_BYTES).
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

// Whole numbers only: a fraction of a millisecond or a byte means nothing, and "1.5h" is better said "90m".
const AMOUNT = /^\s*(\d+)\s*([a-z]*)\s*$/i;

function amount(text: string, units: Record<string, number>, bare: string): number | undefined {
  const m = AMOUNT.exec(text);
  const unit = m ? units[(m[2] || bare).toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const value = Number(m[1]) * unit;
  return Number.isSafeInteger(value) ? value : undefined;
}

const DURATION_WORDS: [number, string][] = [
  [604_800_000, 'weeks'],
  [86_400_000, 'days'],
  [3_600_000, 'hours'],
  [60_000, 'minutes'],
  [1000, 's'],
];

/** Milliseconds in words for a message: "24 hours", "90 minutes", "5 s", "250 ms". */
export function durationWords(ms: number): string {
  // A day reads better as 24 hours; longer spans in the largest unit that divides them.
  if (ms === 86_400_000) return '24 hours';
  const [unit, word] = DURATION_WORDS.find(([u]) => ms % u === 0 && ms >= u) ?? [1, 'ms'];
  // "1 hours" reads wrong; one of a unit is said in the singular.
  return ms === unit && word !== 's' ? `1 ${word.slice(0, -1)}` : `${ms / unit} ${word}`;
}

/** Bytes in words for a message: "1 GiB", "512 KiB", "1000 bytes". */
export function sizeWords(bytes: number): string {
  for (const [unit, word] of [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const) if (bytes >= unit && bytes % unit === 0) return `${bytes / unit} ${word}`;
  return `${bytes} bytes`;
}

function within(name: string, text: string, value: number, bounds: Bounds, words: (n: number) => string): number {
  if (value >= bounds.min && value <= bounds.max) return value;
  const low = bounds.min === 1 ? 'above 0' : `at least ${words(bounds.min)}`;
  throw new ConfigError(`${name} "${text}" must be ${low} and at most ${words(bounds.max)} (e.g. ${bounds.example})`);
}

/** A duration in milliseconds: "500ms", "10s", "5m", "1h", "3d", "2w" or bare milliseconds, units in any case. */
export function parseDuration(name: string, text: string, bounds: Bounds): number {
  const ms = amount(text, DURATION_UNITS, 'ms');
  if (ms === undefined) throw new ConfigError(`${name} "${text}" is not a duration (e.g. ${bounds.example}; 500ms, 10s, 5m, 1h, 3d, or milliseconds)`);
  return within(name, text, ms, bounds, durationWords);
}

/** A size in bytes: bare bytes, or "512kb", "2mb", "1gb" (also kib, mib, gib: all 1024-based). */
export function parseSize(name: string, text: string, bounds: Bounds): number {
  const bytes = amount(text, SIZE_UNITS, 'b');
  if (bytes === undefined) throw new ConfigError(`${name} "${text}" is not a size (e.g. ${bounds.example}; 1048576, 512kb, 2mb)`);
  return within(name, text, bytes, bounds, sizeWords);
}

/** A whole number within bounds: "4", " 16 "; no sign, fraction or exponent. */
export function parseWhole(name: string, text: string, bounds: Bounds): number {
  const n = amount(text, { '': 1 }, '');
  if (n === undefined) throw new ConfigError(`${name} "${text}" is not a ${bounds.min >= 1 ? 'positive ' : ''}whole number (e.g. ${bounds.example})`);
  return within(name, text, n, bounds, String);
}

/** A port: a whole number from 0 to 65535 (0 picks a free one). */
export function parsePort(name: string, text: string): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535) throw new ConfigError(`${name} "${text}" is not a port (a whole number from 0 to 65535; 0 picks a free one)`);
  return Number(text);
}

/** true/false (also 1/0, yes/no, any case) → a boolean. */
export function parseSwitch(name: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} "${text}" is not true or false`);
}
