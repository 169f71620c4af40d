#!/usr/bin/env node
// The entry point: the only place that reads argv (serve.ts reads env and files), and the commands
// beside serving (check, backup), each loading only what it needs. `npm start` runs this
// file. The arguments are parsed before the server is loaded (serve.ts, imported only to serve), so
// --help, --version and a bad option answer at once instead of after loading Express, the validator
// and the stores.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMAND, parseCommandLine, USAGE, UsageError, type CommandLineOptions } from './run/command-line.js';
import { SERVER_VERSION } from './run/version.js';
import type { RunningServer, ServeOptions } from './serve.js';

export type { RunningServer, ServeOptions } from './serve.js';

/** Starts the reference server (serve.ts); importing this module alone loads none of it. */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  return (await import('./serve.js')).serve(options);
}

/** True when Node was started with this file, directly or through a symlink (npm's bin links, npx). */
function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** `check`: one line per item on stdout; exits 0 all ok, 1 an item failed, 2 the configuration is bad. */
async function check(options: CommandLineOptions): Promise<never> {
  const { checkExitCode, CHECK_BAD_CONFIG, formatCheck, preflightSettings, runPreflight } = await import('./run/preflight.js');
  let settings;
  try {
    settings = preflightSettings(options, process.env);
  } catch (err) {
    if ((err as Error).name !== 'ConfigError') throw err;
    process.stdout.write(`${formatCheck({ item: 'config', ok: false, text: (err as Error).message })}\n`);
    process.exit(CHECK_BAD_CONFIG);
  }
  const checks = await runPreflight(settings);
  process.stdout.write(checks.map((c) => `${formatCheck(c)}\n`).join(''));
  process.exit(checkExitCode(checks));
}

/** `backup --to <file>`: the SQLite store copied while it serves; one line, on stdout or stderr. */
async function backup(to: string, dataDirOption: string | undefined): Promise<void> {
  if (process.env.DATABASE_URL) throw new UsageError('backup copies the embedded SQLite store; with PostgreSQL (DATABASE_URL) use pg_dump');
  const { backupSqliteStore } = await import('./inbox/sqlite-backup.js');
  const started = Date.now();
  const r = await backupSqliteStore(dataDirOption ?? process.env.DATA_DIR ?? './data', to);
  process.stdout.write(`backup: wrote ${r.file} (${r.events} events, ${r.bytes} bytes, ${Date.now() - started} ms)\n`);
}

if (isEntryPoint()) {
  try {
    const command = parseCommandLine(process.argv.slice(2));
    if (command.action === 'help') process.stdout.write(USAGE);
    else if (command.action === 'version') process.stdout.write(`${SERVER_VERSION}\n`);
    else if (command.action === 'check') await check(command.options);
    else if (command.action === 'backup') await backup(command.to, command.dataDir);
    else await serve({ ...(command.options satisfies CommandLineOptions), handleSignals: true });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${COMMAND}: ${err.message}\n`);
      process.exit(2);
    }
    // inbox/data-dir-lock.ts's DataDirLockedError: another server holds the data dir; its message names it.
    if (err instanceof Error && err.name === 'DataDirLockedError') {
      process.stderr.write(`${COMMAND}: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof Error && err.name === 'BackupError') {
      process.stderr.write(`${COMMAND}: backup failed: ${err.message}\n`);
      process.exit(1);
    }
    // run/config.ts's ConfigError, told by its name: importing the class would load ajv before any argument is read.
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`${COMMAND}: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${COMMAND}: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
