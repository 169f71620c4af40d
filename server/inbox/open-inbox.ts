// Chooses the inbox store: PostgreSQL when a database URL is given, else the embedded SQLite file.
import { resolve } from 'node:path';
import type { Inbox } from './inbox.js';
import { PostgresInbox } from './postgres-inbox.js';
import { SqliteInbox } from './sqlite-inbox.js';

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
}

export function openInbox(options: OpenInboxOptions): Inbox {
  if (options.databaseUrl) {
    return new PostgresInbox({
      connectionString: options.databaseUrl,
      poolSize: options.poolSize,
      readPoolSize: options.readPoolSize,
      readStatementTimeoutMs: options.readStatementTimeoutMs,
      onIdleError: options.onIdleError,
    });
  }
  return new SqliteInbox({ file: resolve(options.dataDir, 'inbox.sqlite'), readThreads: options.readPoolSize });
}
