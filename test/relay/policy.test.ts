// The relay's decisions as pure functions: what an answer makes of a forward, backoff with full jitter,
// Retry-After, the maximum age, the circuit breaker, and the bytes each attempt sends.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Breaker } from '../../server/relay/breaker.js';
import { deliveryBytes, signature } from '../../server/relay/delivery.js';
import { backoffMs, cut, decide, ERROR_KEEP, isAccepted, isFailure, retryAfterMs, type DecideContext, type SendResult } from '../../server/relay/policy.js';

const ctx: DecideContext = { retry: 0, createdAt: 0, maxAgeMs: 3_600_000, now: 1000, random: 0.5, policy: { baseMs: 1000, capMs: 60_000 } };
const answer = (status: number, body = '', retryAfter: string | null = null): SendResult => ({ status, body, retryAfter, latencyMs: 3 });

describe('decide', () => {
  it('delivers only on 200 with the contract body', () => {
    expect(decide(answer(200, '{"resultMsg":"200"}'), ctx)).toEqual({ state: 'delivered' });
    expect(decide(answer(200, '{"resultMsg":"201"}'), ctx)).toMatchObject({ state: 'retrying', reason: expect.stringMatching(/^200 without/) });
    expect(decide(answer(204), ctx).state).toBe('retrying');
    expect(decide(answer(201, '{"resultMsg":"200"}'), ctx).state).toBe('retrying');
    expect(isAccepted('not json')).toBe(false);
    expect(isAccepted('null')).toBe(false);
  });

  it('makes refusals that resending cannot cure dead at once, and retries everything else', () => {
    for (const s of [400, 401, 404, 413, 415]) expect(decide(answer(s, 'why'), ctx)).toEqual({ state: 'dead', reason: `refused with ${s}: why` });
    for (const s of [403, 408, 429, 500, 502, 503, 301]) expect(decide(answer(s), ctx).state, String(s)).toBe('retrying');
    expect(decide({ error: 'ECONNREFUSED', latencyMs: 1 }, ctx)).toEqual({ state: 'retrying', at: 1500, reason: 'ECONNREFUSED' });
  });

  it('waits with full jitter below a doubling ceiling, capped', () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect([0, 1, 2, 3, 4, 60].map((r) => backoffMs(r, policy, 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffMs(5, policy, 0)).toBe(0);
  });

  it('honours Retry-After in seconds or as a date, up to its ceiling, never waiting less than the backoff', () => {
    expect(retryAfterMs('7', 0)).toBe(7000);
    expect(retryAfterMs(new Date(11_000).toUTCString(), 1000)).toBe(10_000);
    expect(retryAfterMs(new Date(0).toUTCString(), 5000)).toBe(0);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(null, 0)).toBeUndefined();
    expect(retryAfterMs(' 7 ', 0)).toBe(7000);
    expect(retryAfterMs('x7', 0)).toBeUndefined();
    expect(retryAfterMs('7x', 0)).toBeUndefined();
    expect(decide(answer(429, '', '30'), ctx)).toMatchObject({ state: 'retrying', at: 31_000 });
    expect(decide(answer(503, '', '99999'), { ...ctx, maxAgeMs: 1e9 })).toMatchObject({ at: 1000 + 3_600_000 });
    expect(decide(answer(503, '', '1'), { ...ctx, random: 0.99, policy: { baseMs: 10_000, capMs: 60_000 } })).toMatchObject({ at: 1000 + 9900 });
    expect(decide(answer(503, '', '30'), { ...ctx, random: 0, policy: { ...ctx.policy, retryAfterMaxMs: 5000 } })).toMatchObject({ at: 1000 + 5000 });
    expect(decide(answer(503, ''), { ...ctx, random: 0 })).toMatchObject({ at: 1000 });
  });

  it('keeps the start of a long answer in the reason, marked as cut', () => {
    expect(cut('a'.repeat(ERROR_KEEP))).toBe('a'.repeat(ERROR_KEEP));
    expect(cut('a'.repeat(ERROR_KEEP + 1))).toBe(`${'a'.repeat(ERROR_KEEP)}…`);
    const long = 'b'.repeat(ERROR_KEEP + 10);
    expect(decide(answer(500, long), ctx)).toMatchObject({ reason: `500: ${'b'.repeat(ERROR_KEEP)}…` });
    expect(decide(answer(200, long), ctx)).toMatchObject({ reason: `200 without the contract's body: ${'b'.repeat(ERROR_KEEP)}…` });
    expect(decide(answer(400, long), ctx)).toMatchObject({ state: 'dead', reason: `refused with 400: ${'b'.repeat(ERROR_KEEP)}…` });
  });

  it('makes the event dead once the next attempt would fall past the maximum age', () => {
    expect(decide(answer(500, 'down'), { ...ctx, maxAgeMs: 1200 })).toEqual({ state: 'dead', reason: 'gave up after the maximum age; last: 500: down' });
    expect(decide(answer(500, 'down'), { ...ctx, maxAgeMs: 1500 }).state).toBe('retrying');
  });

  it('counts retried answers and anything given up at the maximum age as failures, refusals and deliveries not', () => {
    const r = answer(500);
    expect(isFailure(r, decide(r, ctx))).toBe(true);
    expect(isFailure(answer(401), decide(answer(401), ctx))).toBe(false);
    const e: SendResult = { error: 'x', latencyMs: 1 };
    expect(isFailure(e, decide(e, { ...ctx, maxAgeMs: 0 }))).toBe(true);
    // A 5xx that ends the forward at the maximum age counts as a failure too, as the reset above does.
    expect(isFailure(answer(503), decide(answer(503), { ...ctx, maxAgeMs: 0 }))).toBe(true);
    expect(isFailure(answer(401), decide(answer(401), { ...ctx, maxAgeMs: 0 }))).toBe(false);
    expect(isFailure(e, decide(e, ctx))).toBe(true);
    const ok = answer(200, '{"resultMsg":"200"}');
    expect(isFailure(ok, decide(ok, ctx))).toBe(false);
  });
});

