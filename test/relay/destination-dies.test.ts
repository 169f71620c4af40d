// A destination that accepts, then dies (its process gone: connections refused), then comes back on
// the same address: what it accepted stays delivered, the rest is retried while it is down and
// delivered once it is back, and nothing is lost or marked delivered without its 200.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { push, textDelivery } from '../support/http.js';
import { freePort } from '../support/process.js';
import { accept, RELAY_SECRET, startRelayServer, waitFor } from '../support/relay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A destination on `port` that accepts every delivery and records its mids, until `die()`. */
async function destinationOn(port: number, onDelivery: () => void = () => {}) {
  const mids: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = JSON.parse(Buffer.concat(chunks).toString()) as { entry: { messaging: { message: { mid: string } }[] }[] };
      mids.push(...delivery.entry.flatMap((e) => e.messaging.map((m) => m.message.mid)));
      accept(res);
      onDelivery();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const die = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { mids, die };
}

describe('a destination that accepts, then dies', () => {
  it('keeps what it accepted delivered, retries the rest while it is gone, and delivers them when it is back', async () => {
    const port = await freePort();
    let accepted = 0;
    let dead: Promise<void> | undefined;
    const first = await destinationOn(port, () => {
      if (++accepted === 2) dead = first.die();
    });
    const relay = await startRelayServer([{ id: 'cc', url: `http://127.0.0.1:${port}/apiaccess/api/instagram/message/cc`, concurrency: 1, timeout: '2s', batch: { maxEvents: 1 } }]);
    cleanups.push(() => relay.close());
    const sent = ['d-1', 'd-2', 'd-3', 'd-4', 'd-5'];
    for (const mid of sent) expect((await push(relay.url, textDelivery(mid), { secret: RELAY_SECRET })).status).toBe(200);

    // Down: two delivered, the rest retrying on refused connections, none given up.
    const down = await waitFor('the rest retrying against a dead destination', () => {
      const rows = relay.forwards();
      return rows.filter((r) => r.state === 'retrying').length === 3 ? rows : undefined;
    });
    await dead;
    expect(down.filter((r) => r.state === 'delivered')).toHaveLength(2);
    expect(down.filter((r) => r.state === 'retrying').every((r) => r.last_status === null && r.last_error !== null)).toBe(true);
    expect(first.mids).toHaveLength(2);

    const second = await destinationOn(port);
    cleanups.push(second.die);
    await waitFor('every event delivered after the destination came back', () => (relay.forwards().every((r) => r.state === 'delivered') ? true : undefined), 30_000);
    expect(new Set([...first.mids, ...second.mids])).toEqual(new Set(sent));
    expect(second.mids.filter((m) => first.mids.includes(m))).toEqual([]);
  });
});
