// RETENTION: an inbox that only grows fills the disk. Deletes events older than the retention period,
// at start and then periodically, in bounded batches so one prune never holds the store for long.
import type { Logger } from 'pino';
import { ConfigError } from './config.js';
import type { Inbox } from '../inbox/inbox.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30d", "12h", "90m", "45s", "2w" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!m || Number(m[1]) === 0) throw new ConfigError(`RETENTION "${text}" is not a duration (e.g. 30d, 12h, 90m)`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
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
