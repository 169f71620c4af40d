// What the entry point (main.ts) runs once its arguments are parsed: reads env and files into options
// and starts the server. Kept apart from main.ts so --help, --version and a bad option answer without
// loading any of this (main.ts imports it only to serve).
import type { Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { createApp } from './app.js';
import { loadConfigFile } from './run/config.js';
import { LOOPBACK_HOSTS } from './http/host-check.js';
import { createHttpServer, type HttpServerLimits } from './http/http-server.js';
import { createLogger, type Logger } from './run/logger.js';
import { prettyStream, type LogFormat } from './run/pretty-log.js';
import { startRetention } from './run/retention.js';
import { readSettings } from './run/settings.js';
import { checkDatabaseUrl } from './run/database-url.js';
import { checkStoreAtStart, type StoreWatch } from './run/store-startup.js';
import { trackConnections } from './run/shutdown.js';
import type { ReadLimits } from './read/read-limits.js';
import type { ForwarderOptions } from './relay/forwarder.js';
import { startRelay } from './relay/start-relay.js';
import { openStore } from './store/open-store.js';
import { startMetricsListener } from './metrics/listener.js';
import { createServerMetrics } from './metrics/server-metrics.js';
import { registerRelayMetrics, relayAttemptMetrics } from './metrics/relay.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  configPath?: string;
  dataDir?: string;
  bodyLimit?: number;
  logLevel?: string;
  /** json, or pretty (one readable line per event); default: LOG_FORMAT, else pretty on a terminal. */
  logFormat?: LogFormat;
  env?: Record<string, string | undefined>;
  /** Install SIGTERM/SIGINT handlers (the CLI and `npm start` do; tests do not). */
  handleSignals?: boolean;
  /**
   * Answer only requests addressed to this machine (loopback names and the listen name), as the open
   * sandbox does, even with a configuration: for a developer's server (`ig-push serve --forward-to`).
   */
  localHostsOnly?: boolean;
  /** Start even when the store fails for good (a refused password), and wait for it; default WAIT_FOR_STORE. */
  waitForStore?: boolean;
  /** Overrides of the relay's forwarder (the tests' retry policy, breaker, poll). */
  relay?: Partial<ForwarderOptions>;
}

