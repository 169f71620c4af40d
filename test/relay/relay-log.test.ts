// The relay's log lines as a pure state machine (no timers, no store): one line per change of state,
// none per repeat, a reminder at most every few minutes, dead letters counted per interval, a backlog
// and its drain; and the words for each cause, and a destination's URL without its credentials.
import { describe, expect, it } from 'vitest';
import { Breaker } from '../../server/relay/breaker.js';
import { causeOf } from '../../server/relay/cause.js';
import { DestinationLog, spoken, StoreLog, type RelayLogLine } from '../../server/relay/relay-log.js';
import { shownUrl } from '../../server/relay/shown-url.js';

const OPTIONS = { reminderMs: 300_000, deadEveryMs: 60_000, backlogAbove: 100, backlogNormal: 10 };
const REFUSED = { key: 'ECONNREFUSED', text: 'connection refused' };
const MAINTENANCE = { key: 'HTTP 503', text: 'HTTP 503: maintenance' };
const kinds = (lines: RelayLogLine[]) => lines.map((l) => l.fields.relay);

describe('the relay log of one destination', () => {
  it('says a destination starts failing once, however many attempts fail the same way', () => {
    const log = new DestinationLog('cc', OPTIONS);
    const first = log.failed(REFUSED, 0);
    expect(first).toEqual([{ level: 'warn', msg: 'relay: destination cc starts failing: connection refused', fields: { destination: 'cc', relay: 'failing', cause: 'connection refused' } }]);
    for (let t = 1000; t < 300_000; t += 1000) expect(log.failed(REFUSED, t)).toEqual([]);
    expect(log.isFailing).toBe(true);
  });

  it('says a new cause at once, and the same cause again only as a reminder with how long and how many attempts', () => {
    const log = new DestinationLog('cc', OPTIONS);
    log.failed(REFUSED, 0);
    const changed = log.failed(MAINTENANCE, 5_000);
    expect(changed).toEqual([
      { level: 'warn', msg: 'relay: destination cc now fails with HTTP 503: maintenance (was: connection refused)', fields: { destination: 'cc', relay: 'cause-changed', cause: 'HTTP 503: maintenance', was: 'connection refused', failingForMs: 5_000, attempts: 2 } },
    ]);
    expect(log.failed(MAINTENANCE, 304_999)).toEqual([]);
    const reminder = log.failed(MAINTENANCE, 305_000);
    expect(reminder.map((l) => l.msg)).toEqual(['relay: destination cc still failing after 5 min and 4 attempts: HTTP 503: maintenance']);
    expect(reminder[0]!.fields).toMatchObject({ relay: 'still-failing', failingForMs: 305_000, attempts: 4 });
    // The next reminder counts from this one.
    expect(log.failed(MAINTENANCE, 500_000)).toEqual([]);
    expect(kinds(log.failed(MAINTENANCE, 605_000))).toEqual(['still-failing']);
  });

  it('says a recovery once, with how long it was down, the attempts that failed and the events that waited', () => {
    const log = new DestinationLog('cc', OPTIONS);
    expect(log.well(0)).toBeUndefined();
    log.failed(REFUSED, 1_000);
    log.failed(REFUSED, 2_000);
    const outage = log.well(73_000);
    expect(outage).toEqual({ downForMs: 72_000, attempts: 2 });
    expect(log.isFailing).toBe(false);
    expect(log.well(74_000)).toBeUndefined();
    expect(log.recovered(outage!, 7, 73_000)).toEqual([
      { level: 'info', msg: 'relay: destination cc recovered after 1 min down (2 failed attempts); 7 events waited', fields: { destination: 'cc', relay: 'recovered', downForMs: 72_000, attempts: 2, waiting: 7 } },
    ]);
    expect(log.recovered(outage!, undefined, 73_000)[0]!.msg).toContain('the events that waited could not be counted');
    // Failing again is news again.
    expect(kinds(log.failed(REFUSED, 80_000))).toEqual(['failing']);
  });

  it('says a circuit opening with when the next probe is, and closing with how long it was open', () => {
    const log = new DestinationLog('cc', OPTIONS);
    expect(log.circuitOpened(10_000, 40_000, 5)).toEqual([
      { level: 'warn', msg: 'relay: circuit open for cc after 5 failures in a row; next probe in 30 s', fields: { destination: 'cc', relay: 'circuit-open', nextProbeAt: new Date(40_000).toISOString(), failuresInARow: 5 } },
    ]);
    expect(log.circuitClosed(100_000)).toEqual([
      { level: 'info', msg: 'relay: circuit closed for cc: a probe was delivered after 1 min open', fields: { destination: 'cc', relay: 'circuit-closed', openForMs: 90_000 } },
    ]);
  });

  it('counts dead letters per cause: the first at once, then one summary line per interval, the rest at stop', () => {
    const log = new DestinationLog('cc', OPTIONS);
    const maxAge = { key: 'max-age', text: 'maximum age reached (last: connection refused)' };
    const first = log.deadLettered(maxAge, 3, 0);
    expect(first).toEqual([
      {
        level: 'warn',
        msg: 'relay: 3 events dead-lettered for cc: maximum age reached (last: connection refused); replay with `ig-push relay replay cc` (or POST /relay/destinations/cc/replay)',
        fields: { destination: 'cc', relay: 'dead', events: 3, causes: { 'maximum age reached (last: connection refused)': 3 }, replay: 'ig-push relay replay cc' },
      },
    ]);
    for (let i = 1; i <= 10; i++) expect(log.deadLettered(maxAge, 1, i * 1000)).toEqual([]);
    expect(log.deadLettered({ key: 'HTTP 401', text: 'refused with HTTP 401: bad signature' }, 2, 20_000)).toEqual([]);
    expect(log.due(59_999)).toEqual([]);
    const summary = log.due(60_000);
    expect(summary.map((l) => l.msg)).toEqual([
      'relay: 12 events dead-lettered for cc: 10 maximum age reached (last: connection refused); 2 refused with HTTP 401: bad signature; replay with `ig-push relay replay cc` (or POST /relay/destinations/cc/replay)',
    ]);
    expect(log.due(200_000)).toEqual([]);
    expect(log.deadLettered(maxAge, 1, 100_000)).toEqual([]); // within the interval of the summary
    expect(log.flush().map((l) => l.fields.events)).toEqual([1]);
    expect(log.flush()).toEqual([]);
  });

  it('says a backlog above the threshold, and its drain back to normal with the peak and how long it took', () => {
    const log = new DestinationLog('cc', OPTIONS);
    expect(log.backlog(100, 0)).toEqual([]);
    expect(log.backlog(150, 1_000)).toEqual([{ level: 'warn', msg: 'relay: backlog for cc: 150 events waiting', fields: { destination: 'cc', relay: 'backlog', open: 150 } }]);
    expect(log.isDraining).toBe(true);
    expect(log.backlog(400, 2_000)).toEqual([]);
    expect(log.backlog(11, 30_000)).toEqual([]);
    expect(log.backlog(10, 61_000)).toEqual([
      { level: 'info', msg: 'relay: backlog for cc drained: 400 events worked off in 1 min', fields: { destination: 'cc', relay: 'drained', peak: 400, tookMs: 60_000, open: 10 } },
    ]);
    expect(log.isDraining).toBe(false);
    expect(log.backlog(5, 62_000)).toEqual([]);
  });

  it('watches the events that waited through an outage until they drain, but not a handful', () => {
    const log = new DestinationLog('cc', OPTIONS);
    log.failed(REFUSED, 0);
    log.recovered(log.well(1_000)!, 10, 1_000);
    expect(log.isDraining).toBe(false);
    log.failed(REFUSED, 2_000);
    log.recovered(log.well(3_000)!, 40, 3_000);
    expect(log.isDraining).toBe(true);
    expect(kinds(log.backlog(0, 8_000))).toEqual(['drained']);
    expect(log.backlog(0, 8_000)).toEqual([]);
  });
});

