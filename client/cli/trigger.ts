// `ig-push trigger <kind>`: send one realistic event of a kind (the spec's named examples, see
// client/check/deliveries.ts) with a fresh mid and current times, signed over the bytes Meta would send;
// `--list` names the kinds, `--dry-run` shows the delivery, its signature and a curl line instead. Any 2xx
// is a delivered event, as Meta counts it; an answer off the contract is a note, or a failure with --strict.
import type { Command } from 'commander';
import { Option } from 'commander';
import { deliveryKind, deliveryKinds, freshDelivery, metaJson, type Kind } from '../check/deliveries.js';
import { signedHeaders } from '../check/cases.js';
import { checkAgainstSpec, type Answer } from '../check/spec.js';
import { describeAnswer } from '../check/verdict.js';
import { isPushError } from '../push-error.js';
import type { ErrorBody } from '../types.js';
import { COMMAND_EXIT_CODES, CliError, EXIT, exitCodesHelp } from './exit-codes.js';
import { channelOption, headerOption, integer, jsonOption, retriesOption, secretOption, signatureOption, timeoutOption, URL_HELP, verboseOption, type PushCommandOptions } from './options.js';
import { failureText, mark, printJsonLine, printLine } from './output.js';
import { legacyOf } from './send.js';
import { didYouMean } from './suggest.js';
import { printTarget, receiverTarget, targetClient } from './target.js';

interface TriggerOptions extends PushCommandOptions {
  list?: boolean;
  count: number;
  accountId?: string;
  dryRun?: boolean;
  strict?: boolean;
}

/** One send's outcome, as printed by --json. */
export interface TriggerResult {
  kind: string;
  ok: boolean;
  /** HTTP status of the final answer; 0 when none came. */
  status: number;
  ms: number;
  /** The fresh message IDs the delivery carries. */
  mids: string[];
  attempts?: number;
  message?: string;
  error?: ErrorBody;
  /** How the answer deviates from the contract's (a 2xx Meta counts as delivered, with another body or content type). */
  notes?: string[];
}

export function registerTrigger(program: Command): void {
  program
    .command('trigger')
    .description("send one realistic event of a kind (the spec's named examples) with a fresh mid and current times, signed like Meta signs")
    .argument('[kind]', 'the kind of event: text, image, reaction, edit, standby, batch… (--list names them all)')
    .addOption(new Option('--list', 'list the kinds, one line each'))
    .addOption(new Option('--count <n>', 'send this many, each with its own mid and time').argParser(integer(1)).default(1))
    .addOption(new Option('--url <url>', URL_HELP).env('IG_PUSH_URL'))
    .addOption(channelOption())
    .addOption(secretOption())
    .addOption(signatureOption())
    .addOption(new Option('--account-id <id>', "put the entries under this Instagram account ID (what routing without --channel goes by)"))
    .addOption(new Option('--dry-run', 'send nothing: print the delivery, its signature and a curl line'))
    .addOption(headerOption())
    .addOption(retriesOption())
    .addOption(timeoutOption())
    .addOption(new Option('--strict', "fail (exit 1) on an answer that is not the contract's, even a 2xx Meta counts as delivered"))
    .addOption(jsonOption())
    .addOption(verboseOption())
    .addHelpText('after', TRIGGER_HELP + exitCodesHelp(COMMAND_EXIT_CODES.trigger, ['IG_PUSH_SECRET', 'IG_PUSH_URL']))
    .action(async (name: string | undefined, options: TriggerOptions) => {
      if (options.list) return void list(options.json);
      process.exitCode = await trigger(name, options);
    });
}

const TRIGGER_HELP = `
Any 2xx answer is a delivered event (exit 0), as Meta counts it. When the answer is not the contract's
(200 {"resultMsg":"200"} as application/json), for instance Meta's samples' EVENT_RECEIVED as text/html, a
note under the line says how it differs; with --strict such an answer fails (exit 1).
`;

/** How a delivered answer differs from the contract's, in words; none when it keeps it. */
function contractNotes(answer: Answer, route: 'account' | 'channel'): string[] {
  return checkAgainstSpec('POST', route, answer).map((p) => `not the contract's answer: expected ${p.expected}${p.detail ? ` (${p.detail})` : ''}, got ${describeAnswer(answer)} (${p.spec})`);
}

function list(json: boolean | undefined): void {
  const kinds = deliveryKinds();
  const width = Math.max(...kinds.map((k) => k.name.length));
  for (const k of kinds) {
    if (json) printJsonLine({ kind: k.name, summary: k.summary, example: k.example });
    else printLine(`${k.name.padEnd(width)}  ${k.summary}`);
  }
}

