// Chooses the inbox store: PostgreSQL when a database URL is given, else the embedded SQLite file.
import { resolve } from 'node:path';
import type { Inbox } from './inbox.js';
import type { BatchObserver } from './turn-batch.js';
import type { StoreLogger } from './store-health.js';
import { PostgresInbox } from './postgres-inbox.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { STORE_FILE } from './sqlite-schema.js';

export interface OpenInboxOptions {
  /** postgres://… selects the shared PostgreSQL store. */
  databaseUrl?: string;
  /** Connections each instance holds to PostgreSQL. */
  poolSize?: number;
  /** SQLite reader threads, or PostgreSQL read connections per instance. */
  readPoolSize?: number;
  /** PostgreSQL's statement_timeout for reads (ms). */
  readStatementTimeoutMs?: number;
  /** Folder of the embedded store. */
  dataDir: string;
  onIdleError?: (err: Error) => void;
  /** Told about each batch the store writes (server/metrics/). */
  observer?: BatchObserver;
  /** Store failures are logged here, once per cause. */
  logger?: StoreLogger;
}

export function openInbox(options: OpenInboxOptions): Inbox {
  if (options.databaseUrl) {
    return new PostgresInbox({
      connectionString: options.databaseUrl,
      poolSize: options.poolSize,
      readPoolSize: options.readPoolSize,
      readStatementTimeoutMs: options.readStatementTimeoutMs,
      onIdleError: options.onIdleError,
      observer: options.observer,
      logger: options.logger,
    });
  }
  return new SqliteInbox({ file: resolve(options.dataDir, STORE_FILE), readThreads: options.readPoolSize, observer: options.observer, logger: options.logger });
}
