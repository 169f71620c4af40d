// A SQLite reader thread: one read-only connection answering pages, searches and the feed's tail, so
// neither their CPU nor their disk reads ever hold up the thread that answers pushes. The thread runs at
// the lowest CPU priority: when the cores are busy, pushes (the main and writer threads) go first and a
// search waits; when they are idle, a search runs at full speed.
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { answerRequests } from './worker-thread.js';
import { SqliteReads } from './sqlite-reads.js';
import { openDatabase } from './sqlite-schema.js';
import type { ReaderData, ReaderReply, ReaderRequest } from './sqlite-reader.js';

const data = workerData as ReaderData;
// On Linux, priority 0's "process" is the calling thread: only this thread is niced. Where the platform
// refuses, reads simply run at normal priority.
try {
  setPriority(0, data.niceness);
} catch {
  // not permitted here: no harm, only less deference to pushes
}
const db = openDatabase(data.file, data.busyTimeoutMs);
// This connection never writes; the writer thread owns every write.
db.pragma('query_only = ON');
const reads = new SqliteReads(db);

answerRequests<ReaderRequest, ReaderReply>((request) => {
  if (request.type === 'list') return { page: reads.list(request.query, request.maxBytes) };
  if (request.type === 'tail') return { page: reads.tail(request.limit, request.maxBytes) };
  db.close();
  return {};
});
