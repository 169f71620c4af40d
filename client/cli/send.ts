// `ig-push send`: push payload files to a receiver, byte for byte, with a line per file and a summary.
import type { Command } from 'commander';
import { isPushError } from '../push-error.js';
import type { ErrorBody } from '../types.js';
import { COMMAND_EXIT_CODES, EXIT, exitCodesHelp } from './exit-codes.js';
import { readInputs } from './input.js';
import { channelOption, headerOption, jsonOption, retriesOption, secretOption, signatureOption, timeoutOption, urlOption, verboseOption, type PushCommandOptions, type SIGNATURES } from './options.js';
import { failureText, mark, printJsonLine, printLine } from './output.js';
import { printTarget, receiverTarget, targetClient } from './target.js';

interface SendOptions extends PushCommandOptions {
  url: string;
}

/** One file's outcome, as printed by --json. */
export interface SendResult {
  file: string;
  ok: boolean;
  /** HTTP status of the final answer; 0 when none came. */
  status: number;
  /** Attempts made, when it failed. */
  attempts?: number;
  ms: number;
  /** Why it failed, in one line. */
  message?: string;
  /** The receiver's error body, when it sent one. */
  error?: ErrorBody;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('push delivery files (- for standard input) to a receiver, each sent and signed exactly as stored')
    .argument('<file...>', 'JSON delivery files, or - for standard input')
    .addOption(urlOption())
    .addOption(channelOption())
    .addOption(secretOption())
    .addOption(signatureOption())
    .addOption(headerOption())
    .addOption(retriesOption())
    .addOption(timeoutOption())
    .addOption(jsonOption())
    .addOption(verboseOption())
    .addHelpText('after', exitCodesHelp(COMMAND_EXIT_CODES.send, ['IG_PUSH_SECRET', 'IG_PUSH_URL']))
    .action(async (files: string[], options: SendOptions) => {
      process.exitCode = await send(files, options);
    });
}

async function send(names: string[], options: SendOptions): Promise<number> {
  const target = receiverTarget(options.url, options.channel);
  const inputs = await readInputs(names);
  if (options.verbose && !options.json) printTarget(target, 'deliveries go to');
  const client = targetClient(target, { appSecret: options.secret, headers: options.header, retries: options.retries, timeoutMs: options.timeout, legacySignature: legacyOf(options.signature) });
  const results: SendResult[] = [];
  for (const { name, bytes } of inputs) {
    // The file's bytes are sent (and signed) unchanged rather than parsed and re-serialised: a captured
    // delivery replays exactly, `ig-push sign` prints the signature that is sent, and a malformed file
    // reaches the receiver as it is (its verdict is what the user asked for).
    const started = performance.now();
    let result: SendResult;
    try {
      await client.pushRaw(bytes, { chanId: target.channel });
      result = { file: name, ok: true, status: 200, ms: Math.round(performance.now() - started) };
    } catch (err) {
      if (!isPushError(err)) throw err;
      result = { file: name, ok: false, status: err.status, attempts: err.attempts, ms: Math.round(performance.now() - started), message: failureText(err), error: err.body };
    }
    results.push(result);
    if (options.json) printJsonLine(result);
    else printLine(progressLine(result));
  }
  const summary = {
    sent: results.length,
    accepted: results.filter((r) => r.ok).length,
    refused: results.filter((r) => !r.ok && r.status !== 0).length,
    unanswered: results.filter((r) => r.status === 0).length,
  };
  if (results.length > 1) {
    if (options.json) printJsonLine({ summary });
    else printLine(`${summary.accepted}/${summary.sent} accepted, ${summary.refused} refused, ${summary.unanswered} unanswered`);
  }
  if (summary.unanswered > 0) return EXIT.unreachable;
  return summary.refused > 0 ? EXIT.rejected : EXIT.ok;
}

function progressLine(r: SendResult): string {
  if (r.ok) return `${mark('ok')} ${r.file}  200 (${r.ms} ms)`;
  const tries = (r.attempts ?? 1) > 1 && r.status !== 0 ? ` [${r.attempts} attempts]` : '';
  return `${mark(r.status === 0 ? 'error' : 'fail')} ${r.file}  ${r.message}${tries}`;
}

/** The client's legacy-signature option for --signature. */
export function legacyOf(which: (typeof SIGNATURES)[number]): boolean | 'only' {
  return which === 'sha1' ? 'only' : which === 'both';
}
