// The read side's bounds, as the environment sets them (main.ts passes the environment in): a page's
// byte budget, how many searches run at once, how many read connections (SQLite reader threads or
// PostgreSQL read connections) there are, and how long a PostgreSQL read statement may run.
import { ConfigError } from '../run/config.js';
import { DEFAULT_PAGE_MAX_BYTES } from '../inbox/inbox.js';

export interface ReadLimits {
  /** PAGE_MAX_BYTES: a page's (and a feed backlog's) byte budget. */
  pageMaxBytes: number;
  /** SEARCH_CONCURRENCY: searches (requests with `q`) running at once; one more gets 503. */
  searchConcurrency: number;
  /** READ_POOL_SIZE: SQLite reader threads, or PostgreSQL read connections per instance. */
  readPoolSize: number;
  /** READ_STATEMENT_TIMEOUT: PostgreSQL's statement_timeout for reads (ms). */
  readStatementTimeoutMs: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  pageMaxBytes: DEFAULT_PAGE_MAX_BYTES,
  searchConcurrency: 1,
  readPoolSize: 2,
  readStatementTimeoutMs: 5000,
};

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 * 1024, mib: 1024 * 1024 };
const MS_UNITS: Record<string, number> = { ms: 1, s: 1000 };

/** A whole number above 0 (and at most `max`), optionally with a unit from `units`. */
function positive(env: Record<string, string | undefined>, name: string, units: Record<string, number>, fallback: number, max: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? units[(m[2] || Object.keys(units)[0]!).toLowerCase()] : undefined;
  const value = m && unit ? Number(m[1]) * unit : NaN;
  if (!(Number.isSafeInteger(value) && value > 0 && value <= max)) {
    const unitNames = Object.keys(units).filter(Boolean);
    throw new ConfigError(`${name} "${text}" must be a whole number above 0 and at most ${max}${unitNames.length ? ` (${unitNames[0]}), or with a unit: ${unitNames.join(', ')}` : ''}`);
  }
  return value;
}

export function readLimits(env: Record<string, string | undefined>): ReadLimits {
  return {
    pageMaxBytes: positive(env, 'PAGE_MAX_BYTES', SIZE_UNITS, DEFAULT_READ_LIMITS.pageMaxBytes, 1024 * 1024 * 1024),
    searchConcurrency: positive(env, 'SEARCH_CONCURRENCY', { '': 1 }, DEFAULT_READ_LIMITS.searchConcurrency, 64),
    readPoolSize: positive(env, 'READ_POOL_SIZE', { '': 1 }, DEFAULT_READ_LIMITS.readPoolSize, 64),
    readStatementTimeoutMs: positive(env, 'READ_STATEMENT_TIMEOUT', MS_UNITS, DEFAULT_READ_LIMITS.readStatementTimeoutMs, 3_600_000),
  };
}
