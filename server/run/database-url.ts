// DATABASE_URL (or the config file's databaseUrl) checked before anything opens: a URL that does not
// parse, or names another scheme, is a configuration error naming the setting, never a server that
// starts and answers 500 to every push. Pure; the password never appears in a message.
import { closestName } from './closest-name.js';
import { ConfigError } from './config.js';

const SCHEMES = ['postgres:', 'postgresql:'];

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

/** Returns the URL unchanged when it is a PostgreSQL connection URL; throws ConfigError (exit 2) naming `setting` otherwise. */
export function checkDatabaseUrl(text: string, setting: string): string {
  const shown = redactUrl(text);
  const example = 'postgres://user:password@host:5432/database';
  if (!URL.canParse(text)) throw new ConfigError(`${setting} "${shown}" is not a URL (e.g. ${example})`);
  const url = new URL(text);
  if (!SCHEMES.includes(url.protocol)) {
    const near = closestName(url.protocol, SCHEMES);
    throw new ConfigError(`${setting} "${shown}" must start with postgres:// or postgresql:// (did you mean ${near}//?)`);
  }
  return text;
}
