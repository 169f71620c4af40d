// The SQLite outbox as the relay uses it: every call runs in the outbox's own thread
// (sqlite-outbox-thread.ts) and comes back as a message, so the main thread only posts and reads them.
// The schema and the destinations are installed once on the calling thread first, synchronously, so a
// store that cannot take them fails the start, and the trigger exists before any event is stored.
import { startWorker } from '../inbox/start-worker.js';
import { RetriedSetup } from '../store/retried-setup.js';
import { WorkerClient, type ThreadFailure } from '../inbox/worker-client.js';
import type { Destination } from './destinations.js';
import type { Outbox } from './outbox.js';
import { SqliteOutbox } from './sqlite-outbox.js';

export interface OutboxThreadData {
  file: string;
  destinations: Destination[];
}

/** The calls the thread answers: every method of the outbox. */
type Method = keyof Outbox;
export type OutboxRequest = { id: number; method: Method; args: unknown[] };
export type OutboxReply = { id: number; result: unknown } | ThreadFailure;

export class ThreadedOutbox implements Outbox {
  private readonly client: WorkerClient<OutboxRequest, OutboxReply>;
  /** Every append waits for it (start-relay.ts): asked of the thread once, not once per append, and again after a failure. */
  private readonly opening = new RetriedSetup(
    () => this.call('open', []) as Promise<void>,
    (err) => err as Error,
  );

  constructor(data: OutboxThreadData) {
    new SqliteOutbox(data.file, data.destinations).close();
    // A thread that died fails what it was asked: the forwarder logs it and tries again (leases make
    // an unrecorded attempt due again; nothing is lost).
    this.client = new WorkerClient(() => startWorker(new URL('./sqlite-outbox-thread', import.meta.url), data), {
      words: { stopped: 'the relay outbox thread stopped', exited: 'the relay outbox thread exited', closed: 'the relay outbox is closed' },
    });
    this.client.warm();
  }

  open = (): Promise<void> => this.opening.run();
  claim: Outbox['claim'] = (...args) => this.call('claim', args) as ReturnType<Outbox['claim']>;
  record: Outbox['record'] = (...args) => this.call('record', args) as ReturnType<Outbox['record']>;
  /**
   * Each destination's pause switch, as last read or set here. Exact: on SQLite this process is the
   * file's only relay, and every pause and resume goes through setPaused below. Every stored event
   * wakes the forwarder, which asks this first: a message to the thread each time cost pushes 5–10%.
   */
  private readonly pauses = new Map<string, boolean>();

  paused: Outbox['paused'] = async (destination) => {
    const known = this.pauses.get(destination);
    if (known !== undefined) return known;
    const paused = (await this.call('paused', [destination])) as boolean;
    this.pauses.set(destination, paused);
    return paused;
  };

  setPaused: Outbox['setPaused'] = async (destination, paused) => {
    this.pauses.delete(destination);
    const known = (await this.call('setPaused', [destination, paused])) as boolean;
    // Set on the answer: the thread answers in order, so a read sent before this cannot outlive it.
    if (known) this.pauses.set(destination, paused);
    else this.pauses.delete(destination);
    return known;
  };
  replayEvent: Outbox['replayEvent'] = (...args) => this.call('replayEvent', args) as ReturnType<Outbox['replayEvent']>;
  replayDead: Outbox['replayDead'] = (...args) => this.call('replayDead', args) as ReturnType<Outbox['replayDead']>;
  discard: Outbox['discard'] = (...args) => this.call('discard', args) as ReturnType<Outbox['discard']>;
  list: Outbox['list'] = (...args) => this.call('list', args) as ReturnType<Outbox['list']>;
  status: Outbox['status'] = (...args) => this.call('status', args) as ReturnType<Outbox['status']>;

  /** Closes the thread's connection and ends the thread; calls after it reject. */
  async close(): Promise<void> {
    await this.client.close({ method: 'close', args: [] });
  }

  private async call(method: Method, args: unknown[]): Promise<unknown> {
    return ((await this.client.request({ method, args })) as { result: unknown }).result;
  }
}
