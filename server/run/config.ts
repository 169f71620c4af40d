// run/: what the entry point (main.ts) runs the app with, none of it on a request's way: the config
// file (here), the structured logger (logger.ts), the retention job that prunes old events from the
// inbox (retention.ts) and the graceful shutdown that drains connections (shutdown.ts).
//
// The server's configuration file: parsed, checked against a schema, secrets resolved from env or files.
// Pure apart from reading secret files; the caller decides what a failure does (main.ts exits with 2).
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { Channel } from '../push/channels.js';
import { closestName } from './closest-name.js';
import { ConfigError } from './config-error.js';
import { closedObject, ID_SCHEMA } from './schema-parts.js';
import { destinationSchema, toDestination, type Destination, type RawDestination } from '../relay/destinations.js';

/** A secret given inline, or as a reference: `{"env": "NAME"}` or `{"file": "/path"}`. */
type SecretRef = string | { env: string } | { file: string };

export interface ServerConfig {
  channels: Channel[];
  inboxToken?: string;
  databaseUrl?: string;
  /** Bearer token for GET /metrics on the main port (server/metrics/). */
  metricsToken?: string;
  /** Every channel's forwarding destinations (server/relay/); absent when none is configured. */
  destinations?: Destination[];
  /** Guards the relay's actions (replay, pause, resume). */
  adminToken?: string;
}

export { ConfigError };

const secret = {
  oneOf: [
    { type: 'string', minLength: 1 },
    closedObject({ env: { type: 'string', minLength: 1 } }, ['env']),
    closedObject({ file: { type: 'string', minLength: 1 } }, ['file']),
  ],
};

const schema = closedObject(
  {
    $schema: { type: 'string' },
    channels: {
      type: 'array',
      items: closedObject(
        {
          id: ID_SCHEMA,
          accountId: { type: 'string', minLength: 1, maxLength: 128 },
          appSecret: secret,
          verifyToken: secret,
          enabled: { type: 'boolean' },
          destinations: { type: 'array', maxItems: 16, items: destinationSchema(secret) },
        },
        ['id'],
      ),
    },
    inboxToken: secret,
    databaseUrl: secret,
    metricsToken: secret,
    adminToken: secret,
  },
  ['channels'],
);

// verbose: an unknown key's error then carries the object's schema, whose properties are the allowed keys.
const validate = new Ajv2020({ allErrors: true, verbose: true }).compile(schema);

/** One schema error as a line; an unknown key names itself, the closest allowed key and all of them. */
function problem(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword !== 'additionalProperties') return `${where} ${e.message}`;
  const key = String((e.params as { additionalProperty: string }).additionalProperty);
  const allowed = Object.keys((e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {}).filter((k) => k !== '$schema');
  return `${where} has an unknown key "${key}" (did you mean "${closestName(key, allowed)}"? allowed: ${allowed.join(', ')})`;
}

function resolveSecret(ref: SecretRef | undefined, where: string, env: Record<string, string | undefined>): string | undefined {
  if (ref === undefined || typeof ref === 'string') return ref;
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new ConfigError(`${where}: environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return readFileSync(ref.file, 'utf8').trim();
  } catch (err) {
    // Stryker disable next-line StringLiteral: the fallback is for an error without a code; readFileSync's all carry one
    throw new ConfigError(`${where}: cannot read secret file ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Parses and checks a configuration text; throws ConfigError naming the first problems. */
export function parseConfig(text: string, env: Record<string, string | undefined> = {}): ServerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid JSON: ${(err as Error).message}`);
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map(problem);
    throw new ConfigError(problems.slice(0, 5).join('; '));
  }
  const doc = raw as {
    channels: (Omit<Channel, 'appSecret' | 'verifyToken' | 'enabled'> & { appSecret?: SecretRef; verifyToken?: SecretRef; enabled?: boolean; destinations?: RawDestination[] })[];
    inboxToken?: SecretRef;
    databaseUrl?: SecretRef;
    metricsToken?: SecretRef;
    adminToken?: SecretRef;
  };
  const destinations: Destination[] = [];
  const ids = new Set<string>();
  const accounts = new Set<string>();
  const channels = doc.channels.map((c, i) => {
    if (ids.has(c.id)) throw new ConfigError(`/channels/${i}/id: channel ID "${c.id}" is used twice`);
    ids.add(c.id);
    if (c.accountId) {
      if (accounts.has(c.accountId)) throw new ConfigError(`/channels/${i}/accountId: account ID "${c.accountId}" is used by two channels`);
      accounts.add(c.accountId);
    }
    (c.destinations ?? []).forEach((d, j) => {
      const where = `/channels/${i}/destinations/${j}`;
      let destination: Destination;
      try {
        destination = toDestination(d, c.id, j, resolveSecret(d.appSecret as SecretRef | undefined, `${where}/appSecret`, env));
      } catch (err) {
        throw err instanceof ConfigError ? err : new ConfigError(`${where}/${(err as Error).message}`);
      }
      if (destinations.some((x) => x.id === destination.id)) throw new ConfigError(`${where}/id: destination ID "${destination.id}" is used twice`);
      destinations.push(destination);
    });
    return {
      id: c.id,
      accountId: c.accountId,
      appSecret: resolveSecret(c.appSecret, `/channels/${i}/appSecret`, env),
      verifyToken: resolveSecret(c.verifyToken, `/channels/${i}/verifyToken`, env),
      enabled: c.enabled ?? true,
    };
  });
  return {
    channels,
    inboxToken: resolveSecret(doc.inboxToken, '/inboxToken', env),
    databaseUrl: resolveSecret(doc.databaseUrl, '/databaseUrl', env),
    metricsToken: resolveSecret(doc.metricsToken, '/metricsToken', env),
    ...(destinations.length > 0 ? { destinations } : {}),
    adminToken: resolveSecret(doc.adminToken, '/adminToken', env),
  };
}

export function loadConfigFile(path: string, env: Record<string, string | undefined>): ServerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    // Stryker disable next-line StringLiteral: the fallback is for an error without a code; readFileSync's all carry one
    throw new ConfigError(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
  }
}
