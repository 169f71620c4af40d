// The relay's destinations as the configuration names them: where each channel's events are forwarded,
// and the delivery policy of each. The config file's schema for them and their checks live here, so
// config.ts only places them.

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
export const DESTINATION_DEFAULTS = { timeoutMs: 10_000, maxAgeMs: 72 * 3_600_000, concurrency: 4, maxEvents: 100, maxBytes: 256 * 1024 } as const;

const duration = {
  oneOf: [
    { type: 'integer', minimum: 1, maximum: 31_536_000_000 },
    { type: 'string', pattern: '^[1-9][0-9]{0,8}(ms|s|m|h|d)$' },
  ],
};

/** The JSON schema of one destination; `secret` is the schema of a secret reference. */
export function destinationSchema(secret: object): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' },
      url: { type: 'string', minLength: 1, maxLength: 2048 },
      appSecret: secret,
      enabled: { type: 'boolean' },
      timeout: duration,
      maxAge: duration,
      concurrency: { type: 'integer', minimum: 1, maximum: 256 },
      rate: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
      batch: {
        type: 'object',
        additionalProperties: false,
        properties: {
          maxEvents: { type: 'integer', minimum: 1, maximum: 1000 },
          maxBytes: { type: 'integer', minimum: 1024, maximum: 16 * 1024 * 1024 },
        },
      },
    },
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A schema-checked duration (milliseconds, or "10s", "72h") in milliseconds. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value;
  // Stryker disable next-line Regex: the schema's pattern already anchored the value at both ends
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value)!;
  return Number(m[1]) * UNITS[m[2]!]!;
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
    timeoutMs: raw.timeout === undefined ? DESTINATION_DEFAULTS.timeoutMs : durationMs(raw.timeout),
    maxAgeMs: raw.maxAge === undefined ? DESTINATION_DEFAULTS.maxAgeMs : durationMs(raw.maxAge),
    concurrency: raw.concurrency ?? DESTINATION_DEFAULTS.concurrency,
    ratePerSecond: raw.rate,
    maxEvents: raw.batch?.maxEvents ?? DESTINATION_DEFAULTS.maxEvents,
    maxBytes: raw.batch?.maxBytes ?? DESTINATION_DEFAULTS.maxBytes,
  };
}
