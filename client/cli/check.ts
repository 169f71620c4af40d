// `ig-push check`: hold a receiver at any URL to the contract (the cases live in client/check/): a line
// per case, a summary with the latency, --json lines, a JUnit file for CI. Acceptance cases store
// events on the target, so the command asks first (or wants --yes); refusals and handshake store nothing.
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BODY_LIMIT, DEFAULT_BUDGET_MS, GROUPS, PROFILES, targetOf, type ConformanceOptions, type Profile } from '../check/cases.js';
import { caseLines, causeLines, summaryLine } from '../check/report.js';
import { toJUnit } from '../check/junit.js';
import { conformance, runConformance, type ConformanceCase, type ConformanceReport, type RestartWait } from '../check/runner.js';
import { spec } from '../check/spec.js';
import { FORM_NAMES, ReceiverUrlError, type ReceiverTarget } from '../receiver-url.js';
import { COMMAND_EXIT_CODES, CliError, EXIT, exitCodesHelp } from './exit-codes.js';
import { duration, headerOption, integer, jsonOption, secretOption, signatureOption, urlOption, verifyTokenAlias, verifyTokenOption, type SIGNATURES } from './options.js';
import { printJsonLine, printLine } from './output.js';

interface CheckOptions {
  url: string;
  channel?: string;
  secret?: string;
  token?: string;
  verifyToken?: string;
  accountId?: string;
  only?: string[];
  budget: number;
  bodyLimit: number;
  profile: Profile;
  waitForRestart: number;
  header: Record<string, string>;
  signature: (typeof SIGNATURES)[number];
  json?: boolean;
  junit?: string;
  yes?: boolean;
}

