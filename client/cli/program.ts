// The `ig-push` command line: one commander program, one module per command, exit codes in exit-codes.ts.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerCheck } from './check.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { registerInit } from './init.js';
import { registerRelay } from './relay.js';
import { registerSend } from './send.js';
import { registerServe } from './serve.js';
import { registerSign } from './sign.js';
import { registerTrigger } from './trigger.js';
import { registerValidate } from './validate.js';
import { registerVerify } from './verify.js';

export function createProgram(): Command {
  const program = new Command('ig-push')
    .description('Push Instagram webhook deliveries, run the handshake, validate and sign payloads, check a receiver against the contract, trigger events of any kind, run the reference server.')
    .version(VERSION)
    .showSuggestionAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    // Throw instead of exiting so run() decides the exit code; one `ig-push: …` line per error.
    // Subcommands inherit both settings because they are made after this.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`ig-push: ${text.replace(/^error: /, '').replace(/\n(?=\(Did you mean)/, ' ')}`) });
  registerSend(program);
  registerVerify(program);
  registerValidate(program);
  registerSign(program);
  registerCheck(program);
  registerTrigger(program);
  registerServe(program);
  registerInit(program);
  registerRelay(program);
  return program;
}

/** Runs the command line; resolves to the exit code. Only `serve` leaves work running after it resolves. */
export async function run(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await createProgram().parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    // commander has already printed its one-line message (or the help text) for its own errors.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      process.stderr.write(`ig-push: ${err.message}\n`);
      return err.code;
    }
    process.stderr.write(`ig-push: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT.usage;
  }
}
