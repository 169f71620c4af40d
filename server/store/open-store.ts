// Chooses the store once, from the settings: PostgreSQL when a database URL is given, else the embedded
// SQLite file in the data directory (taken with its lock first: one server per data directory). Hands
// out everything that lives on it (the inbox with its writer and readers, and what the relay needs to
// open its outbox there) so nothing else ever asks which backend it runs on. A third store is one more
// branch here, its inbox in server/inbox/ and its relay store in server/relay/relay-stores.ts.
import { resolve } from 'node:path';
import { lockDataDir } from '../inbox/data-dir-lock.js';
import type { Inbox } from '../inbox/inbox.js';
import { PostgresInbox } from '../inbox/postgres-inbox.js';
import { SqliteInbox } from '../inbox/sqlite-inbox.js';
import { STORE_FILE } from '../inbox/sqlite-schema.js';
import type { StoreLogger } from '../inbox/store-health.js';
import type { BatchObserver } from '../inbox/turn-batch.js';
import { postgresRelayStore, sqliteRelayStore, type RelayStore } from '../relay/relay-stores.js';

export interface OpenStoreOptions {
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
  /** A PostgreSQL connection dropped while idle (the inbox's pool, or the relay's: `which` says). */
  onIdleError?: (err: Error, which: 'inbox' | 'relay') => void;
  /** Told about each batch the store writes (server/metrics/). */
  observer?: BatchObserver;
  /** Store failures are logged here, once per cause. */
  logger?: StoreLogger;
}

export interface Store {
  /** For the start's log line. */
  backend: 'sqlite' | 'postgresql';
  /** Writes, and the reads (SQLite's reader threads, PostgreSQL's read pool). */
  inbox: Inbox;
  /** What the relay opens its outbox with (relay/start-relay.ts). */
  relay: RelayStore;
  /** Lets go of what opening took beyond the inbox (the data directory's lock); after inbox.close(). */
  release(): void;
}

export function openStore(options: OpenStoreOptions): Store {
  const { databaseUrl, onIdleError } = options;
  if (databaseUrl) {
    const inbox = new PostgresInbox({
      connectionString: databaseUrl,
      poolSize: options.poolSize,
      readPoolSize: options.readPoolSize,
      readStatementTimeoutMs: options.readStatementTimeoutMs,
      onIdleError: onIdleError && ((err) => onIdleError(err, 'inbox')),
      observer: options.observer,
      logger: options.logger,
    });
    // PostgreSQL is shared by design: no lock; the relay's tables are the inbox's migrations.
    const relay = postgresRelayStore({ connectionString: databaseUrl, ensureSchema: () => inbox.ensureSchema(), onIdleError: onIdleError && ((err) => onIdleError(err, 'relay')) });
    return { backend: 'postgresql', inbox, relay, release() {} };
  }
  // One server per SQLite data dir, taken before the store opens.
  const lock = lockDataDir(options.dataDir);
  const file = resolve(options.dataDir, STORE_FILE);
  try {
    const inbox = new SqliteInbox({ file, readThreads: options.readPoolSize, observer: options.observer, logger: options.logger });
    return { backend: 'sqlite', inbox, relay: sqliteRelayStore(file), release: () => lock.release() };
  } catch (err) {
    lock.release();
    throw err;
  }
}
