// `ig-push serve`: run the reference server. Loaded lazily so the client never depends on the server.
import type { Command } from 'commander';
import { Option } from 'commander';
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { portOption } from './options.js';

interface ServeCliOptions {
  port: number;
  host: string;
  config?: string;
  dataDir?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the reference server (an open sandbox accepting any channel unless --config is given)')
    .addOption(portOption().env('PORT'))
    .addOption(new Option('--host <host>', 'interface to listen on').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--config <file>', 'channels configuration file (JSON)').env('CONFIG'))
    .addOption(new Option('--data-dir <dir>', 'where the inbox database lives (default ./data)').env('DATA_DIR'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (options: ServeCliOptions) => {
      const { serve } = await import('../../server/main.js');
      try {
        // The server logs its own "listening on …" line; SIGINT/SIGTERM drain requests in flight, then exit.
        await serve({ port: options.port, host: options.host, configPath: options.config, dataDir: options.dataDir, handleSignals: true });
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.name === 'ConfigError') throw new CliError(`configuration error: ${e.message}`, EXIT.usage);
        throw new CliError(`server failed to start: ${e.code === 'EADDRINUSE' ? `port ${options.port} is in use` : e.message}`, EXIT.usage);
      }
    });
}
