// The forwarder's test rig: a forwarder driven directly over a real SQLite inbox and outbox, sending to
// a scripted destination (support/relay.ts), with its log kept as parsed lines. Each suite passes the
// list its afterEach empties, so every destination and store is closed whatever a test does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import type { Destination } from '../../server/relay/destinations.js';
import { Forwarder, type ForwarderOptions } from '../../server/relay/forwarder.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { contractValidator } from '../../server/relay/start-relay.js';
import { accept, faultDestination } from './relay.js';

export const validate = contractValidator();

/** One Instagram message event for channel `a` (or the channel given), its mid also its dedupe key. */
export const message = (mid: string, channel = 'a'): NewEvent => ({
  channel,
  mid,
  entryId: '17841400000000000',
  entryTime: 1732519200123,
  event: { sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid, text: 'hi' } },
  dedupeKey: mid,
});

export type Answer = (n: number, res: Parameters<typeof accept>[0]) => void;

/** A log line as pino writes it, with the relay's fields. */
export interface LogLine {
  level: number;
  msg: string;
  relay?: string;
  destination?: string;
  [field: string]: unknown;
}

export interface RigOptions {
  /** Answers the destination's n-th request (default: accepted). */
  answer?: Answer;
  /** The forwarder's options besides its outbox, destinations, validator and logger. */
  forwarder?: Partial<ForwarderOptions>;
  /** More destinations, on the same scripted receiver unless they say otherwise. */
  more?: Partial<Destination>[];
  /** The lowest level kept in `lines` (default warn). */
  level?: 'info' | 'warn';
}

/**
 * A store with destination `d` (channel `a`) and any others, forwarding to one scripted receiver:
 * `start()` makes the forwarder (stopped, with the outbox closed, after the test); `lines` is its log.
 */
export async function forwarderRig(cleanups: (() => Promise<void>)[], destination: Partial<Destination> = {}, rig: RigOptions = {}) {
  const answer = rig.answer ?? ((_n, res) => void accept(res));
  const dest = await faultDestination(answer);
  const file = join(mkdtempSync(join(tmpdir(), 'ipk-forwarder-')), 'inbox.sqlite');
  const inbox = new SqliteInbox({ file });
  const base: Destination = { id: 'd', channel: 'a', url: dest.url, enabled: true, timeoutMs: 2000, maxAgeMs: 60_000, concurrency: 4, maxEvents: 1, maxBytes: 1 << 20 };
  const d: Destination = { ...base, ...destination };
  const destinations = [d, ...(rig.more ?? []).map((m) => ({ ...base, ...m }))];
  const outbox = new SqliteOutbox(file, destinations);
  const lines: string[] = [];
  const logger = pino({ level: rig.level ?? 'warn' }, { write: (l: string) => lines.push(l) });
  const start = (more: Partial<ForwarderOptions> = {}) =>
    new Forwarder({ outbox, destinations, validate, logger, pollMs: 20, retry: { baseMs: 10, capMs: 50 }, ...rig.forwarder, ...more });
  /** Starts a forwarder that the test's cleanup stops before closing the outbox. */
  const running = (more: Partial<ForwarderOptions> = {}) => {
    const forwarder = start(more);
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    return forwarder;
  };
  cleanups.push(async () => {
    await dest.close();
    await inbox.close();
  });
  const logged = () => lines.map((l) => JSON.parse(l) as LogLine);
  return { dest, inbox, outbox, start, running, lines, logged, destination: d };
}
