// `ig-push relay status | replay | pause | resume | discard`: the reference server's relay, over its API.
import { Option, type Command } from 'commander';
import { isPushError } from '../push-error.js';
import { createRelayClient, type RelayClient } from '../relay-client.js';
import type { RelayDestination } from '../types.js';
import { CliError, EXIT } from './exit-codes.js';
import { receiverTarget } from './target.js';
import { jsonOption, urlOption } from './options.js';
import { printJsonLine, printLine } from './output.js';

interface RelayOptions {
  url: string;
  token?: string;
  json?: boolean;
}

const tokenOption = () => new Option('--token <token>', 'bearer token: the inbox token for status, the admin token for the actions').env('IG_PUSH_TOKEN');

/** The relay API lives at the server's root: any URL form every command takes names that server. */
const serverOrigin = (url: string) => new URL(receiverTarget(url).url).origin;

/** Runs one call; a refusal exits 1, no answer 3, each with the server's one-line reason. */
async function run<T>(options: RelayOptions, call: (client: RelayClient) => Promise<T>, print: (value: T) => string): Promise<void> {
  const client = createRelayClient({ baseUrl: serverOrigin(options.url), token: options.token });
  let value: T;
  try {
    value = await call(client);
  } catch (err) {
    if (!isPushError(err)) throw err;
    throw new CliError(err.message, err.status === 0 ? EXIT.unreachable : EXIT.rejected);
  }
  if (options.json) printJsonLine(value);
  else printLine(print(value));
}

/** "in 28 s", "in 4 min", "now": how far ahead a time is, by this machine's clock. */
function fromNow(iso: string, now: number): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'now';
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

const STATES = { closed: 'running', open: 'circuit open', 'half-open': 'circuit half-open (a probe is on its way)' } as const;

/** A destination: its state and counts on the first line, then where it sends, its last error and its next attempt. */
function describe(d: RelayDestination, now = Date.now()): string {
  const c = d.counts;
  const state = !d.configured ? 'not configured, forwards held' : d.paused ? 'paused' : STATES[d.circuit];
  const oldest = d.oldestPendingAt ? `, oldest waiting since ${d.oldestPendingAt}` : '';
  const lines = [`${d.id} (${d.channel}): ${state}; ${c.pending} pending, ${c.retrying} retrying, ${c.delivered} delivered, ${c.dead} dead${oldest}`];
  lines.push(`  url: ${d.url ?? "(not in this server's configuration)"}`);
  if (d.lastError) lines.push(`  last error: ${d.lastError.message} (at ${d.lastError.at})`);
  if (d.nextAttemptAt) lines.push(`  ${d.circuit === 'closed' ? 'next retry' : 'next probe'}: ${d.nextAttemptAt} (${fromNow(d.nextAttemptAt, now)})`);
  if (c.dead > 0) lines.push(`  replay the dead: ig-push relay replay ${d.id} (admin token)`);
  return lines.join('\n');
}

export function registerRelay(program: Command): void {
  const relay = program.command('relay').description("inspect and act on the reference server's relay: status, replay, pause, resume, discard");
  const common = (c: Command) => c.addOption(urlOption()).addOption(tokenOption()).addOption(jsonOption());

  common(relay.command('status').description('each destination: paused or not, circuit, forwards by state, oldest waiting event, URL, last error, next attempt')).action(async (options: RelayOptions) => {
    await run(options, (c) => c.destinations(), (items) => (items.length ? items.map((d) => describe(d)).join('\n') : 'no destinations configured'));
  });

  common(relay.command('replay').description("send a destination's dead events again (or one event with --event)"))
    .argument('[destination]', 'destination ID')
    .option('--event <id>', 'replay this event (to every destination, or to the one named)')
    .option('--since <time>', 'only events received at or after this ISO time')
    .option('--until <time>', 'only events received before this ISO time')
    .action(async (destination: string | undefined, options: RelayOptions & { event?: string; since?: string; until?: string }) => {
      if (options.event === undefined && destination === undefined) throw new CliError('name a destination, or an event with --event', EXIT.usage);
      await run(
        options,
        (c) => (options.event !== undefined ? c.replayEvent(options.event, destination) : c.replayDead(destination!, { since: options.since, until: options.until })),
        (n) => `${n} forward${n === 1 ? '' : 's'} due again`,
      ).then(() => undefined);
    });

  for (const action of ['pause', 'resume'] as const) {
    common(relay.command(action).description(`${action} forwarding to a destination`))
      .argument('<destination>', 'destination ID')
      .action(async (destination: string, options: RelayOptions) => {
        await run(options, (c) => c[action](destination), (d) => describe(d));
      });
  }

  common(relay.command('discard').description("end the held forwards of a destination removed from the configuration (they turn dead)"))
    .argument('<destination>', 'destination ID')
    .action(async (destination: string, options: RelayOptions) => {
      await run(options, (c) => c.discard(destination), (n) => `${n} held forward${n === 1 ? '' : 's'} of ${destination} ended (now dead)`);
    });
}
