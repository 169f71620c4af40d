// The server command's arguments (`instagram-push-kit-server`, `npm start`): parsed and checked before
// anything starts, so a bad option is one line and exit code 2, never a warning followed by a crash.
import { parseArgs } from 'node:util';
import { closestName } from './closest-name.js';
import { parsePort as parsePortSetting } from './setting-grammar.js';

export const COMMAND = 'instagram-push-kit-server';

export const USAGE = `Usage: ${COMMAND} [options]              run the server
       ${COMMAND} check [options]        check a configuration without serving
       ${COMMAND} backup --to <file>     copy the embedded store while it serves

Run the reference server for the Instagram message push contract. Without a configuration file it is
an open sandbox (any channel, no signature required) that answers only this machine.

Options:
  --config <file>    channels configuration file (JSON)                 env CONFIG
  --port <port>      port to listen on, 0 picks a free one (default 8080)  env PORT
  --host <host>      interface to listen on (default 127.0.0.1)           env HOST
  --data-dir <dir>   folder of the embedded store (default ./data)        env DATA_DIR
  --to <file>        backup only: the file to write the copy to
  -h, --help         show this help
  -v, --version      show the version

One server per data dir: a second one started on the same folder exits with code 2, naming the
process that holds it. PostgreSQL (DATABASE_URL) is shared by any number of servers.

check: reads the configuration as the server would and prints one line per item (configuration,
store reachable and writable, data dir free, migrations pending, each relay destination answering,
ports free), then exits 0 if all are ok, 1 if one failed, 2 if the configuration is bad. It changes
nothing: no migration is applied, nothing written stays.

backup --to <file>: writes a consistent copy of the SQLite store of --data-dir (DATA_DIR) to <file>
while a server keeps serving from it. Restore: stop the server, copy the file to <data dir>/inbox.sqlite
in an empty data dir, start. Exits 0 when the copy is written, 1 when it failed. With PostgreSQL,
use pg_dump.

Logs: one readable line per event on a terminal, JSON lines otherwise; LOG_FORMAT=json or
LOG_FORMAT=pretty chooses. Every other setting is an environment variable (see the README).

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failed while starting or running,
2 usage or configuration error, or the data dir is held by another server.
`;

/** A bad argument or setting: main.ts prints it as one line and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandLineOptions {
  configPath?: string;
  port?: number;
  host?: string;
  dataDir?: string;
}

export type CommandLine =
  | { action: 'help' }
  | { action: 'version' }
  | { action: 'serve'; options: CommandLineOptions }
  | { action: 'check'; options: CommandLineOptions }
  | { action: 'backup'; to: string; dataDir?: string };

/** The commands besides serving, named as the first argument. */
const COMMANDS = ['check', 'backup'] as const;

const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  to: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** A port number from text: a whole number from 0 to 65535 (0 picks a free one). */
export function parsePort(text: string, from: string): number {
  try {
    return parsePortSetting(from, text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseCommandLine(argv: string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(--?[^'\s]+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
      const names = Object.keys(OPTIONS).map((k) => `--${k}`);
      throw new UsageError(`unknown option ${option} (did you mean ${closestName(option.split('=')[0]!, names)}?); ${COMMAND} --help lists the options`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument: ${e.message.match(/'([^']*)'/)?.[1] ?? argv.join(' ')}; ${COMMAND} --help lists the options`);
    throw new UsageError(`${e.message.replace(/\. To specify.*$/s, '')}; ${COMMAND} --help lists the options`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { action: 'help' };
  if (values.version) return { action: 'version' };
  const [command, extra] = positionals;
  const known = (COMMANDS as readonly string[]).includes(command ?? '');
  if ((command !== undefined && !known) || extra !== undefined) {
    throw new UsageError(`unexpected argument: ${(known ? extra : command)!}; ${COMMAND} --help lists the options (commands: ${COMMANDS.join(', ')})`);
  }
  for (const name of ['config', 'host', 'data-dir', 'to'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') throw new UsageError(`--${name} is empty`);
  }
  if (command === 'backup') {
    for (const name of ['config', 'port', 'host'] as const) {
      if (values[name] !== undefined) throw new UsageError(`backup takes --to and --data-dir, not --${name}`);
    }
    if (values.to === undefined) throw new UsageError(`backup needs --to <file>, the file to write the copy to`);
    return { action: 'backup', to: values.to, dataDir: values['data-dir'] };
  }
  if (values.to !== undefined) throw new UsageError(`--to is for the backup command (${COMMAND} backup --to <file>)`);
  return {
    action: command === 'check' ? 'check' : 'serve',
    options: {
      configPath: values.config,
      port: values.port === undefined ? undefined : parsePort(values.port, '--port'),
      host: values.host,
      dataDir: values['data-dir'],
    },
  };
}