describe('the relay log of its store', () => {
  it('says a failing store once, a new error at once, the same one as a reminder, and the end of the trouble once', () => {
    const log = new StoreLog('read', { reminderMs: 60_000 });
    expect(log.ok(0)).toEqual([]);
    expect(log.failed('Error: locked', 0, { destination: 'cc' })).toEqual([{ level: 'warn', msg: 'relay: could not read the outbox (Error: locked); will try again', fields: { relay: 'store-failing', err: 'Error: locked', destination: 'cc' } }]);
    for (let t = 250; t < 60_000; t += 250) expect(log.failed('Error: locked', t)).toEqual([]);
    expect(log.failed('Error: locked', 60_000).map((l) => l.msg)).toEqual(['relay: still cannot read the outbox after 1 min (241 failures): Error: locked']);
    expect(log.failed('Error: gone', 61_000).map((l) => l.msg)).toEqual(['relay: could not read the outbox (Error: gone); will try again']);
    expect(log.ok(62_000)).toEqual([{ level: 'info', msg: 'relay: the outbox can be read again after 1 min (242 failures)', fields: { relay: 'store-recovered', failingForMs: 62_000, failures: 242 } }]);
    expect(log.ok(63_000)).toEqual([]);
    expect(new StoreLog('record').failed('Error: disk full', 0)[0]!.msg).toBe('relay: could not record an attempt (Error: disk full); the events are sent again once their lease runs out');
  });
});

