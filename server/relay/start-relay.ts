// Wires the relay into a running server: opens the outbox beside the inbox (on the store it is given),
// starts the forwarder, and wakes it whenever the inbox stores events. A server without destinations
// gets none of it (and a SQLite store that once had destinations is told it has none, so nothing waits
// on them; on PostgreSQL, where the destinations are shared, the instances that have them keep them).
// Either way a destination no longer configured keeps its open forwards, held, and the start says so.
import type { Logger } from 'pino';
import type { Inbox } from '../inbox/inbox.js';
import { compilePushValidators } from '../push/push-validator.js';
import { loadBundledSpec } from '../contract/spec.js';
import { compiledPerSpec } from '../contract/compiled-per-spec.js';
import type { Destination } from './destinations.js';
import { Forwarder, type ForwarderOptions, type ValidateDelivery } from './forwarder.js';
import type { Outbox } from './outbox.js';
import type { RelayStore } from './relay-stores.js';
import { reportHeld } from './report-held.js';
import { describeStoreError } from '../inbox/store-errors.js';

export interface RelayOptions {
  destinations: Destination[];
  /** The store the inbox is on (store/open-store.ts hands it out with the inbox). */
  store: RelayStore;
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

/** Opens the outbox; started now so the first push does not wait for it, and a failure here is retried by the next append. */
function openOutbox(options: RelayOptions): Outbox {
  const outbox = options.store.openOutbox(options.destinations, options.logger);
  outbox.open().then(
    () => reportHeld(outbox, options.logger).catch(() => undefined),
    (err: unknown) => {
      const { code, reason } = describeStoreError(err);
      options.logger.warn({ code }, `relay: the outbox database is not ready yet: ${reason} (${code}); pushes answer 500 until it is`);
    },
  );
  return outbox;
}

export function startRelay(options: RelayOptions): Relay | undefined {
  if (options.destinations.length === 0) {
    options.store.withoutDestinations(options.logger);
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
