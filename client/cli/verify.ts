// `ig-push verify`: run the subscription handshake and check the receiver echoes the challenge.
import type { Command } from 'commander';
import { Option } from 'commander';
import { isPushError } from '../push-error.js';
import { COMMAND_EXIT_CODES, CliError, EXIT, exitCodesHelp } from './exit-codes.js';
import { channelOption, headerOption, jsonOption, retriesOption, timeoutOption, urlOption, verboseOption, verifyTokenAlias, verifyTokenOption } from './options.js';
import { failureText, mark, printJsonLine, printLine } from './output.js';
import { printTarget, receiverTarget, targetClient } from './target.js';

interface VerifyOptions {
  url: string;
  token?: string;
  verifyToken?: string;
  verbose?: boolean;
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
    .addOption(verifyTokenOption())
    .addOption(verifyTokenAlias())
    .addOption(channelOption())
    .addOption(new Option('--challenge <text>', 'challenge to send (default: a random number, as Meta sends)'))
    .addOption(headerOption())
    .addOption(retriesOption())
    .addOption(timeoutOption())
    .addOption(jsonOption())
    .addOption(verboseOption())
    .addHelpText('after', exitCodesHelp(COMMAND_EXIT_CODES.verify, ['IG_PUSH_VERIFY_TOKEN', 'IG_PUSH_URL']))
    .action(async (options: VerifyOptions) => {
      process.exitCode = await verify(options);
    });
}

async function verify(options: VerifyOptions): Promise<number> {
  const token = options.token ?? options.verifyToken;
  if (!token) throw new CliError("required option '--token <token>' not specified (or set IG_PUSH_VERIFY_TOKEN)", EXIT.usage);
  const target = receiverTarget(options.url, options.channel);
  if (options.verbose && !options.json) printTarget(target, 'the handshake goes to');
  const client = targetClient(target, { headers: options.header, retries: options.retries, timeoutMs: options.timeout });
  const challenge = options.challenge ?? String(Math.floor(Math.random() * 2 ** 31));
  const where = target.channel === undefined ? 'handshake' : `handshake ${target.channel}`;
  try {
    const echoed = await client.verifyWebhook({ chanId: target.channel, verifyToken: token, challenge });
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
    else printLine(`${mark(err.status === 0 ? 'error' : 'fail')} ${where}  ${failureText(err)}`);
    return err.status === 0 ? EXIT.unreachable : EXIT.rejected;
  }
}