/** Single-quoted for a POSIX shell. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

async function trigger(name: string | undefined, options: TriggerOptions): Promise<number> {
  if (name === undefined) throw new CliError('name a kind to send (ig-push trigger --list names them)', EXIT.usage);
  const kind = deliveryKind(name);
  if (!kind) throw new CliError(`unknown kind "${name}"${didYouMean(name, deliveryKinds().map((k) => k.name))} (ig-push trigger --list names them)`, EXIT.usage);
  const target = receiverTarget(options.url, options.channel);
  if (options.dryRun) {
    for (let i = 0; i < options.count; i++) await dryRun(kind, target.url, options, i > 0);
    return EXIT.ok;
  }
  if (options.verbose && !options.json) printTarget(target, 'deliveries go to');
  // The last answer as it came, for what the parsed result cannot tell (content type, a body not JSON).
  const seen: { last?: Promise<Answer> } = {};
  const client = targetClient(
    target,
    { appSecret: options.secret || undefined, headers: options.header, retries: options.retries, timeoutMs: options.timeout, legacySignature: legacyOf(options.signature) },
    (response) => void (seen.last = response.text().then((body) => ({ status: response.status, contentType: response.headers.get('content-type') ?? '', body }))),
  );
  const route = target.channel === undefined ? 'account' : 'channel';
  const results: TriggerResult[] = [];
  for (let i = 0; i < options.count; i++) {
    const { delivery, mids } = freshDelivery(kind.value, { accountId: options.accountId });
    const started = performance.now();
    let result: TriggerResult;
    seen.last = undefined;
    try {
      // The exact bytes Meta would send; the client signs these bytes and sends them unchanged.
      await client.pushRaw(metaJson(delivery), { chanId: target.channel });
      result = { kind: kind.name, ok: true, status: 200, ms: Math.round(performance.now() - started), mids };
    } catch (err) {
      if (!isPushError(err)) throw err;
      result = { kind: kind.name, ok: false, status: err.status, ms: Math.round(performance.now() - started), mids, attempts: err.attempts, message: failureText(err), error: err.body };
    }
    const answer: Answer | undefined = await (seen.last as Promise<Answer> | undefined);
    if (answer && answer.status >= 200 && answer.status < 300) {
      // Delivered, as Meta counts it: any 2xx within the time, whatever the body.
      const notes = contractNotes(answer, route);
      result = { kind: kind.name, ok: !(options.strict && notes.length), status: answer.status, ms: result.ms, mids, ...(notes.length ? { notes } : {}) };
      if (!result.ok) result.message = `${describeAnswer(answer)}: ${notes[0]} (--strict)`;
    }
    results.push(result);
    if (options.json) printJsonLine(result);
    else printLine(resultLine(result));
  }
  const sent = { sent: results.length, accepted: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok && r.status !== 0).length, unanswered: results.filter((r) => r.status === 0).length };
  if (results.length > 1) {
    if (options.json) printJsonLine({ summary: sent });
    else printLine(`${sent.accepted}/${sent.sent} accepted, ${sent.refused} refused, ${sent.unanswered} unanswered`);
  }
  if (sent.unanswered > 0) return EXIT.unreachable;
  return sent.refused > 0 ? EXIT.rejected : EXIT.ok;
}

function resultLine(r: TriggerResult): string {
  const mids = r.mids.length === 0 ? '' : `  mid ${r.mids[0]}${r.mids.length > 1 ? ` (+${r.mids.length - 1} more)` : ''}`;
  if (r.ok) return [`${mark('ok')} ${r.kind}  ${r.status} (${r.ms} ms)${mids}`, ...(r.notes ?? []).map((n) => `      note: ${n}`)].join('\n');
  return `${mark(r.status === 0 ? 'error' : 'fail')} ${r.kind}  ${r.message}`;
}

async function dryRun(kind: Kind, url: string, options: TriggerOptions, separate: boolean): Promise<void> {
  const body = metaJson(freshDelivery(kind.value, { accountId: options.accountId }).delivery);
  const signed = await signedHeaders(body, options.secret || undefined, options.signature);
  const { 'content-type': _contentType, ...signatures } = signed;
  const signature = signatures['X-Hub-Signature-256'] ?? signatures['X-Hub-Signature'];
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...signatures, ...options.header };
  const curl = ['curl -sS -X POST', shellQuote(url), ...Object.entries(headers).map(([k, v]) => `-H ${shellQuote(`${k}: ${v}`)}`), '--data-binary', shellQuote(body)].join(' ');
  if (options.json) return printJsonLine({ kind: kind.name, url, signature: signature ?? null, signatures, body, curl });
  if (separate) printLine();
  printLine(`POST ${url}`);
  for (const [k, v] of Object.entries(headers)) printLine(`${k}: ${v}`);
  printLine();
  printLine(body);
  printLine();
  printLine(curl);
}
