// What the entry point (main.ts) runs once its arguments are parsed: reads env and files into options
// and starts the server. Kept apart from main.ts so --help, --version and a bad option answer without
// loading any of this (main.ts imports it only to serve).
import type { Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { createApp } from './app.js';
import { parsePort } from './run/command-line.js';
import { ConfigError, loadConfigFile } from './run/config.js';
import { LOOPBACK_HOSTS } from './http/host-check.js';
import { createHttpServer, DEFAULT_HTTP_LIMITS, type HttpServerLimits } from './http/http-server.js';
import { createLogger, type Logger } from './run/logger.js';
import { chooseLogFormat, prettyStream, type LogFormat } from './run/pretty-log.js';
import { parseDuration, startRetention } from './run/retention.js';
import { checkDatabaseUrl } from './run/database-url.js';
import { checkStoreAtStart, type StoreWatch } from './run/store-startup.js';
import { trackConnections } from './run/shutdown.js';
import { readLimits } from './read/read-limits.js';
import type { ForwarderOptions } from './relay/forwarder.js';
import { startRelay } from './relay/start-relay.js';
import { openStore } from './store/open-store.js';
import { FEED_KEEP_ALIVE_MS } from './routes/feed.js';
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

function parseSize(text: string): number {
  const m = /^(\d+)\s*(b|kb|kib|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`BODY_LIMIT "${text}" is not a size (e.g. 1048576, 512kb, 2mb)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
// Past 2^31 - 1 ms Node's timers fire at once; a day is already far beyond any sane limit.
const LONGEST_DURATION_MS = 86_400_000;

/** "30s", "500ms", "2m" or plain milliseconds → milliseconds, above 0 and at most a day. */
function parseMs(name: string, text: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) throw new ConfigError(`${name} "${text}" is not a duration (e.g. 30s, 500ms, or milliseconds)`);
  const ms = Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!;
  if (!(ms > 0 && ms <= LONGEST_DURATION_MS)) throw new ConfigError(`${name} "${text}" must be above 0 and at most 24 hours`);
  return ms;
}

function httpLimits(env: Record<string, string | undefined>): HttpServerLimits {
  const requestTimeoutMs = env.REQUEST_TIMEOUT ? parseMs('REQUEST_TIMEOUT', env.REQUEST_TIMEOUT) : DEFAULT_HTTP_LIMITS.requestTimeoutMs;
  const headersTimeoutMs = env.HEADERS_TIMEOUT ? parseMs('HEADERS_TIMEOUT', env.HEADERS_TIMEOUT) : Math.min(DEFAULT_HTTP_LIMITS.headersTimeoutMs, requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError(`HEADERS_TIMEOUT (${headersTimeoutMs} ms) must not be longer than REQUEST_TIMEOUT (${requestTimeoutMs} ms)`);
  const idleTimeoutMs = env.IDLE_TIMEOUT ? parseMs('IDLE_TIMEOUT', env.IDLE_TIMEOUT) : DEFAULT_HTTP_LIMITS.idleTimeoutMs;
  if (idleTimeoutMs <= FEED_KEEP_ALIVE_MS) throw new ConfigError(`IDLE_TIMEOUT "${env.IDLE_TIMEOUT}" must be longer than the live feed's ${FEED_KEEP_ALIVE_MS / 1000} s keep-alive, or quiet feeds are cut`);
  const text = env.MAX_CONNECTIONS;
  const maxConnections = text ? Number(text.trim()) : DEFAULT_HTTP_LIMITS.maxConnections;
  if (text && !(/^\s*\d+\s*$/.test(text) && Number.isSafeInteger(maxConnections) && maxConnections > 0)) {
    throw new ConfigError(`MAX_CONNECTIONS "${text}" is not a positive whole number`);
  }
  return { headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, maxConnections };
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
  const port = options.port ?? (env.PORT ? portFromEnv(env.PORT) : 8080);
  const logFormat = options.logFormat ?? logFormatFromEnv(env.LOG_FORMAT);
  const logger: Logger = createLogger({ level: options.logLevel ?? env.LOG_LEVEL ?? 'info', destination: logFormat === 'pretty' ? prettyStream(process.stdout) : undefined });
  const configPath = options.configPath ?? env.CONFIG;
  const config = configPath ? loadConfigFile(configPath, env) : undefined;
  const bodyLimit = options.bodyLimit ?? (env.BODY_LIMIT ? parseSize(env.BODY_LIMIT) : undefined);
  const retentionMs = env.RETENTION ? parseDuration(env.RETENTION) : undefined;
  const poolSize = env.DATABASE_POOL_SIZE ? Number(env.DATABASE_POOL_SIZE) : undefined;
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0)) throw new ConfigError(`DATABASE_POOL_SIZE "${env.DATABASE_POOL_SIZE}" is not a positive integer`);
  const limits = httpLimits(env);
  const reads = readLimits(env);
  // An empty HOST (as `HOST=` in a compose file leaves it) would make listen() take every interface.
  const host = options.host ?? (env.HOST || '127.0.0.1');
  // The sandbox answers anyone who can reach it, so by default only requests addressed to this machine's
  // loopback (a web page elsewhere cannot rebind its name here); a configured server answers any Host.
  const allowedHosts = config ? undefined : sandboxAllowedHosts(host);
  const databaseUrl = env.DATABASE_URL
    ? checkDatabaseUrl(env.DATABASE_URL, 'DATABASE_URL')
    : config?.databaseUrl && checkDatabaseUrl(config.databaseUrl, `databaseUrl in ${configPath}`);
  const waitForStore = options.waitForStore ?? (env.WAIT_FOR_STORE ? parseSwitch('WAIT_FOR_STORE', env.WAIT_FOR_STORE) : false);
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : undefined;
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)) throw new ConfigError(`METRICS_PORT "${env.METRICS_PORT}" is not a port number`);
  const metrics = createServerMetrics({ channelIds: config?.channels.map((c) => c.id) });
  const dataDir = options.dataDir ?? env.DATA_DIR ?? './data';
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
    validateResponses: env.VALIDATE_RESPONSES !== 'false',
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
  const metricsListener = metricsPort === undefined ? undefined : await startMetricsListener(metrics.registry, metricsPort, env.METRICS_HOST || '127.0.0.1');
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

/** true/false (also 1/0, yes/no) → a boolean; anything else is a configuration error naming the variable. */
function parseSwitch(name: string, text: string): boolean {
  const value = text.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} "${text}" is not true or false`);
}

function portFromEnv(text: string): number {
  try {
    return parsePort(text, 'PORT');
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function logFormatFromEnv(text: string | undefined): LogFormat {
  try {
    return chooseLogFormat(text, Boolean(process.stdout.isTTY));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
