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
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message);
        throw new CliError(`cannot read ${name}: ${why}`, EXIT.usage);
      }
    }),
  );
}
