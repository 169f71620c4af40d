// Every server setting, declared once: its env variable, command-line flag and config key, default,
// bounds and what it does. serve.ts and the check command read the environment through readSettings,
// the README's table is checked against SETTINGS, and the tests derive their cases from it.
import { DEFAULT_HTTP_LIMITS } from '../http/http-server.js';
import { DEFAULT_PAGE_MAX_BYTES } from '../inbox/inbox.js';
import { FEED_KEEP_ALIVE_MS } from '../routes/feed.js';
import { ConfigError } from './config-error.js';
import { chooseLogFormat, type LogFormat } from './pretty-log.js';
import { parseDuration, parsePort, parseSize, parseSwitch, parseWhole, type Bounds } from './setting-grammar.js';

/** How a setting's text is read: each kind is one parser of setting-grammar.ts. */
export type SettingKind = 'duration' | 'size' | 'whole' | 'port' | 'switch' | 'text';

export interface SettingDeclaration {
  /** The env variable (or, for a config-only setting, the config key's last part). */
  env?: string;
  flag?: string;
  /** Where it sits in the config file, as a JSON path with [] for any index. */
  configKey?: string;
  kind: SettingKind;
  /** The value when unset, as the code uses it (milliseconds, bytes); undefined: none. */
  default: number | string | boolean | undefined;
  /** The default as the README's configuration table writes it. */
  documentedDefault: string;
  /** For durations, sizes and whole numbers: the accepted range and an example. */
  bounds?: Bounds;
  /** Text settings where an empty value means unset (HOST= in a compose file). */
  emptyIsUnset?: boolean;
  description: string;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;
// Past 2^31 - 1 ms Node's timers fire at once; a day is already far beyond any sane HTTP limit.
const HTTP_TIMEOUT = (example: string): Bounds => ({ min: 1, max: DAY_MS, example });
const ANY_COUNT = (example: string): Bounds => ({ min: 1, max: Number.MAX_SAFE_INTEGER, example });

/** Every setting the environment or the command line gives the server, by env variable. */
export const SETTINGS = {
  PORT: { env: 'PORT', flag: '--port', kind: 'port', default: 8080, documentedDefault: '8080', description: 'port to listen on; 0 picks a free one' },
  HOST: { env: 'HOST', flag: '--host', kind: 'text', default: '127.0.0.1', documentedDefault: '127.0.0.1', emptyIsUnset: true, description: 'interface to listen on' },
  CONFIG: { env: 'CONFIG', flag: '--config', kind: 'text', default: undefined, documentedDefault: 'none (open sandbox)', emptyIsUnset: true, description: 'the configuration file (JSON)' },
  DATA_DIR: { env: 'DATA_DIR', flag: '--data-dir', kind: 'text', default: './data', documentedDefault: './data', description: 'folder of the embedded store' },
  DATABASE_URL: { env: 'DATABASE_URL', configKey: 'databaseUrl', kind: 'text', default: undefined, documentedDefault: 'none', emptyIsUnset: true, description: 'postgres://…: the shared PostgreSQL inbox instead of the embedded one' },
  DATABASE_POOL_SIZE: { env: 'DATABASE_POOL_SIZE', kind: 'whole', default: 10, documentedDefault: '10', bounds: ANY_COUNT('10'), description: "connections each instance holds to PostgreSQL for writes" },
  READ_POOL_SIZE: { env: 'READ_POOL_SIZE', kind: 'whole', default: 2, documentedDefault: '2', bounds: { min: 1, max: 64, example: '2' }, description: 'SQLite reader threads, or PostgreSQL read connections per instance' },
  READ_STATEMENT_TIMEOUT: { env: 'READ_STATEMENT_TIMEOUT', kind: 'duration', default: 5000, documentedDefault: '5s', bounds: { min: 1, max: 3_600_000, example: '5s' }, description: "PostgreSQL's statement_timeout for reads" },
  PAGE_MAX_BYTES: { env: 'PAGE_MAX_BYTES', kind: 'size', default: DEFAULT_PAGE_MAX_BYTES, documentedDefault: '4mb', bounds: { min: 1, max: 1024 ** 3, example: '4mb' }, description: "byte budget of a page of events and of a feed backlog" },
  SEARCH_CONCURRENCY: { env: 'SEARCH_CONCURRENCY', kind: 'whole', default: 1, documentedDefault: '1', bounds: { min: 1, max: 64, example: '1' }, description: 'searches running at once per server' },
  // 0 has always been taken (every body is then refused with 413). The default is app.ts's
  // DEFAULT_BODY_LIMIT (test/run/settings.test.ts holds them equal): importing app.ts here would load the app.
  BODY_LIMIT: { env: 'BODY_LIMIT', kind: 'size', default: 1024 * 1024, documentedDefault: '1mb', bounds: { min: 0, max: Number.MAX_SAFE_INTEGER, example: '1mb' }, description: 'largest body accepted' },
  HEADERS_TIMEOUT: { env: 'HEADERS_TIMEOUT', kind: 'duration', default: DEFAULT_HTTP_LIMITS.headersTimeoutMs, documentedDefault: '10s (or REQUEST_TIMEOUT if shorter)', bounds: HTTP_TIMEOUT('10s'), description: "time for a request's line and headers to arrive" },
  REQUEST_TIMEOUT: { env: 'REQUEST_TIMEOUT', kind: 'duration', default: DEFAULT_HTTP_LIMITS.requestTimeoutMs, documentedDefault: '30s', bounds: HTTP_TIMEOUT('30s'), description: 'time for a whole request, body included, to arrive' },
  IDLE_TIMEOUT: { env: 'IDLE_TIMEOUT', kind: 'duration', default: DEFAULT_HTTP_LIMITS.idleTimeoutMs, documentedDefault: '65s', bounds: HTTP_TIMEOUT('65s'), description: 'a connection with nothing sent either way this long is closed' },
  MAX_CONNECTIONS: { env: 'MAX_CONNECTIONS', kind: 'whole', default: DEFAULT_HTTP_LIMITS.maxConnections, documentedDefault: '1024', bounds: ANY_COUNT('1024'), description: 'open connections at most' },
  // A thousand years keeps "now minus the period" a valid date; nothing longer means anything.
  RETENTION: { env: 'RETENTION', kind: 'duration', default: undefined, documentedDefault: 'none', bounds: { min: 1, max: 1000 * YEAR_MS, example: '30d' }, description: 'delete stored events older than this' },
  LOG_FORMAT: { env: 'LOG_FORMAT', kind: 'text', default: undefined, documentedDefault: 'pretty on a terminal, else json', description: 'json or pretty' },
  LOG_LEVEL: { env: 'LOG_LEVEL', kind: 'text', default: 'info', documentedDefault: 'info', description: 'pino level' },
  VALIDATE_RESPONSES: { env: 'VALIDATE_RESPONSES', kind: 'text', default: 'true', documentedDefault: 'true', description: 'false skips response validation' },
  METRICS_PORT: { env: 'METRICS_PORT', kind: 'port', default: undefined, documentedDefault: 'none', description: 'serve GET /metrics on this port too' },
  METRICS_HOST: { env: 'METRICS_HOST', kind: 'text', default: '127.0.0.1', documentedDefault: '127.0.0.1', emptyIsUnset: true, description: 'where the METRICS_PORT listener binds' },
  WAIT_FOR_STORE: { env: 'WAIT_FOR_STORE', kind: 'switch', default: false, documentedDefault: 'false', description: 'start even when the store fails for good, and wait for it' },
} as const satisfies Record<string, SettingDeclaration>;

/** The config file's settings in the same grammar: a relay destination's durations. */
export const CONFIG_SETTINGS = {
  // A day at most: past 2^31 - 1 ms (24.8 days) Node's timers fire at once, so every attempt would time out.
  timeout: { configKey: 'channels[].destinations[].timeout', kind: 'duration', default: 10_000, documentedDefault: '10s', bounds: { min: 1, max: 86_400_000, example: '10s' }, description: 'per-attempt timeout of a relay destination' },
  maxAge: { configKey: 'channels[].destinations[].maxAge', kind: 'duration', default: 72 * 3_600_000, documentedDefault: '72h', bounds: { min: 1, max: YEAR_MS, example: '72h' }, description: 'an event undelivered this long after it was stored is dead' },
} as const satisfies Record<string, SettingDeclaration>;

export type SettingName = keyof typeof SETTINGS;

/** One setting's text read by its kind's parser; `name` is how the message names it. */
export function parseSetting(declaration: SettingDeclaration, name: string, text: string): number | string | boolean {
  switch (declaration.kind) {
    case 'duration':
      return parseDuration(name, text, declaration.bounds!);
    case 'size':
      return parseSize(name, text, declaration.bounds!);
    case 'whole':
      return parseWhole(name, text, declaration.bounds!);
    case 'port':
      return parsePort(name, text);
    case 'switch':
      return parseSwitch(name, text);
    case 'text':
      return text;
  }
}

type Env = Record<string, string | undefined>;

/** The setting's value from env, or its default when unset (numbers and switches: empty or blank is unset). */
export function fromEnv(env: Env, name: SettingName): number | string | boolean | undefined {
  const declaration: SettingDeclaration = SETTINGS[name];
  const text = env[name];
  const unset = text === undefined || (declaration.kind === 'text' ? declaration.emptyIsUnset && text === '' : text.trim() === '');
  return unset ? declaration.default : parseSetting(declaration, name, text);
}

/** What serve.ts and the check command run with, read from the environment. */
export interface ServerSettings {
  port: number;
  host: string;
  configPath?: string;
  dataDir: string;
  databaseUrl?: string;
  databasePoolSize: number;
  readPoolSize: number;
  readStatementTimeoutMs: number;
  pageMaxBytes: number;
  searchConcurrency: number;
  bodyLimit: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  retentionMs?: number;
  logFormat: LogFormat;
  logLevel: string;
  validateResponses: boolean;
  metricsPort?: number;
  metricsHost: string;
  waitForStore: boolean;
}

/** Values given by the caller (command-line options, serve()'s options) win, and their env is not read. */
export type SettingOverrides = Partial<Pick<ServerSettings, 'port' | 'host' | 'configPath' | 'dataDir' | 'bodyLimit' | 'logLevel' | 'logFormat' | 'waitForStore'>>;

/**
 * Every setting from env, checked: a bad one throws ConfigError naming it (exit code 2). `terminal`
 * decides LOG_FORMAT's default.
 */
export function readSettings(env: Env, overrides: SettingOverrides = {}, terminal = false): ServerSettings {
  const read = <T>(name: SettingName) => fromEnv(env, name) as T;
  const port = overrides.port ?? read<number>('PORT');
  let logFormat: LogFormat;
  try {
    logFormat = overrides.logFormat ?? chooseLogFormat(env.LOG_FORMAT, terminal);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const requestTimeoutMs = read<number>('REQUEST_TIMEOUT');
  // Unset, the headers' timeout follows a shorter request timeout rather than refusing it.
  const headersTimeoutMs = env.HEADERS_TIMEOUT?.trim() ? read<number>('HEADERS_TIMEOUT') : Math.min(SETTINGS.HEADERS_TIMEOUT.default, requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError(`HEADERS_TIMEOUT (${headersTimeoutMs} ms) must not be longer than REQUEST_TIMEOUT (${requestTimeoutMs} ms)`);
  const idleTimeoutMs = read<number>('IDLE_TIMEOUT');
  if (idleTimeoutMs <= FEED_KEEP_ALIVE_MS) throw new ConfigError(`IDLE_TIMEOUT "${env.IDLE_TIMEOUT}" must be longer than the live feed's ${FEED_KEEP_ALIVE_MS / 1000} s keep-alive, or quiet feeds are cut`);
  return {
    port,
    host: overrides.host ?? read<string>('HOST'),
    configPath: overrides.configPath ?? read<string | undefined>('CONFIG'),
    dataDir: overrides.dataDir ?? read<string>('DATA_DIR'),
    databaseUrl: read<string | undefined>('DATABASE_URL'),
    databasePoolSize: read<number>('DATABASE_POOL_SIZE'),
    readPoolSize: read<number>('READ_POOL_SIZE'),
    readStatementTimeoutMs: read<number>('READ_STATEMENT_TIMEOUT'),
    pageMaxBytes: read<number>('PAGE_MAX_BYTES'),
    searchConcurrency: read<number>('SEARCH_CONCURRENCY'),
    bodyLimit: overrides.bodyLimit ?? read<number>('BODY_LIMIT'),
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs,
    maxConnections: read<number>('MAX_CONNECTIONS'),
    retentionMs: read<number | undefined>('RETENTION'),
    logFormat,
    logLevel: overrides.logLevel ?? read<string>('LOG_LEVEL'),
    // Anything but "false" keeps validation on, as it always has.
    validateResponses: read<string>('VALIDATE_RESPONSES') !== 'false',
    metricsPort: read<number | undefined>('METRICS_PORT'),
    metricsHost: read<string>('METRICS_HOST'),
    waitForStore: overrides.waitForStore ?? read<boolean>('WAIT_FOR_STORE'),
  };
}
