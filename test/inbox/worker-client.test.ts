// The one request/reply loop the store threads share (server/inbox/worker-client.ts), over a tiny real
// thread: replies reach their own request, a thread's error keeps its code, a thread that dies fails all
// it was asked (and the next request starts a new one), close answers what was asked first, and the
// requests in flight are bounded.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../server/inbox/inbox.js';
import { storeErrorCode } from '../../server/inbox/store-errors.js';
import { WorkerClient, WorkerError, type ThreadFailure } from '../../server/inbox/worker-client.js';

type Request =
  | { id: number; type: 'echo'; value: string }
  | { id: number; type: 'late'; value: string; ms: number }
  | { id: number; type: 'slow'; value: string; ms: number }
  | { id: number; type: 'fail' }
  | { id: number; type: 'exit' }
  | { id: number; type: 'close' };
type Reply = { id: number; value: string } | { id: number } | ThreadFailure;

const words = { stopped: 'the test thread stopped', exited: 'the test thread exited', closed: 'the test thread is closed' };
const started: Worker[] = [];
function client(maxPending?: number) {
  return new WorkerClient<Request, Reply>(() => {
    const thread = new Worker(new URL('../fixtures/worker/echo-thread.mjs', import.meta.url));
    started.push(thread);
    return thread;
  }, { words, maxPending });
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.terminate()));
});

describe('the worker-thread client', () => {
  it('routes each reply to its own request, even when they come back out of order', async () => {
    const c = client();
    const late = c.request({ type: 'late', value: 'first', ms: 100 });
    const soon = c.request({ type: 'echo', value: 'second' });
    expect(await soon).toMatchObject({ value: 'second' });
    expect(c.pending).toBe(1);
    expect(await late).toMatchObject({ value: 'first' });
    expect(c.pending).toBe(0);
  });

  it("rejects with the thread's error, its code readable by storeErrorCode", async () => {
    const c = client();
    const failed = await c.request({ type: 'fail' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkerError);
    expect(failed).toMatchObject({ message: 'database or disk is full', code: 'SQLITE_FULL' });
    expect(storeErrorCode(new StoreUnavailableError('the delivery could not be written', { cause: failed }))).toBe('SQLITE_FULL');
    expect(await c.request({ type: 'echo', value: 'next' })).toMatchObject({ value: 'next' });
  });

  it('rejects everything pending with StoreUnavailableError when the thread exits, then starts a new thread', async () => {
    const c = client();
    const pending = [c.request({ type: 'late', value: 'a', ms: 5000 }), c.request({ type: 'late', value: 'b', ms: 5000 })];
    const exit = c.request({ type: 'exit' });
    for (const p of [...pending, exit]) {
      await expect(p).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(p).rejects.toMatchObject({ message: 'the test thread stopped', cause: { message: 'the test thread exited with code 3' } });
    }
    expect(c.pending).toBe(0);
    expect(await c.request({ type: 'echo', value: 'again' })).toMatchObject({ value: 'again' });
    expect(started).toHaveLength(2);
  });

  it('answers what was asked before close, ends the thread, and refuses requests after it', async () => {
    const c = client();
    const asked = c.request({ type: 'slow', value: 'before close', ms: 50 });
    const thread = (c as any).thread as Worker;
    const exited = new Promise((resolve) => thread.once('exit', () => resolve('exited')));
    await c.close({ type: 'close' });
    expect(await asked).toMatchObject({ value: 'before close' });
    expect(await exited).toBe('exited');
    await expect(c.request({ type: 'echo', value: 'late' })).rejects.toMatchObject({ name: 'StoreUnavailableError', message: 'the test thread is closed' });
    expect(started).toHaveLength(1);
  });

  it('rejects, once the thread is ended, what it had not answered when it acknowledged close', async () => {
    const c = client();
    const unanswered = c.request({ type: 'late', value: 'never', ms: 5000 });
    await c.close({ type: 'close' });
    await expect(unanswered).rejects.toMatchObject({ name: 'StoreUnavailableError', message: 'the test thread is closed' });
  });

  it('starts no thread to close one never started', async () => {
    const c = client();
    await c.close({ type: 'close' });
    expect(started).toHaveLength(0);
  });

  it('refuses a request past the bound of requests in flight, and takes one again once a reply came', async () => {
    const c = client(2);
    const first = c.request({ type: 'late', value: '1', ms: 50 });
    const second = c.request({ type: 'late', value: '2', ms: 50 });
    await expect(c.request({ type: 'echo', value: '3' })).rejects.toBeInstanceOf(StoreUnavailableError);
    await Promise.all([first, second]);
    expect(await c.request({ type: 'echo', value: '4' })).toMatchObject({ value: '4' });
  });

  it('keeps the process alive only while a request waits: the thread is held while busy and let go once idle or warmed', async () => {
    const holds: string[] = [];
    const c = new WorkerClient<Request, Reply>(() => {
      const thread = new Worker(new URL('../fixtures/worker/echo-thread.mjs', import.meta.url));
      started.push(thread);
      // The real thread's own switches, watched: whether a thread keeps the process alive is not readable on Node 20.
      const { ref, unref } = thread;
      thread.ref = () => (holds.push('ref'), ref.call(thread));
      thread.unref = () => (holds.push('unref'), unref.call(thread));
      return thread;
    }, { words });
    c.warm();
    expect(started).toHaveLength(1);
    expect(holds).toEqual(['unref']);
    c.warm();
    expect(started).toHaveLength(1);
    const first = c.request({ type: 'late', value: 'a', ms: 50 });
    const second = c.request({ type: 'echo', value: 'b' });
    expect(holds).toEqual(['unref', 'ref', 'ref']);
    await second;
    // One request still waits: the thread stays held.
    expect(holds).toEqual(['unref', 'ref', 'ref']);
    await first;
    expect(holds).toEqual(['unref', 'ref', 'ref', 'unref']);
    await c.close({ type: 'close' });
    c.warm();
    expect(started).toHaveLength(1);
  });
});

