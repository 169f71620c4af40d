// `ig-push init`: the five-minute path. Writes a working server configuration (one channel, freshly
// generated secrets) and prints the next commands, which run the server, send an event and check it.
// Never overwrites a file without --force.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { CliError, EXIT } from './exit-codes.js';
import { integer, jsonOption } from './options.js';
import { printJsonLine, printLine } from './output.js';
import { ignoreInGit, type GitIgnoreOutcome } from './git-ignore.js';

interface InitOptions {
  file: string;
  channel: string;
  port: number;
  force?: boolean;
  json?: boolean;
}

export interface InitSecrets {
  appSecret: string;
  verifyToken: string;
  inboxToken: string;
}

// Channel IDs the server takes (config.ts); also what keeps the printed commands free of shell quoting.
const CHANNEL_ID = /^[A-Za-z0-9._-][A-Za-z0-9._~-]{0,127}$/;

/** 32 random bytes for the app secret (as Meta's are hex), 24 for each token, URL- and shell-safe. */
export function freshSecrets(): InitSecrets {
  return {
    appSecret: randomBytes(32).toString('hex'),
    verifyToken: randomBytes(24).toString('base64url'),
    inboxToken: randomBytes(24).toString('base64url'),
  };
}

/** Single-quoted for a POSIX shell when it holds anything but safe characters. */
const shellWord = (text: string) => (/^[A-Za-z0-9._\/:=@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** The commands that follow init: start the server, send one event, check the receiver. */
export function nextCommands(file: string, channel: string, port: number, secrets: InitSecrets): { start: string; trigger: string; console: string; check: string } {
  const url = `http://127.0.0.1:${port}`;
  const target = `--url ${url} --channel ${channel} --secret ${secrets.appSecret}`;
  return {
    start: `${port === 8080 ? '' : `PORT=${port} `}CONFIG=${shellWord(file)} npm start`,
    trigger: `npx ig-push trigger text ${target}`,
    console: `${url}/inbox#token=${secrets.inboxToken}`,
    check: `npx ig-push check ${target} --token ${secrets.verifyToken} --yes`,
  };
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a working server configuration (one channel, fresh secrets) and print the next commands')
    .addOption(new Option('--file <path>', 'where to write the configuration').default('config.json'))
    .addOption(new Option('--channel <id>', 'the channel ID').default('chan-a'))
    .addOption(new Option('--port <port>', 'the port the printed commands use').argParser(integer(1)).default(8080))
    .addOption(new Option('--force', 'overwrite the file if it exists'))
    .addOption(jsonOption())
    .addHelpText('after', `
Exit codes:
  0  the configuration was written
  2  usage error: the file exists (without --force), cannot be written, or a bad option`)
    .action(async (options: InitOptions) => init(options));
}

async function init(options: InitOptions): Promise<void> {
  if (!CHANNEL_ID.test(options.channel)) throw new CliError(`channel ID "${options.channel}" must be 1 to 128 of A-Z a-z 0-9 . _ ~ - (not starting with ~)`, EXIT.usage);
  if (options.port > 65535) throw new CliError(`--port ${options.port} is not a port (1 to 65535)`, EXIT.usage);
  const secrets = freshSecrets();
  const config = { channels: [{ id: options.channel, appSecret: secrets.appSecret, verifyToken: secrets.verifyToken, enabled: true }], inboxToken: secrets.inboxToken };
  try {
    // 'wx' fails when the file exists, atomically; 0600 because the file holds the secrets.
    await writeFile(options.file, `${JSON.stringify(config, null, 2)}\n`, { flag: options.force ? 'w' : 'wx', mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${options.file} already exists: pass --force to overwrite it (its secrets are lost), or --file to write elsewhere`, EXIT.usage);
    throw new CliError(`cannot write ${options.file}: ${code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message)}`, EXIT.usage);
  }
  const next = nextCommands(options.file, options.channel, options.port, secrets);
  const git = ignoreInGit(options.file);
  if (options.json) return printJsonLine({ file: options.file, channel: options.channel, ...secrets, gitignore: git.state, next });
  printLine(`Wrote ${options.file}: channel ${options.channel} with a fresh app secret, verify token and inbox token (readable by you only).`);
  printLine(gitNote(options.file, git));
  printLine();
  printLine('Next, from the repository (installed: npx instagram-push-kit-server --config FILE instead of npm start):');
  printLine(`  1. start the server (another terminal):  ${next.start}`);
  printLine(`  2. send an event:                         ${next.trigger}`);
  printLine(`     and see it in the console:            ${next.console}`);
  printLine(`  3. check the receiver:                    ${next.check}`);
}

/** One line on whether git will keep the secrets out of a commit. */
function gitNote(file: string, git: GitIgnoreOutcome): string {
  if (git.state === 'added') return `Added ${git.line} to ${git.root}/.gitignore: the file holds secrets, keep it out of git.`;
  if (git.state === 'ignored') return `git already ignores ${file}.`;
  return `${file} is not inside a git repository; if you move it into one, keep it out of git: it holds secrets.`;
}
