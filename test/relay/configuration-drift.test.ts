// A rolling restart that drops a destination from the configuration, on a real server over both stores:
// its open forwards are kept and shown held (never dead, never sent), the restart that adds it back
// delivers them, and only the operator's discard ends them, saying how many.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayClient } from '../../client/relay-client.js';
import { DISCARDED } from '../../server/relay/outbox.js';
import { igPush } from '../cli/ig-push.js';
import { push, textDelivery } from '../support/http.js';
import { startPgCluster, type PgCluster } from '../support/postgres.js';
import { accept, ADMIN, fail, faultDestination, RELAY_SECRET, sleep, startRelayServer, TOKEN, waitFor, type RelayServer } from '../support/relay.js';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
}, 60_000);
afterAll(() => cluster?.destroy());

const stores = [
  { name: 'SQLite', env: async (): Promise<Record<string, string>> => ({}) },
  { name: 'PostgreSQL', env: async (): Promise<Record<string, string>> => ({ DATABASE_URL: await cluster.createDatabase() }) },
];

describe.each(stores)('a rolling restart without a destination, on $name', ({ env }) => {
  it('holds its forwards, delivers them once it is back, and ends them only when discarded', async () => {
    let up = false;
    const x = await faultDestination((_n, res) => (up ? accept(res) : fail(res, 503)));
    const y = await faultDestination((_n, res) => accept(res));
    const dir = mkdtempSync(join(tmpdir(), 'ipk-drift-'));
    const options = { env: await env() };
    const both = [{ id: 'x', url: x.url }, { id: 'y', url: y.url }];
    const onlyY = [{ id: 'y', url: y.url }];
    let server: RelayServer | undefined;
    const restart = async (destinations: object[]) => {
      await server?.close();
      server = await startRelayServer(destinations, options, dir);
      return { read: createRelayClient({ baseUrl: server.url, token: TOKEN }), admin: createRelayClient({ baseUrl: server.url, token: ADMIN }) };
    };
    const forwardsOf = async (client: ReturnType<typeof createRelayClient>, state?: 'retrying' | 'delivered' | 'dead') => (await client.forwards({ destination: 'x', ...(state ? { state } : {}) })).items;
    try {
      let { read, admin } = await restart(both);
      for (const mid of ['drift-1', 'drift-2']) expect((await push(server!.url, textDelivery(mid), { secret: RELAY_SECRET })).status).toBe(200);
      await waitFor('x failing', async () => ((await forwardsOf(read, 'retrying')).length === 2 ? true : undefined));

      // The restart whose configuration lacks x: nothing dead, nothing sent, shown held.
      ({ read, admin } = await restart(onlyY));
      const status = await read.destinations();
      expect(status.map((d) => [d.id, d.configured, d.counts.pending + d.counts.retrying, d.counts.dead])).toEqual([
        ['x', false, 2, 0],
        ['y', true, 0, 0],
      ]);
      expect((await forwardsOf(read)).map((f) => [f.state, f.held])).toEqual([
        ['retrying', true],
        ['retrying', true],
      ]);
      expect((await igPush(['relay', 'status', '--url', server!.url, '--token', TOKEN])).stdout).toMatch(/^x \(chan-a\): not configured, forwards held; 0 pending, 2 retrying, 0 delivered, 0 dead, oldest waiting since /);
      const sent = x.received.length;
      await sleep(400); // many retry intervals of the fast policy
      expect(x.received.length).toBe(sent);
      await expect(admin.discard('y')).rejects.toMatchObject({ status: 409, body: { code: 'bad_request', resultMsg: expect.stringMatching(/is configured/) } });
      await expect(admin.pause('x')).rejects.toMatchObject({ status: 404 });
      await expect(admin.discard('nope')).rejects.toMatchObject({ status: 404 });

      // The restart that adds it back: the held forwards are delivered.
      up = true;
      ({ read, admin } = await restart(both));
      await waitFor('x delivered', async () => ((await forwardsOf(read, 'delivered')).length === 2 ? true : undefined));
      const mids = x.received.map((r) => JSON.parse(r.body.toString('utf8')) as { entry: { messaging: { message: { mid: string } }[] }[] }).flatMap((b) => b.entry.flatMap((e) => e.messaging.map((m) => m.message.mid)));
      expect(new Set(mids)).toEqual(new Set(['drift-1', 'drift-2']));

      // Dropped again with one forward open: the operator's discard ends it and says how many.
      up = false;
      expect((await push(server!.url, textDelivery('drift-3'), { secret: RELAY_SECRET })).status).toBe(200);
      await waitFor('drift-3 failing', async () => ((await forwardsOf(read, 'retrying')).length === 1 ? true : undefined));
      await expect(admin.discard('x')).rejects.toMatchObject({ status: 409 });
      ({ read, admin } = await restart(onlyY));
      const ended = await igPush(['relay', 'discard', 'x', '--url', server!.url, '--token', ADMIN]);
      expect(ended).toMatchObject({ code: 0, stdout: '1 held forward of x ended (now dead)\n' });
      expect((await forwardsOf(read, 'dead')).map((f) => [f.held, f.lastError])).toEqual([[false, DISCARDED]]);
      expect((await read.destinations()).map((d) => d.id)).toEqual(['y']);
      expect((await igPush(['relay', 'discard', 'y', '--url', server!.url, '--token', ADMIN])).code).toBe(1);
    } finally {
      await server?.close();
      await x.close();
      await y.close();
    }
  }, 90_000);
});