function list(text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${GROUPS.join(', ')} or case IDs`);
  return items;
}

const CHECK_HELP = `
Cases (what each group sends):
  handshake   GET requests only, storing nothing: the right verify token gets the challenge back exactly; a
              wrong token, a wrong hub.mode, and a handshake without each hub.* parameter are refused.
  acceptance  POSTs every kind of delivery Meta sends (the spec's named examples), signed, with fresh mids and
              current times, then the largest delivery the limits allow and an event of an unknown kind:
              200 {"resultMsg":"200"}, again 200 when redelivered, and with --account-id also on the path
              without {chanId}. These store events on the target. After each, a handshake with a wrong
              token checks the receiver still answers.
  refusals    POSTs deliveries the receiver must refuse: no signature, only the legacy sha1 signature, a
              wrong sha256 beside a valid sha1, malformed JSON, text/plain, an unknown channel, one byte over
              --body-limit. A conforming receiver stores none of them; one that ignores signatures stores
              the signature cases' delivery (its text says it must be refused).
Every answer is also held to the spec (status listed, content type, body schema) and to the time Meta
allows. A deviation is reported once per case, with what the spec expects, what came back (an HTML body as
its text) and the spec location, and makes the exit code 1. With no answer at all, the exit code is 3 and
--junit still writes one failed case naming the cause.

Profiles (--profile; the report says which one judged):
  contract    the default: everything above, every answer held to this contract's spec.
  meta        only what Meta requires of any webhook receiver and what keeps it safe, whatever the body:
              the handshake echoes hub.challenge with 200 and refuses a wrong token (any 4xx); every
              delivery kind is answered 2xx within --budget, and 2xx again when redelivered; Meta's
              largest delivery (just under 1 MiB) is answered 2xx; a delivery with no signature, only the
              legacy sha1 one, or a wrong sha256 is refused (any 4xx); the receiver keeps answering after
              each delivery. For a receiver that is a team's own app (Meta's samples answer EVENT_RECEIVED).

Every planned case is accounted for: a case that cannot run (an option it needs is missing, the URL has no
place for a channel, the receiver stopped answering) is reported skipped with its reason, so conform +
deviate + skipped is always the number planned. With --wait-for-restart, a receiver that stopped answering
after a case is polled with the handshake for up to that long (a supervisor restarting it), and the run
goes on when it answers again.
`;

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('hold a receiver to the contract: handshake, every kind of delivery, refusals, timing')
    .addOption(urlOption())
    .addOption(new Option('--channel <id>', 'the channel ID the receiver knows (not needed when --url names it, or is the receiver\'s own URL)'))
    .addOption(secretOption())
    .addOption(signatureOption())
    .addOption(verifyTokenOption())
    .addOption(verifyTokenAlias())
    .addOption(new Option('--account-id <id>', "the channel's Instagram account ID: entries carry it, and the path without {chanId} is checked too"))
    .addOption(new Option('--only <list>', `run only these groups (${GROUPS.join(', ')}) or case IDs, comma-separated`).argParser(list))
    .addOption(new Option('--budget <duration>', 'the longest an answer may take: 800ms, 5s (a bare number is milliseconds)').argParser(duration(1)).default(DEFAULT_BUDGET_MS, `5s, what Meta allows`))
    .addOption(new Option('--body-limit <bytes>', "the receiver's body limit: the oversize case sends one byte more, the largest delivery 1 KiB less (contract profile)").argParser(integer(1)).default(DEFAULT_BODY_LIMIT))
    .addOption(new Option('--profile <name>', 'what judges the receiver: the whole contract, or only what Meta requires and what keeps it safe').choices(PROFILES).default('contract'))
    .addOption(new Option('--wait-for-restart <duration>', 'when the receiver stops answering after a case, wait up to this long for it to answer again (e.g. 10s), then go on').argParser(duration(0)).default(0, 'no wait: the cases left are skipped'))
    .addOption(headerOption())
    .addOption(jsonOption())
    .addOption(new Option('--junit <file>', 'also write the report as JUnit XML, for CI'))
    .addOption(new Option('--yes', 'go ahead without asking, although acceptance cases store events on the target'))
    .addHelpText('after', CHECK_HELP + exitCodesHelp(COMMAND_EXIT_CODES.check))
    .action(async (options: CheckOptions) => {
      process.exitCode = await check(options);
    });
}

/** Says what the acceptance cases will store and asks; without a terminal to ask on, --yes is needed. */
async function confirm(cases: ConformanceCase[], target: string): Promise<void> {
  const storing = cases.filter((c) => c.stores && !c.skip).length;
  const what = `${storing} acceptance case${storing === 1 ? '' : 's'} store events on ${target} (new conversations, fresh mids)`;
  if (!process.stdin.isTTY) throw new CliError(`${what}: pass --yes to go ahead, or --only handshake,refusals to store nothing`, EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}. Go ahead? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('stopped: nothing was sent', EXIT.usage);
  } finally {
    rl.close();
  }
}

/** The resolved URLs, printed at the top of the report. */
function urlLines(target: ReceiverTarget, accountChecked: boolean): string[] {
  const lines = [`  --url ${target.given}: ${FORM_NAMES[target.form]}`, `  deliveries and the handshake: ${target.url}`];
  if (target.accountUrl && accountChecked) lines.push(`  by account ID:                ${target.accountUrl}`);
  if (target.channelUrl) lines.push(`  an unknown channel:           ${target.channelUrl('ig-push-check-RANDOM')}`);
  return lines;
}

async function writeJUnit(file: string | undefined, report: ConformanceReport): Promise<void> {
  if (!file) return;
  try {
    await writeFile(file, toJUnit(report));
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
}

/** `waiting: …` once the wait for a receiver that stopped answering is over, either way. */
function waitLine(wait: RestartWait, limitMs: number): string {
  return wait.answered
    ? `waited: the receiver answered again ${wait.waitedMs} ms after ${wait.after} stopped it; going on with the remaining cases`
    : `waited: the receiver did not answer again within ${limitMs} ms after ${wait.after}; the remaining cases are skipped`;
}

async function check(options: CheckOptions): Promise<number> {
  const conformanceOptions: ConformanceOptions = {
    url: options.url,
    channel: options.channel,
    secret: options.secret || undefined,
    verifyToken: options.token || options.verifyToken || undefined,
    accountId: options.accountId,
    only: options.only,
    budgetMs: options.budget,
    bodyLimit: options.bodyLimit,
    headers: options.header,
    signatures: options.signature,
    profile: options.profile,
    waitForRestartMs: options.waitForRestart,
  };
  let cases: ConformanceCase[];
  let target: ReceiverTarget;
  try {
    target = targetOf(conformanceOptions);
    cases = conformance(conformanceOptions);
  } catch (err) {
    throw new CliError(`${err instanceof ReceiverUrlError ? '--url ' : ''}${(err as Error).message}`, EXIT.usage);
  }
  if (!options.yes && cases.some((c) => c.stores && !c.skip)) await confirm(cases, target.url);
  if (!options.json) {
    const by = options.profile === 'meta' ? "Meta's rules (profile meta)" : `spec ${spec.info.version} (profile contract)`;
    printLine(`Checking ${target.url} against ${by}: ${cases.length} case${cases.length === 1 ? '' : 's'} planned`);
    for (const line of urlLines(target, options.accountId !== undefined)) printLine(line);
    if (options.profile !== 'meta' && options.accountId === undefined && target.accountUrl && cases.some((c) => c.group === 'acceptance')) printLine('  (without --account-id, the path without {chanId} is not checked)');
  }
  const report = await runConformance(conformanceOptions, {
    onResult: (result) => {
      if (options.json) printJsonLine(result);
      else for (const line of caseLines(result)) printLine(line);
    },
    onWait: (wait) => {
      if (options.json) printJsonLine({ wait });
      else printLine(waitLine(wait, options.waitForRestart));
    },
  });
  // The JUnit file first: CI shows why even when nothing answered.
  await writeJUnit(options.junit, report);
  if (report.unreachable) throw new CliError(report.unreachable, EXIT.unreachable);
  if (options.json) {
    const stopped = report.stoppedAnsweringAfter ? { stoppedAnsweringAfter: report.stoppedAnsweringAfter } : {};
    printJsonLine({ summary: { target: report.target, url: report.url, specVersion: report.specVersion, profile: report.profile, planned: cases.length, ...stopped, ...report.summary } });
  } else {
    const skippedAfter = report.summary.skipped && report.stoppedAnsweringAfter ? report.cases.filter((c) => c.skipped?.startsWith('not run:')).length : 0;
    if (report.stoppedAnsweringAfter) printLine(`stopped: the receiver answered ${report.stoppedAnsweringAfter}, then nothing more; ${skippedAfter ? `the ${skippedAfter} case${skippedAfter === 1 ? '' : 's'} after it skipped` : 'it was the last case'}`);
    printLine(summaryLine(report));
    for (const line of causeLines(report)) printLine(line);
  }
  return report.summary.failed > 0 ? EXIT.rejected : EXIT.ok;
}
