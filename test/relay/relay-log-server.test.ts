// A destination that refuses connections (nothing listens on its port), then comes back on it, over a
// real server: the log says it started failing (connection refused), its circuit opened and closed, and
// it recovered with the events that waited, each once and not once per attempt; the status API and
// `ig-push relay status` show where events go (no secret in the URL), the last error, the next probe
// and the circuit.
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayDestination } from '../../client/index.js';
import { igPush } from '../cli/ig-push.js';
import { push, textDelivery } from '../support/http.js';
import { freePort } from '../support/process.js';
import { accept, FAST, RELAY_SECRET, startRelayServer, TOKEN, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Line {
  level: number;
  msg: string;
  relay?: string;
  destination?: string;
  cause?: string;
  waiting?: number;
  nextProbeAt?: string;
}

/** A pino logger at the default level whose lines are kept, parsed. */
function capturedLogger() {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

/** A receiver on `port` that accepts every delivery. */
async function receiverOn(port: number): Promise<{ received: number; close(): Promise<void> }> {
  const state = { received: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received++;
      accept(res);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return Object.assign(state, {
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

describe('a destination that refuses connections, then comes back', () => {
  it('is logged once as failing, circuit open, circuit closed and recovered, and its status shows where events go and what went wrong', async () => {
    const port = await freePort();
    const { lines, logger } = capturedLogger();
    const url = `http://127.0.0.1:${port}/apiaccess/api/instagram/message/cc`;
    const relay = await startRelayServer([{ id: 'cc', url: `${url}?token=s3cret-in-url`, concurrency: 1, timeout: '2s', batch: { maxEvents: 1 } }], {
      relay: { ...FAST, breaker: { threshold: 3, intervalMs: 400 }, logger },
    });
    cleanups.push(() => relay.close());
    const mids = ['v-1', 'v-2', 'v-3', 'v-4', 'v-5'];
    for (const mid of mids) expect((await push(relay.url, textDelivery(mid), { secret: RELAY_SECRET })).status).toBe(200);

    // Down: the circuit opens and at least two probes fail on refused connections.
    const read = async () => ((await (await fetch(`${relay.url}/relay/destinations`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { items: RelayDestination[] }).items[0]!;
    await waitFor('two failed probes after the circuit opened', () => (relay.attempts().length >= 5 ? true : undefined));
    const down = await waitFor('the circuit open between probes', async () => {
      const d = await read();
      return d.circuit === 'open' ? d : undefined;
    });
    expect(down.url).toBe(`${url}?token=***`);
    expect(JSON.stringify(down)).not.toContain('s3cret');
    expect(down.lastError).toEqual({ message: 'connection refused', at: expect.any(String) });
    expect(Date.parse(down.lastError!.at)).toBeGreaterThanOrEqual(Date.parse(down.oldestPendingAt!));
    // The next probe comes after the last failure, within the breaker's interval of it (both the server's times).
    const gap = Date.parse(down.nextAttemptAt!) - Date.parse(down.lastError!.at);
    expect(gap).toBeGreaterThan(0);
    // The attempt's end and the breaker's note of it are two readings of the clock: on a loaded machine a
    // few ms (or more) apart, so the bound leaves room beyond the interval without allowing a second one.
    expect(gap).toBeLessThan(800);
    expect(down.counts.pending + down.counts.retrying).toBe(5);

    const cli = await igPush(['relay', 'status', '--url', relay.url, '--token', TOKEN]);
    expect(cli.code).toBe(0);
    const shown = cli.stdout.trimEnd().split('\n');
    expect(shown[0]).toMatch(/^cc \(chan-a\): circuit (open|half-open \(a probe is on its way\)); \d pending, \d retrying, 0 delivered, 0 dead, oldest waiting since /);
    expect(shown[1]).toBe(`  url: ${url}?token=***`);
    expect(shown[2]).toMatch(/^ {2}last error: connection refused \(at \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
    // Between probes it says when the next one goes (while one is on its way, there is no next yet).
    if (shown[0]!.includes('circuit open;')) expect(shown[3]).toMatch(/^ {2}next probe: \d{4}-\d\d-\d\dT[\d:.]+Z \((in \d+ s|now)\)$/);
    else expect(shown[3]).toBeUndefined();
    expect(cli.stdout).not.toContain('s3cret');

    // Back on the same port: everything that waited is delivered.
    const back = await receiverOn(port);
    cleanups.push(() => back.close());
    await waitFor('all delivered', () => (relay.forwards().every((r) => r.state === 'delivered') ? true : undefined));
    await waitFor('the recovery logged', () => (lines.some((l) => l.relay === 'recovered') ? true : undefined));
    const up = await read();
    expect(up).toMatchObject({ circuit: 'closed', nextAttemptAt: null, lastError: { message: 'connection refused' }, counts: { pending: 0, retrying: 0, delivered: 5, dead: 0 } });

    const failed = relay.attempts().filter((a) => a.error !== null).length;
    expect(failed).toBeGreaterThanOrEqual(5);
    const said = lines.filter((l) => l.relay !== undefined);
    // One line per change of state, none per attempt (there were `failed` of them).
    expect(said.map((l) => l.relay)).toEqual(['failing', 'circuit-open', 'circuit-closed', 'recovered']);
    expect(said.every((l) => l.destination === 'cc')).toBe(true);
    expect(said[0]).toMatchObject({ level: 40, cause: 'connection refused', msg: 'relay: destination cc starts failing: connection refused' });
    expect(said[1]!.msg).toMatch(/^relay: circuit open for cc after 3 failures in a row; next probe in 400 ms$/);
    expect(said[2]!.msg).toMatch(/^relay: circuit closed for cc: a probe was delivered after \d+ (ms|s) open$/);
    expect(said[3]).toMatchObject({ level: 30, waiting: 5 });
    expect(said[3]!.msg).toMatch(new RegExp(`^relay: destination cc recovered after \\d+ (ms|s) down \\(${failed} failed attempts\\); 5 events waited$`));
    // Nothing else says the refusal: one line for all the attempts it failed.
    expect(lines.filter((l) => /connection refused|ECONNREFUSED/.test(JSON.stringify(l))).map((l) => l.msg)).toEqual([said[0]!.msg]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });
});
