// `ig-push check`: hold a receiver at any URL to the contract (the cases live in client/check/): a line
// per case, a summary with the latency, --json lines, a JUnit file for CI. Acceptance cases store
// events on the target, so the command asks first (or wants --yes); refusals and handshake store nothing.
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_BODY_LIMIT, DEFAULT_BUDGET_MS, GROUPS, type ConformanceOptions } from '../check/cases.js';
import { caseLines, summaryLine } from '../check/report.js';
import { toJUnit } from '../check/junit.js';
import { baseUrlOf, conformance, runConformance, type ConformanceCase } from '../check/runner.js';
import { spec, PUSH_PATH } from '../check/spec.js';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { receiverUrl } from './input.js';
import { headerOption, integer, jsonOption, secretOption, urlOption } from './options.js';
import { printJsonLine, printLine } from './output.js';

interface CheckOptions {
  url: string;
  channel: string;
  secret?: string;
  verifyToken?: string;
  accountId?: string;
  only?: string[];
  budget: number;
  bodyLimit: number;
  header: Record<string, string>;
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
Cases:
  handshake   the right verify token gets the challenge back exactly; a wrong token or hub.mode is refused
  acceptance  every kind of delivery Meta sends (the spec's named examples), signed, with fresh mids and
              current times: 200 {"resultMsg":"200"}, again 200 when redelivered, and with --account-id
              also on the path without {chanId}. These store events on the target.
  refusals    missing or wrong signature, malformed JSON, wrong content type, unknown channel, oversize
              body: each refused with the status and error code the spec names. These store nothing.
Every answer is also held to the spec (status listed, content type, body schema) and to the time Meta
allows. A deviation is reported with what the spec expects, what came back and the spec location, and
makes the exit code 1.
`;

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('hold a receiver to the contract: handshake, every kind of delivery, refusals, timing')
    .addOption(urlOption())
    .addOption(new Option('--channel <id>', 'the channel ID the receiver knows (deliveries go to /message/{chanId})').makeOptionMandatory())
    .addOption(secretOption())
    .addOption(new Option('--verify-token <token>', "the channel's verify token (the handshake cases need it)").env('IG_PUSH_VERIFY_TOKEN'))
    .addOption(new Option('--account-id <id>', "the channel's Instagram account ID: entries carry it, and the path without {chanId} is checked too"))
    .addOption(new Option('--only <list>', `run only these groups (${GROUPS.join(', ')}) or case IDs, comma-separated`).argParser(list))
    .addOption(new Option('--budget <ms>', 'the longest an answer may take').argParser(integer(1)).default(DEFAULT_BUDGET_MS, `${DEFAULT_BUDGET_MS}, what Meta allows`))
    .addOption(new Option('--body-limit <bytes>', "the receiver's body limit: the oversize case sends one byte more").argParser(integer(1)).default(DEFAULT_BODY_LIMIT))
    .addOption(headerOption())
    .addOption(jsonOption())
    .addOption(new Option('--junit <file>', 'also write the report as JUnit XML, for CI'))
    .addOption(new Option('--yes', 'go ahead without asking, although acceptance cases store events on the target'))
    .addHelpText('after', CHECK_HELP + EXIT_CODES_HELP)
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

async function check(options: CheckOptions): Promise<number> {
  receiverUrl(options.url);
  const conformanceOptions: ConformanceOptions = {
    url: options.url,
    channel: options.channel,
    secret: options.secret || undefined,
    verifyToken: options.verifyToken || undefined,
    accountId: options.accountId,
    only: options.only,
    budgetMs: options.budget,
    bodyLimit: options.bodyLimit,
    headers: options.header,
  };
  let cases: ConformanceCase[];
  try {
    cases = conformance(conformanceOptions);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
  const target = `${baseUrlOf(options.url)}${PUSH_PATH}/${encodeURIComponent(options.channel)}`;
  if (!options.yes && cases.some((c) => c.stores && !c.skip)) await confirm(cases, target);
  if (!options.json) {
    printLine(`Checking ${target} against spec ${spec.info.version}: ${cases.length} case${cases.length === 1 ? '' : 's'}`);
    if (options.accountId === undefined && cases.some((c) => c.group === 'acceptance')) printLine('(without --account-id, the path without {chanId} is not checked)');
  }
  const report = await runConformance(conformanceOptions, {
    onResult: (result) => {
      if (options.json) printJsonLine(result);
      else for (const line of caseLines(result)) printLine(line);
    },
  });
  if (report.unreachable) throw new CliError(report.unreachable, EXIT.unreachable);
  if (options.json) printJsonLine({ summary: { target: report.target, specVersion: report.specVersion, ...report.summary } });
  else printLine(summaryLine(report));
  if (options.junit) {
    try {
      await writeFile(options.junit, toJUnit(report));
    } catch (err) {
      throw new CliError(`cannot write ${options.junit}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  }
  return report.summary.failed > 0 ? EXIT.rejected : EXIT.ok;
}
