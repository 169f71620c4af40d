// Refusals are logged at a bounded rate: the first of each reason at once, then one count per reason
// per interval, however many a client sends. Log lines captured from a real pino destination.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { refusalReporter } from '../../server/read/refusal-summary.js';
import { push } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const lines: { msg: string; status?: number; code?: string; count?: number; requestId?: string }[] = [];
const destination = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ app: { logger: pino({ level: 'info' }, destination), refusalLogIntervalMs: 60_000 } });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the refusal log lines', () => {
  it('are one per reason for 120 refusals of two reasons within the interval, not one per refusal', async () => {
    lines.length = 0;
    for (let i = 0; i < 20; i++) {
      await Promise.all([
        ...Array.from({ length: 4 }, () => push(server.url, 'not json', { chanId: 'chan-a' })),
        push(server.url, '{}', { chanId: 'chan-a', headers: { 'content-type': 'text/plain' } }),
        push(server.url, 'not json', { chanId: 'chan-a' }),
      ]);
    }
    const refused = lines.filter((l) => /refused/.test(l.msg));
    expect(refused.map((l) => [l.msg, l.status, l.code])).toEqual([
      ['request refused', 400, 'invalid_json'],
      ['request refused', 415, 'unsupported_media_type'],
    ]);
    expect(refused[0]!.requestId).toEqual(expect.any(String));
  });

  it('summarise each reason once per interval with the count left unlogged, then log the next refusal at once', () => {
    vi.useFakeTimers();
    const info = vi.fn();
    const report = refusalReporter({ info } as never, 1000);
    for (let i = 0; i < 10_000; i++) report({ requestId: `r${i}`, status: 400, code: 'invalid_json' });
    report({ requestId: 'x', status: 401, code: 'bad_signature' });
    expect(info).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    expect(info).toHaveBeenCalledTimes(3);
    expect(info.mock.calls[2]).toEqual([{ status: 400, code: 'invalid_json', count: 9_999, intervalMs: 1000 }, 'more requests refused for the same reason (summary)']);
    report({ requestId: 'y', status: 400, code: 'invalid_json' });
    expect(info).toHaveBeenCalledTimes(4);
    expect(info.mock.calls[3]).toEqual([{ requestId: 'y', status: 400, code: 'invalid_json' }, 'request refused']);
    vi.advanceTimersByTime(1000);
    expect(info).toHaveBeenCalledTimes(4);
  });
});
