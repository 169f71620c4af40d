// The forwarder driven directly over a real store and a real destination: the rate limit, a delivery
// that breaks the contract, stopping with attempts in flight, outcomes written together, and a store
// that fails under it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../server/inbox/inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import type { Destination } from '../../server/relay/destinations.js';
import { Forwarder } from '../../server/relay/forwarder.js';
import { SqliteOutbox } from '../../server/relay/sqlite-outbox.js';
import { contractValidator } from '../../server/relay/start-relay.js';
import { accept, faultDestination, sleep, waitFor } from '../support/relay.js';

const validate = contractValidator();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const message = (mid: string): NewEvent => ({
  channel: 'a',
  mid,
  entryId: '17841400000000000',
  entryTime: 1732519200123,
  event: { sender: { id: '6543210987654321' }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876, message: { mid, text: 'hi' } },
  dedupeKey: mid,
});

async function rig(destination: Partial<Destination>, answer: (n: number, res: Parameters<typeof accept>[0]) => void = (_n, res) => void accept(res)) {
  const dest = await faultDestination(answer);
  const file = join(mkdtempSync(join(tmpdir(), 'ipk-forwarder-')), 'inbox.sqlite');
  const inbox = new SqliteInbox({ file });
  const d: Destination = { id: 'd', channel: 'a', url: dest.url, enabled: true, timeoutMs: 2000, maxAgeMs: 60_000, concurrency: 4, ...destination };
  const outbox = new SqliteOutbox(file, [d]);
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
  const start = () => new Forwarder({ outbox, destinations: [d], validate, logger, pollMs: 20, retry: { baseMs: 10, capMs: 50 } });
  cleanups.push(async () => {
    await dest.close();
    await inbox.close();
  });
  return { dest, inbox, outbox, start, lines };
}

describe('forwarder', () => {
  it('starts no more attempts a second than the rate limit, after a burst of one second worth', async () => {
    const { dest, inbox, start, outbox } = await rig({ ratePerSecond: 4, concurrency: 16 });
    await inbox.append(Array.from({ length: 10 }, (_, i) => message(`rate-${i}`)), new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('10 delivered', async () => ((await outbox.list({ limit: 20, state: 'delivered' })).length === 10 ? true : undefined));
    expect(dest.received).toHaveLength(10);
    const at = (await outbox.list({ limit: 20 })).map((f) => Date.parse(f.recentAttempts[0]!.at)).sort((a, b) => a - b);
    // 4 at once, then 4 a second: the tenth cannot start before 1.5 s after the first.
    expect(at[9]! - at[0]!).toBeGreaterThanOrEqual(1400);
    for (const t of at) expect(at.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(8);
  });

  it('makes an event dead without sending it when its delivery breaks the contract', async () => {
    const { dest, inbox, start, outbox } = await rig({});
    await inbox.append([{ ...message('bad'), event: { sender: { id: 5 }, message: { mid: 'bad' } } }], new Date());
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    const [dead] = await waitFor('dead', async () => {
      const rows = await outbox.list({ limit: 5, state: 'dead' });
      return rows.length ? rows : undefined;
    });
    expect(dead!.lastError).toMatch(/^not valid against the contract: \/body\/entry\/0\/messaging\/0/);
    expect(dest.received).toEqual([]);
  });

  it('waits on stop for the attempts in flight to be recorded', async () => {
    const { inbox, start, outbox } = await rig({}, (_n, res) => void setTimeout(() => accept(res), 300));
    await inbox.append([message('slow')], new Date());
    const forwarder = start();
    await waitFor('in flight', async () => ((await outbox.list({ limit: 1 }))[0]!.attempts === 1 ? true : undefined));
    await forwarder.stop();
    expect((await outbox.list({ limit: 1 }))[0]!.state).toBe('delivered');
    await outbox.close();
  });

  it('writes the outcomes of attempts that end together in one transaction', async () => {
    const held: Parameters<typeof accept>[0][] = [];
    // The destination answers nothing until all 16 are in, then everything at once.
    const { inbox, start, outbox } = await rig({ concurrency: 16 }, (_n, res) => {
      held.push(res);
      if (held.length === 16) for (const r of held) accept(r);
    });
    await inbox.append(Array.from({ length: 16 }, (_, i) => message(`together-${i}`)), new Date());
    const writes: number[] = [];
    const record = outbox.record.bind(outbox);
    outbox.record = (records) => {
      writes.push(records.length);
      return record(records);
    };
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('16 delivered', async () => ((await outbox.list({ limit: 20, state: 'delivered' })).length === 16 ? true : undefined));
    expect(writes.reduce((a, n) => a + n, 0)).toBe(16);
    expect(writes.length).toBeLessThan(16);
  });

  it('logs a store that fails under it and keeps going; an unrecorded attempt is sent again later', async () => {
    const { inbox, start, outbox, lines } = await rig({});
    await inbox.append([message('x')], new Date());
    const record = outbox.record.bind(outbox);
    outbox.record = () => Promise.reject(new Error('disk full'));
    const forwarder = start();
    cleanups.push(() => forwarder.stop().then(() => outbox.close()));
    await waitFor('record failure logged', () => (lines.some((l) => l.includes('could not record an attempt')) ? true : undefined));
    outbox.record = record;
    const claim = outbox.claim.bind(outbox);
    outbox.claim = () => Promise.reject(new Error('locked'));
    await waitFor('claim failure logged', () => (lines.some((l) => l.includes('could not read the outbox')) ? true : undefined));
    outbox.claim = claim;
    await sleep(50);
    expect((await outbox.list({ limit: 1 }))[0]!.state).not.toBe('dead');
  });
});
