// What the relay needs of the store it forwards from, one implementation per backend: the outbox on it,
// and what to tell the store when no destination is configured. The store opener (store/open-store.ts)
// picks one with the inbox, so the relay never asks which backend it runs on.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Destination } from './destinations.js';
import type { Outbox } from './outbox.js';
import { PostgresOutbox, type PostgresOutboxOptions } from './postgres-outbox.js';
import { reportHeld } from './report-held.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { hasRelaySchema } from './sqlite-relay-schema.js';
import { ThreadedOutbox } from './threaded-outbox.js';

export interface RelayStore {
  /** The outbox on this store, syncing these destinations; opened by its first open() (start-relay.ts). */
  openOutbox(destinations: Destination[], logger: Logger): Outbox;
  /**
   * No destination is configured. SQLite: a store that once had some is told it has none, so nothing
   * waits on them (their open forwards are kept, held, and the start says so). PostgreSQL: nothing, the
   * destinations are shared and the instances that have them keep them.
   */
  withoutDestinations(logger: Logger): void;
}

/** The embedded store's relay: its outbox in a thread of its own, on the inbox's file. */
export function sqliteRelayStore(file: string): RelayStore {
  return {
    openOutbox: (destinations) => new ThreadedOutbox({ file, destinations }),
    withoutDestinations(logger) {
      if (!existsSync(file)) return;
      const db = new Database(file);
      try {
        if (!hasRelaySchema(db)) return;
        const outbox = new SqliteOutbox(file, []);
        // SqliteOutbox answers synchronously: the report is written before the server listens.
        void reportHeld(outbox, logger, false).finally(() => void outbox.close());
      } finally {
        db.close();
      }
    },
  };
}

/** The shared PostgreSQL store's relay: its tables are the inbox's migrations, applied by ensureSchema. */
export function postgresRelayStore(options: Omit<PostgresOutboxOptions, 'destinations' | 'logger'>): RelayStore {
  return {
    openOutbox: (destinations, logger) => new PostgresOutbox({ ...options, destinations, logger }),
    withoutDestinations() {},
  };
}