export interface RunningServer {
  url: string;
  /** The METRICS_PORT listener's URL, when one was asked for. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * The Host names (lower case, without port; IPv6 in brackets) the open sandbox answers: loopback names and
 * the name it listens on. Undefined (any Host) when it listens on every interface, exposed on purpose.
 */
export function sandboxAllowedHosts(listenHost: string): string[] | undefined {
  let name = listenHost.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  // The URL parser writes an IPv6 address as a Host header carries it: shortest form, in brackets.
  if (isIPv6(name)) name = URL.canParse(`http://[${name}]/`) ? new URL(`http://[${name}]/`).hostname : `[${name}]`;
  if (name === '0.0.0.0' || name === '[::]') return undefined;
  return LOOPBACK_HOSTS.includes(name) ? [...LOOPBACK_HOSTS] : [...LOOPBACK_HOSTS, name];
}

/** Starts the reference server; resolves once it listens and its validator has been warmed up. */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  // Settings are checked before anything logs or opens, so a bad one is a single line (exit code 2).
  const settings = readSettings(env, { port: options.port, host: options.host, configPath: options.configPath, dataDir: options.dataDir, bodyLimit: options.bodyLimit, logLevel: options.logLevel, logFormat: options.logFormat, waitForStore: options.waitForStore }, Boolean(process.stdout.isTTY));
  const { port, logFormat, configPath, bodyLimit, retentionMs, waitForStore, metricsPort } = settings;
  const logger: Logger = createLogger({ level: settings.logLevel, destination: logFormat === 'pretty' ? prettyStream(process.stdout) : undefined });
  const config = configPath ? loadConfigFile(configPath, env) : undefined;
  const poolSize = settings.databasePoolSize;
  const limits: HttpServerLimits = { headersTimeoutMs: settings.headersTimeoutMs, requestTimeoutMs: settings.requestTimeoutMs, idleTimeoutMs: settings.idleTimeoutMs, maxConnections: settings.maxConnections };
  const reads: ReadLimits = { pageMaxBytes: settings.pageMaxBytes, searchConcurrency: settings.searchConcurrency, readPoolSize: settings.readPoolSize, readStatementTimeoutMs: settings.readStatementTimeoutMs };
  // An empty HOST (as `HOST=` in a compose file leaves it) would make listen() take every interface.
  const host = settings.host;
  // The sandbox answers anyone who can reach it, so by default only requests addressed to this machine's
  // loopback (a web page elsewhere cannot rebind its name here); a configured server answers any Host.
  const allowedHosts = config && !options.localHostsOnly ? undefined : sandboxAllowedHosts(host);
  const databaseUrl = settings.databaseUrl
    ? checkDatabaseUrl(settings.databaseUrl, 'DATABASE_URL')
    : config?.databaseUrl && checkDatabaseUrl(config.databaseUrl, `databaseUrl in ${configPath}`);
  const metrics = createServerMetrics({ channelIds: config?.channels.map((c) => c.id) });
  const dataDir = settings.dataDir;
  // The backend is chosen here once (store/open-store.ts): with it the SQLite data dir's lock and the relay's store.
  const store = openStore({
    observer: metrics.store,
    databaseUrl,
    poolSize,
    readPoolSize: reads.readPoolSize,
    readStatementTimeoutMs: reads.readStatementTimeoutMs,
    dataDir,
    // A database restart drops idle connections; the pool replaces them on the next request.
    onIdleError: (err, which) => logger.warn({ err: err.message }, `${which} database connection lost; reconnecting on demand`),
    logger,
  });
  // The relay's triggers are installed before the server listens, so no stored event misses its forwarding.
  const relay = startRelay({
    destinations: config?.destinations ?? [],
    store: store.relay,
    logger,
    forwarder: { observe: config?.destinations?.length ? relayAttemptMetrics(metrics.registry) : undefined, ...options.relay },
  });
  const inbox = relay ? relay.wrap(store.inbox) : store.inbox;
  if (relay) registerRelayMetrics(metrics.registry, { status: () => relay.outbox.status(), circuits: () => relay.forwarder.circuits() });
  let storeWatch: StoreWatch;
  try {
    storeWatch = await checkStoreAtStart(inbox, { wait: waitForStore, logger });
  } catch (err) {
    await relay?.stop();
    await inbox.close();
    store.release();
    throw err;
  }
  const app = createApp({
    inbox,
    channels: config?.channels,
    inboxToken: config?.inboxToken,
    metrics,
    metricsToken: config?.metricsToken,
    adminToken: config?.adminToken,
    relay: relay && { outbox: relay.outbox, live: () => relay.forwarder.live() },
    logger,
    bodyLimit,
    validateResponses: settings.validateResponses,
    allowedHosts,
    pageMaxBytes: reads.pageMaxBytes,
    searchConcurrency: reads.searchConcurrency,
  });
  if (!config) {
    logger.warn('NO CONFIGURATION: running as an OPEN SANDBOX. Any channel is accepted, no signature is required and any verify token passes. Set CONFIG (or --config) before exposing this server.');
    if (!allowedHosts) {
      logger.warn({ host }, `OPEN SANDBOX ON EVERY INTERFACE (HOST=${host}): anyone who can reach this port can push as any channel and read the inbox, whatever Host they address. Set CONFIG (or --config), or listen on 127.0.0.1.`);
    }
  }
  await app.warmUp();
  const server: Server = createHttpServer(app, { limits, logger });
  const connections = trackConnections(server);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const address = server.address() as { port: number };
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  logger.info({ url, channels: config?.channels.length ?? 0, sandbox: !config, allowedHosts, store: store.backend, limits, reads }, `listening on ${url} (docs at ${url}/docs, console at ${url}/inbox)`);
  // Loopback unless METRICS_HOST says otherwise: the text names channels and load, for the operator's scraper only.
  const metricsListener = metricsPort === undefined ? undefined : await startMetricsListener(metrics.registry, metricsPort, settings.metricsHost);
  if (metricsListener) logger.info({ url: `${metricsListener.url}/metrics` }, 'metrics served on their own port');
  const retention = retentionMs ? startRetention({ inbox, olderThanMs: retentionMs, logger }) : undefined;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const drained = connections.drain();
      app.endStreams();
      await drained;
      storeWatch.stop();
      await metricsListener?.close();
      metrics.stop();
      await retention?.stop();
      await relay?.stop();
      await inbox.close();
      store.release();
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
  return { url, metricsUrl: metricsListener?.url, close };
}
