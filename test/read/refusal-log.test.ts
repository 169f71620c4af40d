// The refusals kept for the console (read/refusal-log.ts): bounded in count and in body bytes.
import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../../server/read/refusal-log.js';

describe('the refusal log', () => {
  it('keeps the newest `capacity` refusals and cuts bodies at `maxBodyBytes`', () => {
    const log = new RefusalLog({ capacity: 3, maxBodyBytes: 8 });
    const seen: number[] = [];
    log.subscribe((r) => seen.push(r.id));
    for (let i = 0; i < 5; i++) {
      log.add({ at: '', method: 'POST', path: '/', status: 400, channel: null, contentType: null, error: { resultMsg: '', code: 'bad_request', requestId: '', errors: [] }, body: Buffer.from(`body-number-${i}`) });
    }
    expect(log.size).toBe(3);
    expect(log.since().map((r) => r.id)).toEqual([3, 4, 5]);
    expect(log.since(4).map((r) => r.id)).toEqual([5]);
    expect(log.since()[0]).toMatchObject({ body: 'body-num', bodyTruncated: true });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
