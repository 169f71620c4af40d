// The SQLite outbox's thread: the relay's claims, outcomes and reads run here, on a connection of their
// own, so neither their work nor a wait for the write lock the inbox's writer holds ever stops the
// main thread's event loop (measured: a claim or a record waiting on the lock was a quarter of the
// relay's main thread under full push load). Requests are answered in order, one at a time.
import { workerData } from 'node:worker_threads';
import { answerRequests } from '../inbox/worker-thread.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import type { OutboxReply, OutboxRequest, OutboxThreadData } from './threaded-outbox.js';

const data = workerData as OutboxThreadData;
let outbox: SqliteOutbox | undefined;
let failure: unknown;
try {
  outbox = new SqliteOutbox(data.file, data.destinations);
} catch (err) {
  failure = err;
}

answerRequests<OutboxRequest, OutboxReply>(async (request) => {
  if (!outbox) throw failure;
  const method = outbox[request.method] as (...args: unknown[]) => Promise<unknown>;
  return { result: await method.apply(outbox, request.args) };
});
