// The read side's bounds, as the environment sets them (main.ts passes the environment in): a page's
// byte budget, how many searches run at once, how many read connections (SQLite reader threads or
// PostgreSQL read connections) there are, and how long a PostgreSQL read statement may run.
import { fromEnv, SETTINGS } from '../run/settings.js';

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
  pageMaxBytes: SETTINGS.PAGE_MAX_BYTES.default,
  searchConcurrency: SETTINGS.SEARCH_CONCURRENCY.default,
  readPoolSize: SETTINGS.READ_POOL_SIZE.default,
  readStatementTimeoutMs: SETTINGS.READ_STATEMENT_TIMEOUT.default,
};

/** The read side's settings from env, in the one grammar (run/settings.ts declares their bounds). */
export function readLimits(env: Record<string, string | undefined>): ReadLimits {
  return {
    pageMaxBytes: fromEnv(env, 'PAGE_MAX_BYTES') as number,
    searchConcurrency: fromEnv(env, 'SEARCH_CONCURRENCY') as number,
    readPoolSize: fromEnv(env, 'READ_POOL_SIZE') as number,
    readStatementTimeoutMs: fromEnv(env, 'READ_STATEMENT_TIMEOUT') as number,
  };
}
