#!/usr/bin/env node
// The entry point: the only place that reads argv (serve.ts reads env and files). `npm start` runs this
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

if (isEntryPoint()) {
  try {
    const command = parseCommandLine(process.argv.slice(2));
    if (command.action === 'help') process.stdout.write(USAGE);
    else if (command.action === 'version') process.stdout.write(`${SERVER_VERSION}\n`);
    else await serve({ ...(command.options satisfies CommandLineOptions), handleSignals: true });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${COMMAND}: ${err.message}\n`);
      process.exit(2);
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
