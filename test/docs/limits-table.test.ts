// The server README's configuration and edge-bounds tables say what the code does by default: a reader
// sizing a deployment from the docs gets the numbers the server runs with.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT } from '../../server/app.js';
import { DEFAULT_LINGER } from '../../server/http/connection-guard.js';
import { DEFAULT_HTTP_LIMITS } from '../../server/http/http-server.js';
import { DEFAULT_PIPELINE_LIMITS } from '../../server/http/pipelining.js';
import { DEFAULT_READ_LIMITS } from '../../server/read/read-limits.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'server', 'README.md'), 'utf8');

/** The rows of the Markdown table whose header row starts with `first`, as their cells. */
function tableRows(first: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(start, `a table headed "${first}" in server/README.md`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2 };
/** `10s`, `4mb`, `1 MiB`, `4 096`, `128 MiB`: the number a documented default stands for. */
function amount(text: string): number {
  const m = /^([\d ]+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(text.replace(/`/g, '').trim());
  if (!m) throw new Error(`not an amount: ${text}`);
  return Number(m[1]!.replace(/ /g, '')) * (m[2] ? UNITS[m[2].toLowerCase()]! : 1);
}

describe('the configuration table (server/README.md)', () => {
  const defaults = new Map(tableRows('variable').map(([name, value]) => [name!, value!]));
  const expected: Record<string, number> = {
    '`BODY_LIMIT`': DEFAULT_BODY_LIMIT,
    '`REQUEST_TIMEOUT`': DEFAULT_HTTP_LIMITS.requestTimeoutMs,
    '`IDLE_TIMEOUT`': DEFAULT_HTTP_LIMITS.idleTimeoutMs,
    '`MAX_CONNECTIONS`': DEFAULT_HTTP_LIMITS.maxConnections,
    '`READ_POOL_SIZE`': DEFAULT_READ_LIMITS.readPoolSize,
    '`READ_STATEMENT_TIMEOUT`': DEFAULT_READ_LIMITS.readStatementTimeoutMs,
    '`PAGE_MAX_BYTES`': DEFAULT_READ_LIMITS.pageMaxBytes,
    '`SEARCH_CONCURRENCY`': DEFAULT_READ_LIMITS.searchConcurrency,
  };

  it.each(Object.entries(expected))('%s: the documented default is the code’s', (name, value) => {
    expect(defaults.has(name), `${name} is listed`).toBe(true);
    expect(amount(defaults.get(name)!)).toBe(value);
  });

  it('HEADERS_TIMEOUT: the documented default is the code’s', () => {
    expect(amount(defaults.get('`HEADERS_TIMEOUT`')!.split('(')[0]!)).toBe(DEFAULT_HTTP_LIMITS.headersTimeoutMs);
  });
});

describe('the fixed bounds at the HTTP edge (server/README.md)', () => {
  const rows = new Map(tableRows('bound').map(([bound, value]) => [bound!, value!]));
  const value = (prefix: string) => [...rows].find(([bound]) => bound.startsWith(prefix))?.[1] ?? '';

  it('names the pipelining bounds the server runs with', () => {
    expect(amount(value('answers in progress on one connection'))).toBe(DEFAULT_PIPELINE_LIMITS.maxInFlight);
    expect(amount(value('unsent bytes of a connection'))).toBe(DEFAULT_PIPELINE_LIMITS.maxUnsentBytes);
    expect(value('requests waiting to start').split('/').map(amount)).toEqual([DEFAULT_PIPELINE_LIMITS.maxWaiting, DEFAULT_PIPELINE_LIMITS.maxWaitingTotal]);
  });

  it('names the lingering close the server runs with', () => {
    const [total, bytes, silence] = value('lingering after an answer').split(',').map((p) => amount(p.replace(/in all|of silence/g, '')));
    expect([total, bytes, silence]).toEqual([DEFAULT_LINGER.maxMs, DEFAULT_LINGER.maxBytes, DEFAULT_LINGER.idleMs]);
  });
});
