// `ig-push serve`: run the reference server, from the separate package instagram-push-kit-server, loaded
// only when this command runs: a user who only sends deliveries never installs the server. With
// --forward-to, the server also relays every event it stores to a local receiver (forward-to.ts).
import type { Command } from 'commander';
import { Option } from 'commander';
import { CliError, EXIT, SERVE_EXIT_CODES_HELP } from './exit-codes.js';
import { forwardConfig, newSecret, writeTemporaryConfig, type ForwardSettings } from './forward-to.js';
import { portOption } from './options.js';
import { printLine } from './output.js';

export const SERVER_PACKAGE = 'instagram-push-kit-server';

type ServerModule = typeof import('instagram-push-kit-server');

/** The server package, or a one-line usage error saying how to install it when it is not installed. */
export async function loadServer(load: () => Promise<ServerModule> = () => import('instagram-push-kit-server')): Promise<ServerModule> {
  try {
    return await load();
  } catch (err) {
    const e = err as Error & { code?: string };
    // Only the package itself missing; a dependency missing inside an installed server is a real error.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${SERVER_PACKAGE}'`)) {
      throw new CliError(`serve needs the server package: npm install ${SERVER_PACKAGE}`, EXIT.usage);
    }
    throw err;
  }
}

interface ServeCliOptions {
  port: number;
  host: string;
  config?: string;
  dataDir?: string;
  forwardTo?: string;
  forwardSecret?: string;
  channel: string;
  secret?: string;
  accountId?: string;
}

const SERVE_HELP = `
--forward-to (like Stripe CLI's listen --forward-to): no configuration file; the server takes deliveries on
one channel (--channel, default dev) and relays each event it stores to the URL, signed with
X-Hub-Signature-256 using --forward-secret (made up and printed when not given), with retries, while the
console at /inbox shows what arrived and what was forwarded. Send one with:
  ig-push trigger text --url http://127.0.0.1:8080 --channel dev
`;

/** The channel, destination and secrets of a --forward-to run, and the lines that tell the developer. */
function forwarding(options: ServeCliOptions): { settings: ForwardSettings & { forwardSecret: string }; lines: string[] } {
  if (options.config) throw new CliError('--forward-to runs without --config: add a destination to the file instead (server README, "Relay")', EXIT.usage);
  const settings = { url: options.forwardTo!, channel: options.channel, forwardSecret: options.forwardSecret || newSecret(), metaSecret: options.secret || undefined, accountId: options.accountId };
  const lines = [
    `forwarding every event on channel ${settings.channel} to ${settings.url}`,
    `  signed with X-Hub-Signature-256 using the secret ${settings.forwardSecret}${options.forwardSecret ? ' (given)' : ''}`,
    settings.metaSecret ? '  deliveries arriving must be signed with --secret' : '  deliveries arriving need no signature (give --secret to require Meta\'s)',
  ];
  return { settings, lines };
}

/** A configuration error of the --forward-to run, in the options' words rather than the file's. */
const inOptionWords = (message: string, path: string) => message.replace(`${path}: `, '').replace(/^\/channels\/0\/destinations\/0\/url\b/, '--forward-to').replace(/^\/channels\/0\/id\b/, '--channel').replace(/^\/channels\/0\/accountId\b/, '--account-id');

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the reference server (an open sandbox accepting any channel unless --config is given)')
    .addOption(portOption().env('PORT'))
    .addOption(new Option('--host <host>', 'interface to listen on').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--config <file>', 'channels configuration file (JSON)').env('CONFIG'))
    .addOption(new Option('--data-dir <dir>', 'where the inbox database lives (default ./data)').env('DATA_DIR'))
    .addOption(new Option('--forward-to <url>', 'relay every event stored to this receiver (https://, or http:// on this machine), with retries; no --config needed'))
    .addOption(new Option('--forward-secret <secret>', 'with --forward-to: the secret forwarded requests are signed with (default: a new one, printed)').env('IG_PUSH_FORWARD_SECRET'))
    .addOption(new Option('--channel <id>', 'with --forward-to: the channel deliveries arrive on').default('dev'))
    .addOption(new Option('--secret <secret>', "with --forward-to: Meta's app secret, to require signed deliveries (default: none required)"))
    .addOption(new Option('--account-id <id>', 'with --forward-to: the Instagram account ID, for deliveries to the path without a channel'))
    .addHelpText('after', SERVE_HELP + SERVE_EXIT_CODES_HELP)
    .action(async (options: ServeCliOptions) => {
      const forward = options.forwardTo ? forwarding(options) : undefined;
      const { serve } = await loadServer();
      const written = forward && forwardConfig(forward.settings);
      const file = written && writeTemporaryConfig(written.config);
      try {
        for (const line of forward?.lines ?? []) printLine(line);
        // The server logs its own "listening on …" line; SIGINT/SIGTERM drain requests in flight, then exit.
        const env = written ? { ...process.env, ...written.env } : undefined;
        const running = await serve({ port: options.port, host: options.host, configPath: file?.path ?? options.config, dataDir: options.dataDir, handleSignals: true, ...(env ? { env, localHostsOnly: true } : {}) });
        if (forward) printLine(`send an event: ig-push trigger text --url ${running.url} --channel ${forward.settings.channel}${forward.settings.metaSecret ? ' --secret …' : ''}; watch it at ${running.url}/inbox`);
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.name === 'ConfigError' && forward) throw new CliError(inOptionWords(e.message, file!.path), EXIT.usage);
        if (e.name === 'ConfigError') throw new CliError(`configuration error: ${e.message}`, EXIT.usage);
        // As the server's own command: another server's data dir is a configuration error (2), anything else a failed start (1).
        const usage = e.name === 'DataDirLockedError';
        throw new CliError(`server failed to start: ${e.code === 'EADDRINUSE' ? `port ${options.port} is in use` : e.message}`, usage ? EXIT.usage : EXIT.rejected);
      } finally {
        // Read once at start: the file (secret references only) need not outlive it.
        file?.remove();
      }
    });
}