describe('breaker', () => {
  it('opens after the threshold, lets one probe through per interval, and closes on success', () => {
    const b = new Breaker({ threshold: 2, intervalMs: 100 });
    expect(b.admit(5, 0)).toBe(5);
    b.failure(0);
    expect(b.state).toBe('closed');
    b.failure(10);
    expect(b.state).toBe('open');
    expect(b.admit(5, 50)).toBe(0);
    expect(b.admit(5, 110)).toBe(1);
    expect(b.admit(5, 111)).toBe(0); // the probe is in flight
    b.failure(120);
    expect(b.admit(5, 150)).toBe(0);
    expect(b.admit(0, 300)).toBe(0);
    expect(b.admit(5, 300)).toBe(1);
    b.neutral(); // nothing was due: the next interval may probe again
    expect(b.admit(5, 310)).toBe(0);
    expect(b.admit(5, 400)).toBe(1);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.admit(5, 401)).toBe(5);
  });

  it('times the next probe from the last one, not from its failure, and probes again after closing and opening', () => {
    const b = new Breaker({ threshold: 1, intervalMs: 100 });
    b.failure(0);
    expect(b.admit(5, 100)).toBe(1);
    b.failure(190); // the probe failed late: the next one is still due 100 ms after it started
    expect(b.admit(5, 200)).toBe(1);
    b.success();
    b.failure(300);
    expect(b.admit(5, 399)).toBe(0);
    expect(b.admit(5, 400)).toBe(1);
    expect(b.admit(5, 600)).toBe(0); // that probe outlasts the interval: still one at a time
  });

  it('opens after five failures in a row by default, and probes every 30 s', () => {
    const b = new Breaker();
    for (let i = 0; i < 4; i++) b.failure(0);
    expect(b.state).toBe('closed');
    b.failure(0);
    expect(b.state).toBe('open');
    expect(b.admit(5, 29_999)).toBe(0);
    expect(b.admit(5, 30_000)).toBe(1);
  });
});

describe('delivery bytes', () => {
  const stored = { entryId: '178', entryTime: 1732519200123, eventJson: '{"sender":{"id":"1"},"recipient":{"id":"178"},"timestamp":5,"message":{"mid":"m","text":"é"}}' };

  it('splices the stored event text in as stored, so every attempt sends the same bytes', () => {
    const a = deliveryBytes([stored]);
    expect(a.equals(deliveryBytes([{ ...stored }]))).toBe(true);
    expect(a.toString()).toBe(`{"object":"instagram","entry":[{"id":"178","time":1732519200123,"messaging":[${stored.eventJson}]}]}`);
    expect(signature('s', a)).toBe(`sha256=${createHmac('sha256', 's').update(a).digest('hex')}`);
  });

  it('puts a field change in changes, and fills a missing entry id and time', () => {
    const b = JSON.parse(deliveryBytes([{ entryId: null, entryTime: null, eventJson: '{"field":"comments","value":{}}' }]).toString());
    expect(b.entry[0]).toEqual({ id: '', time: 0, changes: [{ field: 'comments', value: {} }] });
  });

  it('sends in messaging whatever is not exactly a field change: no value, no field, or a sender', () => {
    const list = (eventJson: string) => Object.keys(JSON.parse(deliveryBytes([{ entryId: '1', entryTime: 2, eventJson }]).toString()).entry[0]).at(-1);
    expect(list('{"field":"comments","value":{}}')).toBe('changes');
    expect(list('{"field":"comments"}')).toBe('messaging');
    expect(list('{"value":{}}')).toBe('messaging');
    expect(list('{"field":"comments","value":{},"sender":{"id":"1"}}')).toBe('messaging');
  });

  it('sends several events as an entry each, in order, each with its own account, time and list', () => {
    const change = { entryId: '178', entryTime: 7, eventJson: '{"field":"comments","value":{"id":"c"}}' };
    const bytes = deliveryBytes([stored, change]).toString();
    expect(bytes).toBe(`{"object":"instagram","entry":[{"id":"178","time":1732519200123,"messaging":[${stored.eventJson}]},{"id":"178","time":7,"changes":[${change.eventJson}]}]}`);
  });
});
