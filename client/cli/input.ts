// Reading the files a command is given: `-` is standard input, anything else a path; bytes kept as they are.
import { readFile } from 'node:fs/promises';
import { CliError, EXIT } from './exit-codes.js';

export interface InputFile {
  /** The name as given on the command line (`-` for standard input). */
  name: string;
  bytes: Uint8Array;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads every file before anything is sent, so a typo in one name fails the whole run with exit 2. */
export async function readInputs(names: string[]): Promise<InputFile[]> {
  if (names.filter((n) => n === '-').length > 1) throw new CliError('standard input (-) can be given only once', EXIT.usage);
  return Promise.all(
    names.map(async (name) => {
      try {
        return { name, bytes: name === '-' ? await readStdin() : new Uint8Array(await readFile(name)) };
      } catch (err) {
        throw new CliError(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
      }
    }),
  );
}

/** The URL option checked once: an absolute http(s) URL, or exit 2. */
export function receiverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url "${text}" is not an absolute URL (e.g. http://127.0.0.1:8080)`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url "${text}" must be http or https`, EXIT.usage);
  return text;
}
