// The entry point: the only place that reads env, argv and files. `npm start` runs this file.
import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createApp } from './app.js';
import { ConfigError, loadConfigFile } from './config.js';
import { openInbox } from './inbox/open-inbox.js';
import { createLogger, type Logger } from './logger.js';
import { parseDuration, startRetention } from './retention.js';
import { trackConnections } from './shutdown.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  configPath?: string;
  dataDir?: string;
  bodyLimit?: number;
  logLevel?: string;
  env?: Record<string, string | undefined>;
  /** Install SIGTERM/SIGINT handlers (the CLI and `npm start` do; tests do not). */
  handleSignals?: boolean;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

function parseSize(text: string): number {
  const m = /^(\d+)\s*(b|kb|kib|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`BODY_LIMIT "${text}" is not a size (e.g. 1048576, 512kb, 2mb)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
}

/** Starts the reference server; resolves once it listens and its validator has been warmed up. */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger: Logger = createLogger({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info' });
  const configPath = options.configPath ?? env.CONFIG;
  const config = configPath ? loadConfigFile(configPath, env) : undefined;
  const bodyLimit = options.bodyLimit ?? (env.BODY_LIMIT ? parseSize(env.BODY_LIMIT) : undefined);
  const retentionMs = env.RETENTION ? parseDuration(env.RETENTION) : undefined;
  const poolSize = env.DATABASE_POOL_SIZE ? Number(env.DATABASE_POOL_SIZE) : undefined;
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0)) throw new ConfigError(`DATABASE_POOL_SIZE "${env.DATABASE_POOL_SIZE}" is not a positive integer`);
  const databaseUrl = env.DATABASE_URL ?? config?.databaseUrl;
  const inbox = openInbox({
    databaseUrl,
    poolSize,
    dataDir: options.dataDir ?? env.DATA_DIR ?? './data',
    // A database restart drops idle connections; the pool replaces them on the next request.
    onIdleError: (err) => logger.warn({ err: err.message }, 'inbox database connection lost; reconnecting on demand'),
  });
  if (!(await inbox.ready())) logger.warn('the inbox store is not reachable yet: pushes answer 500 and /readyz 503 until it is');
  const app = createApp({
    inbox,
    channels: config?.channels,
    inboxToken: config?.inboxToken,
    logger,
    bodyLimit,
    validateResponses: env.VALIDATE_RESPONSES !== 'false',
  });
  if (!config) {
    logger.warn('NO CONFIGURATION: running as an OPEN SANDBOX. Any channel is accepted, no signature is required and any verify token passes. Set CONFIG (or --config) before exposing this server.');
  }
  await app.warmUp();
  const server: Server = createServer(app);
  server.keepAliveTimeout = 65_000;
  const connections = trackConnections(server);
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  const port = options.port ?? Number(env.PORT ?? 8080);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const address = server.address() as { port: number };
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info({ url, channels: config?.channels.length ?? 0, sandbox: !config, store: databaseUrl ? 'postgresql' : 'sqlite' }, `listening on ${url} (docs at ${url}/docs, console at ${url}/inbox)`);
  const retention = retentionMs ? startRetention({ inbox, olderThanMs: retentionMs, logger }) : undefined;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const drained = connections.drain();
      app.endStreams();
      await drained;
      await retention?.stop();
      await inbox.close();
      logger.info('stopped');
    })());

  if (options.handleSignals) {
    let signals = 0;
    const onSignal = (signal: string) => {
      if (++signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      close().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url, close };
}

function cliOptions(argv: string[]): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  return {
    configPath: values.config,
    port: values.port === undefined ? undefined : Number(values.port),
    host: values.host,
    dataDir: values['data-dir'],
    handleSignals: true,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await serve(cliOptions(process.argv.slice(2)));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`instagram-push-kit: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`instagram-push-kit: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
