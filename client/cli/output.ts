// How commands print: a line per item for people, or JSON lines (one object per item, then a summary
// when there were several) for scripts with --json. Results go to stdout; failures of the run to stderr.
import { readableBody } from '../check/verdict.js';
import type { PushError } from '../push-error.js';

export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Why a send failed, in one line: the status and the answer's readable text when it was not the contract's error body. */
export function failureText(err: PushError): string {
  if (err.status === 0 || err.body || err.cause === undefined || err.cause === '' || err.cause instanceof Error) return err.message;
  return `${err.status} ${readableBody(typeof err.cause === 'string' ? err.cause : JSON.stringify(err.cause))}`;
}

/** The status word that starts each human line, padded so the file names line up. */
export const mark = (word: 'ok' | 'fail' | 'error') => word.padEnd(5);
