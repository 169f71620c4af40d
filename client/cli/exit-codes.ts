// The CLI's exit codes and the one error type a command throws to end with one of them.

export const EXIT = {
  /** Everything was accepted, valid, or done. */
  ok: 0,
  /** The receiver refused something, or a file breaks the contract. */
  rejected: 1,
  /** Bad arguments, an unreadable file, a bad server configuration. */
  usage: 2,
  /** No answer: the receiver is unreachable or timed out. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The epilog every `--help` prints, so scripts know what to branch on. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok: every delivery accepted, every file valid, every check case conforms
  1  rejected: the receiver refused a delivery or the handshake or deviates from the contract, or a file is invalid
  2  usage or configuration error (bad arguments, unreadable file, bad server config)
  3  network error: the receiver did not answer (unreachable, timed out)

Environment:
  IG_PUSH_SECRET        app secret for send, sign, check and trigger (instead of --secret)
  IG_PUSH_VERIFY_TOKEN  verify token for verify and check (instead of --token, --verify-token)
  IG_PUSH_URL           receiver base URL for send, verify, check and trigger (instead of --url)`;

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
