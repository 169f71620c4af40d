// The metrics' pure parts: store error causes from a fixed list, operations from a fixed list, a
// channel that is not configured counted as _other, an unknown code as internal_error.
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../server/inbox/inbox.js';
import { operationOf, PushMetrics, RequestMetrics } from '../../server/metrics/push.js';
import { storeErrorCause, STORE_ERROR_CAUSES } from '../../server/metrics/store.js';

describe('store error causes', () => {
  it.each([
    ['the inbox is closed', 'closed'],
    ['the delivery could not be written', 'write'],
    ['the inbox could not commit', 'commit'],
    ['the inbox writer stopped', 'writer_stopped'],
    ['the inbox database is unreachable', 'unreachable'],
    ['the inbox database failed', 'database'],
    ['disk on fire: /var/lib/x', 'other'],
  ])('"%s" is counted as %s', (message, cause) => {
    expect(storeErrorCause(new StoreUnavailableError(message))).toBe(cause);
    expect(STORE_ERROR_CAUSES).toContain(cause);
  });
});

describe('operations', () => {
  it.each([
    ['POST', '/apiaccess/api/instagram/message', 'push'],
    ['POST', '/apiaccess/api/instagram/message/chan-a', 'push'],
    ['GET', '/apiaccess/api/instagram/message/chan-a', 'handshake'],
    ['HEAD', '/apiaccess/api/instagram/message', 'handshake'],
    ['GET', '/apiaccess/api/instagram/messages', 'other'],
    ['GET', '/inbox/messages', 'list_messages'],
    ['GET', '/inbox/events', 'feed'],
    ['GET', '/inbox/rates', 'rates'],
    ['GET', '/metrics', 'metrics'],
    ['GET', '/readyz', 'health'],
    ['GET', '/docs/', 'docs'],
    ['GET', '/openapi.json', 'docs'],
    ['GET', '/inbox', 'console'],
    ['GET', '/inbox/console.js', 'console'],
    ['GET', '/favicon.ico', 'console'],
    ['GET', '/wp-login.php', 'other'],
  ])('%s %s is %s', (method, path, operation) => {
    expect(operationOf(method, path)).toBe(operation);
  });

  it('counts a status outside 1xx-5xx in the nearest class', () => {
    const r = new RequestMetrics();
    r.count('GET', '/healthz', 200);
    r.count('GET', '/healthz', 0);
    r.count('GET', '/healthz', 999);
    const health = r.all.filter((t) => t.labels.operation === 'health');
    expect(Object.fromEntries(health.map((t) => [t.labels.status_class, t.value]))).toEqual({ '1xx': 1, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 1 });
  });
});

describe('push outcomes', () => {
  it('counts a channel that is not configured as _other, and a code outside the list as internal_error', () => {
    const p = new PushMetrics(['chan-a']);
    p.acceptedDelivery([], { stored: 1, duplicates: 0 });
    p.acceptedDelivery({ id: 'random', enabled: true }, { stored: 2, duplicates: 1 });
    p.acceptedDelivery([{ id: 'chan-a', enabled: true }, { id: 'random', enabled: true }], { stored: 1, duplicates: 0 });
    p.refusedDelivery('no_such_code', 'chan-a');
    expect(p.accepted.other.value).toBe(2);
    expect(p.stored.other.value).toBe(3);
    expect(p.duplicates.other.value).toBe(1);
    expect(p.accepted.of('chan-a').value).toBe(1);
    expect(p.refused.find((t) => t.labels.code === 'internal_error' && t.labels.channel === 'chan-a')!.value).toBe(1);
    expect(p.totals()).toEqual({ accepted: 3, refused: 1 });
  });
});
