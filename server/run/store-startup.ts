// The store at start: a permanent failure (a refused password, a database that does not exist, a host
// name that does not resolve) stops the start with a sentence naming the cause, so the orchestrator
// shows a failed start instead of a server that answers 500 to every push; a transient one (refused,
// timed out) keeps the server up, /readyz 503, trying again until the store answers. The store's own
// health (inbox/store-health.ts) logs each cause once per failing spell and the recovery.
import type { Logger } from 'pino';
import type { Inbox } from '../inbox/inbox.js';

export interface StoreStartupOptions {
  /** Start and wait even for a permanent failure (WAIT_FOR_STORE=true, --wait-for-store). */
  wait: boolean;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** How often to try the store again while it fails (default 2000 ms). */
  retryEveryMs?: number;
}

/** The store failed permanently at start; main.ts prints the message and exits 1. */
export class StoreStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreStartError';
  }
}

export interface StoreWatch {
  stop(): void;
}

/**
 * Tries the store once; throws StoreStartError for a permanent failure unless told to wait, and
 * otherwise keeps trying in the background (stopped by the watch it returns) until the store is ready.
 */
export async function checkStoreAtStart(inbox: Inbox, options: StoreStartupOptions): Promise<StoreWatch> {
  if (await inbox.ready()) return { stop() {} };
  const failure = inbox.failure?.();
  if (failure?.permanent && !options.wait) {
    throw new StoreStartError(
      `the inbox store cannot be used: ${failure.reason} (${failure.code}); ${failure.action}. To start anyway and wait for it, set WAIT_FOR_STORE=true.`,
    );
  }
  const cause = failure ? `${failure.reason} (${failure.code})` : 'it does not answer';
  options.logger.warn({ code: failure?.code }, `the inbox store is not ready yet: ${cause}. Pushes answer 500 and /readyz 503 until it is; trying again every ${Math.round((options.retryEveryMs ?? 2000) / 1000)} s.`);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const retry = async () => {
    if (stopped) return;
    if (await inbox.ready().catch(() => false)) return;
    if (!stopped) timer = setTimeout(retry, options.retryEveryMs ?? 2000).unref();
  };
  timer = setTimeout(retry, options.retryEveryMs ?? 2000).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
