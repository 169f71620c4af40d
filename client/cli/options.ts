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

// The server's units (server/run/setting-grammar.ts), so a duration reads the same on both sides.
const MAX_TIMER_MS = 2_147_483_647;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A commander argument parser for durations as the server's settings take them: 500, 500ms, 5s, 1m, 1h, 3d → milliseconds ≥ min. */
export function duration(min: number) {
  return (text: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
    const ms = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()]!) : NaN;
    if (!(ms >= min)) throw new InvalidArgumentError(`expected a duration of at least ${min} ms, e.g. 500ms, 5s, 1m, 1h (a bare number is milliseconds)`);
    // Past 2^31 - 1 ms Node's timers fire at once: a timeout that long would end every attempt at its start.
    if (ms > MAX_TIMER_MS) throw new InvalidArgumentError('expected a duration of at most 24 days (longer timers fire at once in Node)');
    return ms;
  };
}

function header(text: string, previous: Record<string, string>): Record<string, string> {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [m[1]!.toLowerCase()]: m[2]! };
}

export const URL_HELP = 'the receiver: a base URL (http://127.0.0.1:8080), the push URL with or without a channel, a template with {chanId}, or its own callback URL (http://host/webhook)';
export const urlOption = () => new Option('--url <url>', URL_HELP).env('IG_PUSH_URL');
export const verboseOption = () => new Option('-v, --verbose', 'also print the URL each request goes to, as resolved from --url');
/** One name for the verify token everywhere; `--verify-token` stays as a hidden alias. */
export const verifyTokenOption = () => new Option('--token <token>', "the channel's verify token (for the handshake)").env('IG_PUSH_VERIFY_TOKEN');
export const verifyTokenAlias = () => new Option('--verify-token <token>').hideHelp();
export const SIGNATURES = ['both', 'sha256', 'sha1'] as const;

/** The options every command that pushes to a receiver takes (send, trigger), as commander hands them over. */
export interface PushCommandOptions {
  url?: string;
  channel?: string;
  secret?: string;
  header: Record<string, string>;
  retries: number;
  timeout: number;
  signature: (typeof SIGNATURES)[number];
  verbose?: boolean;
  json?: boolean;
}
export const signatureOption = () =>
  new Option('--signature <which>', 'signature headers to send: both X-Hub-Signature-256 and X-Hub-Signature (sha1), as Meta does, or one').choices(SIGNATURES).default('both');
export const channelOption = () => new Option('--channel <id>', 'channel id: use the /message/{chanId} route (default: route by entry[].id)');
export const secretOption = () => new Option('--secret <secret>', 'app secret to sign with (X-Hub-Signature-256 and X-Hub-Signature)').env('IG_PUSH_SECRET');
export const headerOption = () => new Option('-H, --header <header>', 'extra request header "Name: value" (repeatable)').argParser(header).default({}, 'none');
export const retriesOption = () => new Option('--retries <n>', 'retries on network errors, 408, 429 and 5xx').argParser(integer(0)).default(2);
export const timeoutOption = () => new Option('--timeout <duration>', 'limit of one attempt: 500ms, 10s, 1m (a bare number is milliseconds)').argParser(duration(1)).default(10_000, '10s');
export const jsonOption = () => new Option('--json', 'print JSON lines for scripts instead of text');
export const portOption = () => new Option('--port <port>', 'port to listen on (0 picks a free one)').argParser(integer(0)).default(8080);
