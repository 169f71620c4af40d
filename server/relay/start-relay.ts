// Wires the relay into a running server: opens the outbox beside the inbox (SQLite or PostgreSQL),
// starts the forwarder, and wakes it whenever the inbox stores events. A server without destinations
// gets none of it (and a SQLite store that once had destinations is told it has none, so nothing waits
// on them; on PostgreSQL, where the destinations are shared, the instances that have them keep them).
// Either way a destination no longer configured keeps its open forwards, held, and the start says so.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../run/config.js';
import type { Inbox } from '../inbox/inbox.js';
import { compilePushValidators } from '../push/push-validator.js';
import { loadBundledSpec } from '../contract/spec.js';
import { compiledPerSpec } from '../contract/compiled-per-spec.js';
import type { Destination } from './destinations.js';
import { Forwarder, type ForwarderOptions, type ValidateDelivery } from './forwarder.js';
import type { Outbox } from './outbox.js';
import { PostgresOutbox } from './postgres-outbox.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { hasRelaySchema } from './sqlite-relay-schema.js';
import { ThreadedOutbox } from './threaded-outbox.js';
import { describeStoreError } from '../inbox/store-errors.js';

export interface RelayOptions {
  destinations: Destination[];
  /** The SQLite inbox's file; undefined when the store is PostgreSQL. */
  sqliteFile?: string;
  /** The PostgreSQL store: its URL, and its migrations (the outbox's tables are one of them). */
  postgres?: { connectionString: string; ensureSchema: () => Promise<void>; onIdleError?: (err: Error) => void; heartbeatMs?: number; instanceTtlMs?: number };
  logger: Logger;
  /** Overrides for the tests (send, retry policy, breaker, poll). */
  forwarder?: Partial<ForwarderOptions>;
}

export interface Relay {
  outbox: Outbox;
  forwarder: Forwarder;
  /** Wraps the inbox so each append wakes the forwarder once its events are committed. */
  wrap(inbox: Inbox): Inbox;
  stop(): Promise<void>;
}

/** Checks a delivery against the push operation's request body in the bundled spec. */
/** Compiled once per process, not once per relay started (the tests start many). */
const validatorsFor = compiledPerSpec(compilePushValidators);

export function contractValidator(): ValidateDelivery {
  const validators = validatorsFor(loadBundledSpec());
  return (delivery) => {
    const errors = validators.body(delivery);
    return errors ? errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ') : null;
  };
}

/**
 * Says, once at start, which destinations not configured here still hold open forwards, and what ends
 * them: configuring the destination again delivers them; only the admin's discard ends them.
 */
export async function reportHeld(outbox: Pick<Outbox, 'status'>, logger: Pick<Logger, 'warn'>, relayRunning = true): Promise<void> {
  const held = (await outbox.status()).filter((d) => !d.configured);
  if (held.length === 0) return;
  const forwards = Object.fromEntries(held.map((d) => [d.id, d.counts.pending + d.counts.retrying]));
  const list = held.map((d) => `${d.id} (${forwards[d.id]})`).join(', ');
  const end = relayRunning
    ? `To end them for good: ig-push relay discard <destination> --url <this server> (POST /relay/destinations/<destination>/discard with the admin token).`
    : 'To end them for good, start the server with at least one destination configured (the relay API then runs) and use ig-push relay discard <destination>.';
  logger.warn({ held: forwards }, `relay: the store holds open forwards for destinations not configured here: ${list}. They are kept, not sent: configure the destination again to deliver them. ${end}`);
}

/** Clears the destinations a store once had, when the configuration names none now; their open forwards are kept. */
function forgetDestinations(file: string, logger: Logger): void {
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
}

function openOutbox(options: RelayOptions): Outbox {
  if (options.postgres) {
    const outbox = new PostgresOutbox({ ...options.postgres, destinations: options.destinations, logger: options.logger });
    // Started now so the first push does not wait for it; a failure here is retried by the next append.
    outbox.open().then(
      () => reportHeld(outbox, options.logger).catch(() => undefined),
      (err: unknown) => {
        const { code, reason } = describeStoreError(err);
        options.logger.warn({ code }, `relay: the outbox database is not ready yet: ${reason} (${code}); pushes answer 500 until it is`);
      },
    );
    return outbox;
  }
  if (!options.sqliteFile) throw new ConfigError('the relay needs a store: the SQLite file or a PostgreSQL URL');
  const outbox = new ThreadedOutbox({ file: options.sqliteFile, destinations: options.destinations });
  reportHeld(outbox, options.logger).catch(() => undefined);
  return outbox;
}

export function startRelay(options: RelayOptions): Relay | undefined {
  if (options.destinations.length === 0) {
    if (options.sqliteFile) forgetDestinations(options.sqliteFile, options.logger);
    return undefined;
  }
  const outbox = openOutbox(options);
  const forwarder = new Forwarder({ outbox, destinations: options.destinations, validate: contractValidator(), logger: options.logger, ...options.forwarder });
  return {
    outbox,
    forwarder,
    wrap(inbox) {
      const append: Inbox['append'] = async (events, receivedAt) => {
        await outbox.open();
        const result = await inbox.append(events, receivedAt);
        if (result.stored > 0) forwarder.wake();
        return result;
      };
      // Not ready while the outbox is not: every push would be refused.
      // The store first: its failure is what /readyz names (an outbox on the same database fails with it).
      const ready: Inbox['ready'] = async () => (await inbox.ready()) && outbox.open().then(() => true, () => false);
      // A proxy, not a copy: every other method (including ones added later) reaches the store itself.
      return new Proxy(inbox, {
        get(target, key) {
          if (key === 'append') return append;
          if (key === 'ready') return ready;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    async stop() {
      await forwarder.stop();
      await outbox.close();
    },
  };
}
