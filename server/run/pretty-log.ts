// Log lines for a person at a terminal: pino's JSON lines rewritten as one readable line per event
// (time, level, message, then the other fields as key=value). JSON stays the format for machines.
import { Writable } from 'node:stream';

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT's value, else pretty on a terminal and JSON otherwise; anything else is refused. */
export function chooseLogFormat(setting: string | undefined, isTerminal: boolean): LogFormat {
  if (setting === undefined || setting === '') return isTerminal ? 'pretty' : 'json';
  if (setting === 'json' || setting === 'pretty') return setting;
  throw new Error(`LOG_FORMAT "${setting}" is not json or pretty`);
}

const LEVELS: Record<number, [string, number]> = {
  10: ['TRACE', 90],
  20: ['DEBUG', 36],
  30: ['INFO ', 32],
  40: ['WARN ', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 35],
};
// Known to every line, or shown elsewhere in it.
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

const shown = (value: unknown): string => {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
};

/** One pino JSON line as one readable line; a line that is not JSON is passed through as it is. */
export function prettyLine(json: string, color = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (typeof record !== 'object' || record === null) return json;
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const [name, code] = LEVELS[record.level as number] ?? [record.level === undefined ? '' : String(record.level).toUpperCase().padEnd(5), 0];
  const level = color && code ? `\u001b[${code}m${name}\u001b[39m` : name;
  const fields = Object.entries(record)
    .filter(([key, value]) => !OMITTED.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${shown(value)}`);
  // Newlines inside a message would break the one-line-per-event promise.
  const message = String(record.msg ?? '').replace(/\r?\n/g, '\\n');
  return [time, level, message, ...fields].filter((part) => part !== '').join(' ');
}

/** A stream for pino that writes each record as a pretty line to `out`. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }, color = Boolean(out.isTTY)): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line !== '') out.write(`${prettyLine(line, color)}\n`);
      done();
    },
  });
}
