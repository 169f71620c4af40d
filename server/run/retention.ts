// RETENTION: an inbox that only grows fills the disk. Deletes events older than the retention period,
// at start and then periodically, in bounded batches so one prune never holds the store for long.
import type { Logger } from 'pino';
import { parseDuration as parseSettingDuration } from './setting-grammar.js';
import { SETTINGS } from './settings.js';
import type { Inbox } from '../inbox/inbox.js';

/** RETENTION's text ("30d", "12h", "2w", "500ms", bare milliseconds) → milliseconds, in the one grammar. */
export function parseDuration(text: string): number {
  return parseSettingDuration('RETENTION', text, SETTINGS.RETENTION.bounds);
}

export interface RetentionOptions {
  inbox: Inbox;
  /** Events received longer ago than this are deleted. */
  olderThanMs: number;
  /** Pause between prunes (default one hour). */
  everyMs?: number;
  /** Rows per delete statement (default 10 000). */
  batch?: number;
  /** Most batches in one prune, so a huge backlog is worked off over several rounds (default 100). */
  maxBatches?: number;
  logger: Logger;
  now?: () => number;
}

/** Deletes what is due, batch by batch; resolves with how many events were deleted. */
export async function pruneOnce(options: RetentionOptions): Promise<number> {
  const { inbox, olderThanMs, batch = 10_000, maxBatches = 100, now = Date.now } = options;
  const before = new Date(now() - olderThanMs);
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await inbox.prune(before, batch);
    total += n;
    if (n < batch) break;
  }
  return total;
}

/** Prunes now and every `everyMs`; a failed prune is logged and tried again next time. */
export function startRetention(options: RetentionOptions): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = pruneOnce(options).then(
      (n) => options.logger.info({ deleted: n, olderThanMs: options.olderThanMs }, 'retention: pruned the inbox'),
      (err) => options.logger.warn({ err: String(err) }, 'retention: prune failed; will try again'),
    );
  };
  run();
  const timer = setInterval(run, options.everyMs ?? 3_600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
