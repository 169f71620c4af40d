// Refusals logged at a bounded rate: one client once produced 40 000 info lines (7 MB) in 30 s. The
// first refusal of each reason (status and code) is logged at once with its request ID; the others of
// that reason within the interval are counted and logged as one summary line when it ends. At most two
// lines per reason per interval, whatever a client sends.
import type { Logger } from 'pino';

export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface RefusalReport {
  requestId: string;
  status: number;
  code: string;
}

/** A function to call for each refusal; it logs what the rate allows. */
export function refusalReporter(logger: Pick<Logger, 'info'>, intervalMs = DEFAULT_REFUSAL_LOG_INTERVAL_MS): (report: RefusalReport) => void {
  const reasons = new Map<string, { status: number; code: string; more: number }>();
  let timer: NodeJS.Timeout | undefined;
  const summarise = () => {
    timer = undefined;
    for (const { status, code, more } of reasons.values()) {
      if (more > 0) logger.info({ status, code, count: more, intervalMs }, 'more requests refused for the same reason (summary)');
    }
    reasons.clear();
  };
  return ({ requestId, status, code }) => {
    const key = `${status} ${code}`;
    const seen = reasons.get(key);
    if (seen) {
      seen.more++;
      return;
    }
    reasons.set(key, { status, code, more: 0 });
    logger.info({ requestId, status, code }, 'request refused');
    if (!timer) {
      timer = setTimeout(summarise, intervalMs);
      // A summary still to come never keeps the process alive.
      timer.unref();
    }
  };
}
