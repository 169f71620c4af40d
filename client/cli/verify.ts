// `ig-push verify`: run the subscription handshake and check the receiver echoes the challenge.
import type { Command } from 'commander';
import { Option } from 'commander';
import { createPushClient } from '../push-client.js';
import { isPushError } from '../push-error.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { receiverUrl } from './input.js';
import { channelOption, headerOption, jsonOption, retriesOption, timeoutOption, urlOption } from './options.js';
import { mark, printJsonLine, printLine } from './output.js';

interface VerifyOptions {
  url: string;
  token: string;
  channel?: string;
  challenge?: string;
  header: Record<string, string>;
  retries: number;
  timeout: number;
  json?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('run the webhook handshake (hub.mode=subscribe) and check the challenge comes back unchanged')
    .addOption(urlOption())
    .addOption(new Option('--token <token>', 'the verify token configured for the channel').env('IG_PUSH_VERIFY_TOKEN').makeOptionMandatory())
    .addOption(channelOption())
    .addOption(new Option('--challenge <text>', 'challenge to send (default: a random number, as Meta sends)'))
    .addOption(headerOption())
    .addOption(retriesOption())
    .addOption(timeoutOption())
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: VerifyOptions) => {
      process.exitCode = await verify(options);
    });
}

async function verify(options: VerifyOptions): Promise<number> {
  const client = createPushClient({ baseUrl: receiverUrl(options.url), headers: options.header, retries: options.retries, timeoutMs: options.timeout });
  const challenge = options.challenge ?? String(Math.floor(Math.random() * 2 ** 31));
  const where = options.channel === undefined ? 'handshake' : `handshake ${options.channel}`;
  try {
    const echoed = await client.verifyWebhook({ chanId: options.channel, verifyToken: options.token, challenge });
    if (echoed !== challenge) {
      const message = `answered ${JSON.stringify(echoed)} instead of the challenge ${JSON.stringify(challenge)}`;
      if (options.json) printJsonLine({ ok: false, status: 200, challenge, echoed, message });
      else printLine(`${mark('fail')} ${where}  ${message}`);
      return EXIT.rejected;
    }
    if (options.json) printJsonLine({ ok: true, challenge });
    else printLine(`${mark('ok')} ${where}  challenge ${JSON.stringify(challenge)} echoed`);
    return EXIT.ok;
  } catch (err) {
    if (!isPushError(err)) throw err;
    if (options.json) printJsonLine({ ok: false, status: err.status, challenge, message: err.message, error: err.body });
    else printLine(`${mark(err.status === 0 ? 'error' : 'fail')} ${where}  ${err.message}`);
    return err.status === 0 ? EXIT.unreachable : EXIT.rejected;
  }
}
