// `ig-push sign`: print the signature headers of a file's exact bytes: X-Hub-Signature-256 and the
// legacy X-Hub-Signature (sha1), as Meta sends both; `--signature sha256|sha1` prints one value alone.
import type { Command } from 'commander';
import { Option } from 'commander';
import { LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, signLegacyPayload, signPayload } from '../signature.js';
import { COMMAND_EXIT_CODES, CliError, EXIT, exitCodesHelp } from './exit-codes.js';
import { readInputs } from './input.js';
import { jsonOption, signatureOption, type SIGNATURES } from './options.js';
import { printJsonLine, printLine } from './output.js';

export function registerSign(program: Command): void {
  program
    .command('sign')
    .description(`print the ${SIGNATURE_HEADER} (sha256=…) and ${LEGACY_SIGNATURE_HEADER} (sha1=…) headers of a file's exact bytes`)
    .argument('<file>', 'the body to sign, or - for standard input')
    .addOption(new Option('--secret <secret>', 'app secret to sign with').env('IG_PUSH_SECRET'))
    .addOption(signatureOption().default('both', 'both, as "Header: value" lines; with one, its bare value'))
    .addOption(jsonOption())
    .addHelpText('after', exitCodesHelp(COMMAND_EXIT_CODES.sign, ['IG_PUSH_SECRET']))
    .action(async (name: string, options: { secret?: string; signature: (typeof SIGNATURES)[number]; json?: boolean }) => {
      // Checked here rather than by commander so an empty IG_PUSH_SECRET counts as missing too.
      if (!options.secret) throw new CliError('a secret is required: pass --secret or set IG_PUSH_SECRET', EXIT.usage);
      const [input] = await readInputs([name]);
      const sha256 = await signPayload(input!.bytes, options.secret);
      const sha1 = await signLegacyPayload(input!.bytes, options.secret);
      if (options.json) {
        const [header, signature] = options.signature === 'sha1' ? [LEGACY_SIGNATURE_HEADER, sha1] : [SIGNATURE_HEADER, sha256];
        const signatures = { ...(options.signature !== 'sha1' ? { [SIGNATURE_HEADER]: sha256 } : {}), ...(options.signature !== 'sha256' ? { [LEGACY_SIGNATURE_HEADER]: sha1 } : {}) };
        return printJsonLine({ file: name, header, signature, signatures });
      }
      if (options.signature === 'sha256') return printLine(sha256);
      if (options.signature === 'sha1') return printLine(sha1);
      printLine(`${SIGNATURE_HEADER}: ${sha256}`);
      printLine(`${LEGACY_SIGNATURE_HEADER}: ${sha1}`);
    });
}
