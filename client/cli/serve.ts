// `ig-push serve`: run the reference server, from the separate package instagram-push-kit-server, loaded
// only when this command runs: a user who only sends deliveries never installs the server.
import type { Command } from 'commander';
import { Option } from 'commander';
import { COMMAND_EXIT_CODES, CliError, EXIT, exitCodesHelp } from './exit-codes.js';
import { portOption } from './options.js';

export const SERVER_PACKAGE = 'instagram-push-kit-server';

type ServerModule = typeof import('instagram-push-kit-server');

/** The server package, or a one-line usage error saying how to install it when it is not installed. */
export async function loadServer(load: () => Promise<ServerModule> = () => import('instagram-push-kit-server')): Promise<ServerModule> {
  try {
    return await load();
  } catch (err) {
    const e = err as Error & { code?: string };
    // Only the package itself missing; a dependency missing inside an installed server is a real error.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${SERVER_PACKAGE}'`)) {
      throw new CliError(`serve needs the server package: npm install ${SERVER_PACKAGE}`, EXIT.usage);
    }
    throw err;
  }
}

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
    .addHelpText('after', exitCodesHelp(COMMAND_EXIT_CODES.serve, []))
    .action(async (options: ServeCliOptions) => {
      const { serve } = await loadServer();
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