describe('the words for a cause', () => {
  it('names network failures, timeouts and answers in words, keeping the receiver reason short', () => {
    expect(causeOf({ error: 'ECONNREFUSED', latencyMs: 1 }, 10_000)).toEqual({ key: 'ECONNREFUSED', text: 'connection refused' });
    expect(causeOf({ error: 'timed out', latencyMs: 1 }, 2_500)).toEqual({ key: 'timeout', text: 'timed out after 2500 ms' });
    expect(causeOf({ error: 'ENOTFOUND', latencyMs: 1 }, 1).text).toBe('DNS failure: host not found');
    expect(causeOf({ error: 'DEPTH_ZERO_SELF_SIGNED_CERT', latencyMs: 1 }, 1).text).toBe('TLS failure: DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(causeOf({ error: 'EWHATEVER', latencyMs: 1 }, 1).text).toBe('EWHATEVER');
    const answer = (status: number, body: string) => ({ status, body, retryAfter: null, latencyMs: 1 });
    expect(causeOf(answer(503, '{"resultMsg":"maintenance","requestId":"r-1"}'), 1)).toEqual({ key: 'HTTP 503', text: 'HTTP 503: maintenance' });
    // The request id in the body changes; the key does not.
    expect(causeOf(answer(503, '{"resultMsg":"other","requestId":"r-2"}'), 1).key).toBe('HTTP 503');
    expect(causeOf(answer(401, '{"resultMsg":"bad signature"}'), 1).text).toBe('refused with HTTP 401: bad signature');
    expect(causeOf(answer(502, '<html>\n  <body>Bad   gateway</body>\n</html>'), 1).text).toBe('HTTP 502: <html> <body>Bad gateway</body> </html>');
    expect(causeOf(answer(500, ''), 1).text).toBe('HTTP 500');
    expect(causeOf(answer(200, '{"ok":true}'), 1).text).toBe('HTTP 200 without the contract\'s body: {"ok":true}');
    const long = causeOf(answer(500, 'x'.repeat(1000)), 1).text;
    expect(long).toBe(`HTTP 500: ${'x'.repeat(200)}…`);
  });

  it('says durations as people do', () => {
    expect([0, 400, 28_400, 60_000, 3_599_000, 3_600_000, 3_900_000].map(spoken)).toEqual(['0 ms', '400 ms', '28 s', '1 min', '59 min', '1 h', '1 h 5 min']);
  });
});

describe('a destination URL as shown', () => {
  it('drops user info and masks secret-looking query values, leaving the rest as configured', () => {
    expect(shownUrl('https://user:pa55@cc.example.com/push/chan-a')).toBe('https://cc.example.com/push/chan-a');
    expect(shownUrl('https://cc.example.com/push?token=abc&api_key=k&sig=s&channel=a%20b')).toBe('https://cc.example.com/push?token=***&api_key=***&sig=***&channel=a+b');
    expect(shownUrl('http://127.0.0.1:8080/push?channel=a%20b')).toBe('http://127.0.0.1:8080/push?channel=a%20b');
    expect(shownUrl('not a url')).toBe('(not a URL)');
  });
});

describe('the breaker\'s transitions', () => {
  it('tells the failure that opened it and the success that closed it, and is half-open while its probe is out', () => {
    const b = new Breaker({ threshold: 2, intervalMs: 100 });
    expect(b.failure(0)).toBe(false);
    expect(b.failure(10)).toBe(true);
    expect([b.state, b.nextProbeAt, b.failuresInARow]).toEqual(['open', 110, 2]);
    expect(b.failure(20)).toBe(false); // already open
    expect(b.admit(1, 110)).toBe(1);
    expect(b.state).toBe('half-open');
    expect(b.nextProbeAt).toBe(210);
    b.neutral();
    expect(b.state).toBe('open');
    expect(b.success()).toBe(true);
    expect(b.state).toBe('closed');
    expect(b.success()).toBe(false);
  });
});
