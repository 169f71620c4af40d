// The relay's destinations as the configuration names them: where each channel's events are forwarded,
// and the delivery policy of each. The config file's schema for them and their checks live here, so
// config.ts only places them. Durations are read in the one grammar of every setting (run/setting-grammar.ts).
import { parseDuration } from '../run/setting-grammar.js';
import { closedObject, ID_SCHEMA } from '../run/schema-parts.js';
import { CONFIG_SETTINGS } from '../run/settings.js';

/** One receiver of this contract that a channel's events are forwarded to. */
export interface Destination {
  /** Unique over the configuration; names the destination in the API, the CLI and the store. */
  id: string;
  channel: string;
  url: string;
  /** Signs what is sent (X-Hub-Signature-256); unsigned when absent. */
  appSecret?: string;
  enabled: boolean;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** An event still undelivered this long after it was stored is dead. */
  maxAgeMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  /** Attempts started per second at most; undefined is unlimited. */
  ratePerSecond?: number;
  /** Events of one account sent in one delivery at most (1: one event per delivery). */
  maxEvents: number;
  /** A delivery's body grows to this many bytes at most (an event larger than this still travels, alone). */
  maxBytes: number;
}

/**
 * Batches of up to 100 events and 256 KiB: a backlog drains in a hundredth of the deliveries, well
 * inside the 1 MiB a receiver of this contract takes by default (the reference server's body limit).
 */
export const DESTINATION_DEFAULTS = { timeoutMs: CONFIG_SETTINGS.timeout.default, maxAgeMs: CONFIG_SETTINGS.maxAge.default, concurrency: 4, maxEvents: 100, maxBytes: 256 * 1024 } as const;

/** Milliseconds as a JSON number within the setting's bounds, or any short text the grammar then reads and explains. */
const duration = (name: keyof typeof CONFIG_SETTINGS) => ({
  oneOf: [
    { type: 'integer', minimum: CONFIG_SETTINGS[name].bounds.min, maximum: CONFIG_SETTINGS[name].bounds.max },
    { type: 'string', minLength: 1, maxLength: 32 },
  ],
});

/** The JSON schema of one destination; `secret` is the schema of a secret reference. */
export function destinationSchema(secret: object): object {
  return closedObject(
    {
      id: ID_SCHEMA,
      url: { type: 'string', minLength: 1, maxLength: 2048 },
      appSecret: secret,
      enabled: { type: 'boolean' },
      timeout: duration('timeout'),
      maxAge: duration('maxAge'),
      concurrency: { type: 'integer', minimum: 1, maximum: 256 },
      rate: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
      batch: closedObject({
        maxEvents: { type: 'integer', minimum: 1, maximum: 1000 },
        maxBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024 },
      }),
    },
    ['url'],
  );
}

/** A schema-checked duration (milliseconds, or "10s", "72h", "500ms") in milliseconds; throws ConfigError. */
export function durationMs(value: number | string): number {
  return durationKey(value, 'timeout');
}

/** A destination's duration key in the one grammar, within that key's bounds; throws ConfigError naming the key. */
function durationKey(value: number | string, name: keyof typeof CONFIG_SETTINGS): number {
  return typeof value === 'number' ? value : parseDuration(name, value, CONFIG_SETTINGS[name].bounds);
}

/** A duration key's refusal as a plain Error, so config.ts prefixes where in the file it is. */
function durationField(value: number | string, name: keyof typeof CONFIG_SETTINGS): number {
  try {
    return durationKey(value, name);
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Null when the URL may be forwarded to: HTTPS anywhere, plain HTTP only on this machine's loopback. */
export function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return null;
  return 'must be https://, or http:// to a loopback address (127.0.0.1, localhost, [::1])';
}

export interface RawDestination {
  id?: string;
  url: string;
  appSecret?: unknown;
  enabled?: boolean;
  timeout?: number | string;
  maxAge?: number | string;
  concurrency?: number;
  rate?: number;
  batch?: { maxEvents?: number; maxBytes?: number };
}

/** A schema-checked destination with its defaults; throws Error naming the problem (the caller adds where). */
export function toDestination(raw: RawDestination, channel: string, index: number, appSecret: string | undefined): Destination {
  const problem = urlProblem(raw.url);
  if (problem) throw new Error(`url ${problem}`);
  return {
    id: raw.id ?? `${channel}-${index + 1}`,
    channel,
    url: raw.url,
    appSecret,
    enabled: raw.enabled ?? true,
    timeoutMs: raw.timeout === undefined ? DESTINATION_DEFAULTS.timeoutMs : durationField(raw.timeout, 'timeout'),
    maxAgeMs: raw.maxAge === undefined ? DESTINATION_DEFAULTS.maxAgeMs : durationField(raw.maxAge, 'maxAge'),
    concurrency: raw.concurrency ?? DESTINATION_DEFAULTS.concurrency,
    ratePerSecond: raw.rate,
    maxEvents: raw.batch?.maxEvents ?? DESTINATION_DEFAULTS.maxEvents,
    maxBytes: raw.batch?.maxBytes ?? DESTINATION_DEFAULTS.maxBytes,
  };
}
