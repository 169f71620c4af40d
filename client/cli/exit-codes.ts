// The CLI's exit codes and the one error type a command throws to end with one of them.

export const EXIT = {
  /** Everything was accepted, valid, or done. */
  ok: 0,
  /** The receiver refused something, or a file breaks the contract. */
  rejected: 1,
  /** Bad arguments, an unreadable file, a bad server configuration. */
  usage: 2,
  /** No answer: the receiver could not be reached, or answered nothing within the time allowed. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const CODE_LINES: Record<ExitCode, string> = {
  0: '0  ok: every delivery accepted, every file valid, every check case conforms',
  1: '1  rejected: the receiver refused a delivery or the handshake, or deviates from the contract (a request over the\n     time budget, or a receiver that stopped answering, included), or a file is invalid',
  2: '2  usage or configuration error (bad arguments, unreadable file, bad server config)',
  3: '3  no answer: the receiver could not be reached, or answered nothing within the time allowed',
};

const ENV_LINES = {
  IG_PUSH_SECRET: '  IG_PUSH_SECRET        app secret for send, sign, check and trigger (instead of --secret)',
  IG_PUSH_VERIFY_TOKEN: '  IG_PUSH_VERIFY_TOKEN  verify token for verify and check (instead of --token)',
  IG_PUSH_URL: '  IG_PUSH_URL           receiver URL for send, verify, check and trigger (instead of --url)',
} as const;

/** The exit codes each command can return: its --help lists these and no others. */
export const COMMAND_EXIT_CODES: Record<string, ExitCode[]> = {
  send: [0, 1, 2, 3],
  verify: [0, 1, 2, 3],
  check: [0, 1, 2, 3],
  trigger: [0, 1, 2, 3],
  validate: [0, 1, 2],
  sign: [0, 2],
  serve: [0, 1, 2],
};

/** What each code means for `serve`, which runs a server rather than sending anything. */
const SERVE_CODE_LINES: Record<ExitCode, string> = {
  0: '0  stopped by SIGINT or SIGTERM, after finishing the requests in flight',
  1: '1  the server failed to start (a store that refuses it, a port in use) or stopped on an error',
  2: '2  usage or configuration error (bad arguments, a bad configuration file or setting, a data dir another server holds)',
  3: CODE_LINES[3],
};

/** The epilog of a command's `--help` (or the program's, with every code), so scripts know what to branch on. */
export function exitCodesHelp(codes: ExitCode[] = [0, 1, 2, 3], env: (keyof typeof ENV_LINES)[] = ['IG_PUSH_SECRET', 'IG_PUSH_VERIFY_TOKEN', 'IG_PUSH_URL'], lines: Record<ExitCode, string> = CODE_LINES): string {
  const environment = env.length ? `\n\nEnvironment:\n${env.map((e) => ENV_LINES[e]).join('\n')}` : '';
  return `\nExit codes:\n${codes.map((c) => `  ${lines[c]}`).join('\n')}${environment}`;
}

/** `serve`'s epilog: its own meaning of each code. */
export const SERVE_EXIT_CODES_HELP = exitCodesHelp(COMMAND_EXIT_CODES.serve, [], SERVE_CODE_LINES);

/** The program's epilog: every code, every variable. */
export const EXIT_CODES_HELP = exitCodesHelp();

/** A failure that ends the command: printed to stderr as one line, then the process exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
