// `instagram-push-kit-server check`, like `nginx -t`: the settings read as the server reads them, then one
// line per item (preflight-probes.ts) and an exit code a script can branch on. It serves nothing and
// changes nothing.
import { resolve } from 'node:path';
import type { CommandLineOptions } from './command-line.js';
import { loadConfigFile, type ServerConfig } from './config.js';
import { readSettings } from './settings.js';
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

/**
 * Reads every declared setting the way serve.ts does (readSettings, the same declaration); a bad one throws
 * ConfigError, which the check reports as its configuration line and exit code 2.
 */
export function preflightSettings(options: CommandLineOptions, env: Record<string, string | undefined>): PreflightSettings {
  const settings = readSettings(env, { port: options.port, host: options.host, configPath: options.configPath, dataDir: options.dataDir });
  const { configPath } = settings;
  const config = configPath ? loadConfigFile(configPath, env) : undefined;
  return {
    configPath,
    config,
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl ?? config?.databaseUrl,
    port: settings.port,
    host: settings.host,
    metricsPort: settings.metricsPort,
    metricsHost: settings.metricsHost,
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
