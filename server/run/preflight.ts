// `instagram-push-kit-server check`, like `nginx -t`: the settings read as the server reads them, then one
// line per item (preflight-probes.ts) and an exit code a script can branch on. It serves nothing and
// changes nothing.
import { resolve } from 'node:path';
import type { CommandLineOptions } from './command-line.js';
import { parsePort } from './command-line.js';
import { ConfigError, loadConfigFile, type ServerConfig } from './config.js';
import { chooseLogFormat } from './pretty-log.js';
import { parseDuration } from './retention.js';
import { readLimits } from '../read/read-limits.js';
import { checkDataDirFree, checkDataDirWritable, checkDestination, checkPort, checkPostgres, checkSqliteMigrations, type Check } from './preflight-probes.js';

export type { Check } from './preflight-probes.js';

/** What the check looks at, read from options and env as serve.ts reads them. */
export interface PreflightSettings {
  configPath?: string;
  config?: ServerConfig;
  dataDir: string;
  databaseUrl?: string;
  port: number;
  host: string;
  metricsPort?: number;
  metricsHost: string;
  /** How long each network probe (destination, database) may take. */
  timeoutMs: number;
}

/** Exit codes: every item ok, an item failed, the configuration itself is bad. */
export const CHECK_OK = 0;
export const CHECK_FAILED = 1;
export const CHECK_BAD_CONFIG = 2;

const PROBE_TIMEOUT_MS = 5000;

function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof ConfigError ? err : new ConfigError((err as Error).message);
  }
}

/**
 * Reads the settings the way serve.ts does (the same parsers for the same variables); a bad one throws
 * ConfigError, which the check reports as its configuration line and exit code 2.
 */
export function preflightSettings(options: CommandLineOptions, env: Record<string, string | undefined>): PreflightSettings {
  const port = options.port ?? (env.PORT ? asConfigError(() => parsePort(env.PORT!, 'PORT')) : 8080);
  asConfigError(() => chooseLogFormat(env.LOG_FORMAT, false));
  if (env.RETENTION) parseDuration(env.RETENTION);
  readLimits(env);
  const poolSize = env.DATABASE_POOL_SIZE ? Number(env.DATABASE_POOL_SIZE) : undefined;
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0)) throw new ConfigError(`DATABASE_POOL_SIZE "${env.DATABASE_POOL_SIZE}" is not a positive integer`);
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : undefined;
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)) throw new ConfigError(`METRICS_PORT "${env.METRICS_PORT}" is not a port number`);
  const configPath = options.configPath ?? env.CONFIG;
  const config = configPath ? loadConfigFile(configPath, env) : undefined;
  return {
    configPath,
    config,
    dataDir: options.dataDir ?? env.DATA_DIR ?? './data',
    databaseUrl: env.DATABASE_URL ?? config?.databaseUrl,
    port,
    host: options.host ?? (env.HOST || '127.0.0.1'),
    metricsPort,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    timeoutMs: PROBE_TIMEOUT_MS,
  };
}

/** The configuration's own line: what it configures, in a few words. */
export function configLine(settings: Pick<PreflightSettings, 'configPath' | 'config'>): Check {
  const { configPath, config } = settings;
  if (!config) return { item: 'config', ok: true, text: 'none: an open sandbox (any channel, no signature required); set CONFIG (--config) before exposing it' };
  const destinations = config.destinations?.length ?? 0;
  return { item: 'config', ok: true, text: `${resolve(configPath!)} is valid: ${config.channels.length} channel(s), ${destinations} relay destination(s)` };
}

/** Every item, in a fixed order: configuration, store, relay destinations, ports. */
export async function runPreflight(settings: PreflightSettings): Promise<Check[]> {
  const store = settings.databaseUrl
    ? await checkPostgres(settings.databaseUrl, settings.timeoutMs)
    : [checkDataDirWritable(settings.dataDir), checkDataDirFree(settings.dataDir), checkSqliteMigrations(settings.dataDir)];
  const destinations = await Promise.all((settings.config?.destinations ?? []).map((d) => checkDestination(d, settings.timeoutMs)));
  const ports = [await checkPort('port', 'PORT', settings.port, settings.host)];
  if (settings.metricsPort !== undefined) ports.push(await checkPort('metrics port', 'METRICS_PORT', settings.metricsPort, settings.metricsHost));
  return [configLine(settings), ...store, ...destinations, ...ports];
}

/** "ok    store: …" or "FAIL  store: …": the verdict first, so `grep FAIL` finds what to fix. */
export function formatCheck(check: Check): string {
  return `${check.ok ? 'ok  ' : 'FAIL'}  ${check.item}: ${check.text}`;
}

export function checkExitCode(checks: Check[]): number {
  return checks.every((c) => c.ok) ? CHECK_OK : CHECK_FAILED;
}
