// Options shared by several commands, declared once so their names, env variables and checks agree.
import { InvalidArgumentError, Option } from 'commander';

/** A commander argument parser for whole numbers ≥ min. */
export function integer(min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function header(text: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [m[1]!.toLowerCase()]: m[2]! };
}

export const urlOption = () =>
  new Option('--url <url>', 'base URL of the receiver, e.g. http://127.0.0.1:8080').env('IG_PUSH_URL').makeOptionMandatory();
export const channelOption = () => new Option('--channel <id>', 'channel id: use the /message/{chanId} route (default: route by entry[].id)');
export const secretOption = () => new Option('--secret <secret>', 'app secret to sign with (X-Hub-Signature-256)').env('IG_PUSH_SECRET');
export const headerOption = () => new Option('-H, --header <header>', 'extra request header "Name: value" (repeatable)').argParser(header).default({}, 'none');
export const retriesOption = () => new Option('--retries <n>', 'retries on network errors, 408, 429 and 5xx').argParser(integer(0)).default(2);
export const timeoutOption = () => new Option('--timeout <ms>', 'limit of one attempt in milliseconds').argParser(integer(1)).default(10_000);
export const jsonOption = () => new Option('--json', 'print JSON lines for scripts instead of text');
export const portOption = () => new Option('--port <port>', 'port to listen on (0 picks a free one)').argParser(integer(0)).default(8080);
