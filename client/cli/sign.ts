// `ig-push sign`: print the X-Hub-Signature-256 value of a file's exact bytes.
import type { Command } from 'commander';
import { Option } from 'commander';
import { SIGNATURE_HEADER, signPayload } from '../signature.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { readInputs } from './input.js';
import { jsonOption } from './options.js';
import { printJsonLine, printLine } from './output.js';

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description(`print the ${SIGNATURE_HEADER} value (sha256=<hex HMAC>) of a file's exact bytes`)
    .argument('<file>', 'the body to sign, or - for standard input')
    .addOption(new Option('--secret <secret>', 'app secret to sign with').env('IG_PUSH_SECRET'))
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string, options: { secret?: string; json?: boolean }) => {
      // Checked here rather than by commander so an empty IG_PUSH_SECRET counts as missing too.
      if (!options.secret) throw new CliError('a secret is required: pass --secret or set IG_PUSH_SECRET', EXIT.usage);
      const [input] = await readInputs([name]);
      const signature = await signPayload(input!.bytes, options.secret);
      if (options.json) printJsonLine({ file: name, header: SIGNATURE_HEADER, signature });
      else printLine(signature);
    });
}
