// `ig-push relay` against a real relay: status, pause, resume and replay, as text and --json, and the
// exit codes of a refusal and of no answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayClient } from '../../client/relay-client.js';
import { push, textDelivery } from '../support/http.js';
import { ADMIN, fail, faultDestination, RELAY_SECRET, startRelayServer, TOKEN, waitFor, type RelayServer } from '../support/relay.js';
import { igPush } from './ig-push.js';
import { freePort } from '../support/process.js';

let relay: RelayServer;
let dest: Awaited<ReturnType<typeof faultDestination>>;
beforeAll(async () => {
  dest = await faultDestination((_n, res) => fail(res, 401));
  relay = await startRelayServer([{ id: 'cc', url: dest.url }]);
  await push(relay.url, textDelivery('cli-1'), { secret: RELAY_SECRET });
  const client = createRelayClient({ baseUrl: relay.url, token: TOKEN });
  await waitFor('dead', async () => ((await client.forwards({ state: 'dead' })).items.length === 1 ? true : undefined));
}, 60_000);
afterAll(async () => {
  await relay.close();
  await dest.close();
});

describe('ig-push relay', () => {
  it('prints each destination status, as text and as JSON', async () => {
    const text = await igPush(['relay', 'status', '--url', relay.url, '--token', TOKEN]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^cc \\(chan-a\\): running; 0 pending, 0 retrying, 0 delivered, 1 dead\n  url: ${dest.url}\n  last error: refused with HTTP 401: nope \\(at \\d{4}-[\\d-]+T[\\d:.]+Z\\)\n  replay the dead: ig-push relay replay cc \\(admin token\\)\n$`,
      ),
    );
    const json = await igPush(['relay', 'status', '--url', relay.url, '--json'], { env: { IG_PUSH_TOKEN: TOKEN } });
    expect(json.lines()).toEqual([[expect.objectContaining({ id: 'cc', circuit: 'closed', counts: { pending: 0, retrying: 0, delivered: 0, dead: 1 }, url: dest.url, nextAttemptAt: null })]]);
  });

  it('pauses and resumes with the admin token, and exits 1 with the reason without it', async () => {
    const paused = await igPush(['relay', 'pause', 'cc', '--url', relay.url, '--token', ADMIN]);
    expect(paused.stdout).toMatch(/^cc \(chan-a\): paused;/);
    expect((await igPush(['relay', 'resume', 'cc', '--url', relay.url, '--token', ADMIN, '--json'])).lines()[0]).toMatchObject({ paused: false });
    const refused = await igPush(['relay', 'pause', 'cc', '--url', relay.url, '--token', TOKEN]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ig-push: 401 unauthorized: Send the admin token/);
  });

  it('replays dead events of a destination or one event, and says how many', async () => {
    const all = await igPush(['relay', 'replay', 'cc', '--since', '2020-01-01T00:00:00Z', '--url', relay.url, '--token', ADMIN]);
    expect(all).toMatchObject({ code: 0, stdout: '1 forward due again\n' });
    const one = await igPush(['relay', 'replay', '--event', '1', '--url', relay.url, '--token', ADMIN, '--json']);
    expect(one.lines()).toEqual([1]);
    expect((await igPush(['relay', 'replay', '--url', relay.url, '--token', ADMIN])).code).toBe(2);
    expect((await igPush(['relay', 'replay', '--event', '7', 'nope', '--url', relay.url, '--token', ADMIN])).code).toBe(1);
  });

  it('exits 3 when the server does not answer, and the client takes a base URL ending in a slash', async () => {
    const gone = await igPush(['relay', 'status', '--url', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe('ig-push: could not connect to http://127.0.0.1:9: fetch refuses to use this port (bad port)\n');
    const port = await freePort(); // nothing listens there any more
    const refused = await igPush(['relay', 'status', '--url', `http://127.0.0.1:${port}`, '--token', TOKEN]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(`ig-push: could not connect to http://127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
    const client = createRelayClient({ baseUrl: `${relay.url}/`, token: TOKEN });
    expect((await client.forwards()).items.length).toBe(1);
  });
});
