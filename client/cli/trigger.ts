// `ig-push trigger <kind>`: send one realistic event of a kind (the spec's named examples, see
// client/check/deliveries.ts) with a fresh mid and current times, signed over the bytes Meta would send;
// `--list` names the kinds, `--dry-run` shows the delivery, its signature and a curl line instead.
import type { Command } from 'commander';
import { Option } from 'commander';
import { deliveryKind, deliveryKinds, freshDelivery, metaJson, type Kind } from '../check/deliveries.js';
import { baseUrlOf } from '../check/runner.js';
import { PUSH_PATH } from '../check/spec.js';
import { createPushClient } from '../push-client.js';
import { isPushError } from '../push-error.js';
import { SIGNATURE_HEADER, signPayload } from '../signature.js';
import type { ErrorBody } from '../types.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { receiverUrl } from './input.js';
import { channelOption, headerOption, integer, jsonOption, retriesOption, secretOption, timeoutOption } from './options.js';
import { mark, printJsonLine, printLine } from './output.js';

interface TriggerOptions {
  list?: boolean;
  count: number;
  url?: string;
  channel?: string;
  secret?: string;
  accountId?: string;
  dryRun?: boolean;
  header: Record<string, string>;
  retries: number;
  timeout: number;
  json?: boolean;
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
}

export function registerTrigger(program: Command): void {
  program
    .command('trigger')
    .description("send one realistic event of a kind (the spec's named examples) with a fresh mid and current times, signed like Meta signs")
    .argument('[kind]', 'the kind of event: text, image, reaction, edit, standby, batch… (--list names them all)')
    .addOption(new Option('--list', 'list the kinds, one line each'))
    .addOption(new Option('--count <n>', 'send this many, each with its own mid and time').argParser(integer(1)).default(1))
    .addOption(new Option('--url <url>', 'base URL of the receiver, e.g. http://127.0.0.1:8080').env('IG_PUSH_URL'))
    .addOption(channelOption())
    .addOption(secretOption())
    .addOption(new Option('--account-id <id>', "put the entries under this Instagram account ID (what routing without --channel goes by)"))
    .addOption(new Option('--dry-run', 'send nothing: print the delivery, its signature and a curl line'))
    .addOption(headerOption())
    .addOption(retriesOption())
    .addOption(timeoutOption())
    .addOption(jsonOption())
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string | undefined, options: TriggerOptions) => {
      if (options.list) return void list(options.json);
      process.exitCode = await trigger(name, options);
    });
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
  if (!kind) throw new CliError(`unknown kind "${name}" (ig-push trigger --list names them)`, EXIT.usage);
  if (!options.url) throw new CliError("required option '--url <url>' not specified", EXIT.usage);
  const base = baseUrlOf(receiverUrl(options.url));
  const url = `${base}${PUSH_PATH}${options.channel === undefined ? '' : `/${encodeURIComponent(options.channel)}`}`;
  if (options.dryRun) {
    for (let i = 0; i < options.count; i++) await dryRun(kind, url, options, i > 0);
    return EXIT.ok;
  }
  const client = createPushClient({ baseUrl: base, appSecret: options.secret || undefined, headers: options.header, retries: options.retries, timeoutMs: options.timeout });
  const results: TriggerResult[] = [];
  for (let i = 0; i < options.count; i++) {
    const { delivery, mids } = freshDelivery(kind.value, { accountId: options.accountId });
    const started = performance.now();
    let result: TriggerResult;
    try {
      // The exact bytes Meta would send; the client signs these bytes and sends them unchanged.
      await client.pushRaw(metaJson(delivery), { chanId: options.channel });
      result = { kind: kind.name, ok: true, status: 200, ms: Math.round(performance.now() - started), mids };
    } catch (err) {
      if (!isPushError(err)) throw err;
      result = { kind: kind.name, ok: false, status: err.status, ms: Math.round(performance.now() - started), mids, attempts: err.attempts, message: err.message, error: err.body };
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
  if (r.ok) return `${mark('ok')} ${r.kind}  200 (${r.ms} ms)${mids}`;
  return `${mark(r.status === 0 ? 'error' : 'fail')} ${r.kind}  ${r.message}`;
}

async function dryRun(kind: Kind, url: string, options: TriggerOptions, separate: boolean): Promise<void> {
  const body = metaJson(freshDelivery(kind.value, { accountId: options.accountId }).delivery);
  const signature = options.secret ? await signPayload(body, options.secret) : undefined;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}), ...options.header };
  const curl = ['curl -sS -X POST', shellQuote(url), ...Object.entries(headers).map(([k, v]) => `-H ${shellQuote(`${k}: ${v}`)}`), '--data-binary', shellQuote(body)].join(' ');
  if (options.json) return printJsonLine({ kind: kind.name, url, signature: signature ?? null, body, curl });
  if (separate) printLine();
  printLine(`POST ${url}`);
  for (const [k, v] of Object.entries(headers)) printLine(`${k}: ${v}`);
  printLine();
  printLine(body);
  printLine();
  printLine(curl);
}
