// A store's one-time setup (store/retried-setup.ts): once for all callers, again after a failure, so a
// database unreachable at start is used once it is back.
import { describe, expect, it } from 'vitest';
import { RetriedSetup } from '../../server/store/retried-setup.js';

class Unreachable extends Error {}

describe('a retried setup', () => {
  it('runs once for every caller while it is under way and after it succeeded', async () => {
    let runs = 0;
    const setup = new RetriedSetup(async () => void runs++, (cause) => new Unreachable('no', { cause }));
    expect(setup.started).toBeUndefined();
    await Promise.all([setup.run(), setup.run(), setup.run()]);
    await setup.run();
    expect(runs).toBe(1);
    expect(setup.started).toBeInstanceOf(Promise);
  });

  it('gives every waiting caller the mapped error with its cause, then runs again at the next call', async () => {
    const cause = new Error('ECONNREFUSED');
    let runs = 0;
    const setup = new RetriedSetup(
      async () => {
        runs++;
        if (runs === 1) throw cause;
      },
      (err) => new Unreachable('the database is unreachable', { cause: err }),
    );
    const failures = await Promise.allSettled([setup.run(), setup.run()]);
    for (const f of failures) {
      expect(f.status).toBe('rejected');
      const reason = (f as PromiseRejectedResult).reason as Unreachable;
      expect(reason).toBeInstanceOf(Unreachable);
      expect(reason.cause).toBe(cause);
    }
    expect(setup.started).toBeUndefined();
    await setup.run();
    expect(runs).toBe(2);
  });
});
