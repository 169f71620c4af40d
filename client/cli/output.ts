// How commands print: a line per item for people, or JSON lines (one object per item, then a summary
// when there were several) for scripts with --json. Results go to stdout; failures of the run to stderr.

export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** The status word that starts each human line, padded so the file names line up. */
export const mark = (word: 'ok' | 'fail' | 'error') => word.padEnd(5);
