// The SQLite store's writer thread: the only connection that writes, so a commit and its fsync never
// stop the main thread's event loop. It answers each request only after the work is on disk.
import { workerData } from 'node:worker_threads';
import { commitBatch, probeCommit } from './sqlite-commit.js';
import { answerRequests } from './worker-thread.js';
import { INSERT_SQL, openDatabase, PRUNE_SQL } from './sqlite-schema.js';
import type { WriterData, WriterReply, WriterRequest } from './sqlite-writer.js';

const data = workerData as WriterData;
const db = openDatabase(data.file, data.busyTimeoutMs);
const insert = db.prepare(INSERT_SQL);
const prune = db.prepare(PRUNE_SQL);
const remove = db.prepare('DELETE FROM events WHERE id = ?');

answerRequests<WriterRequest, WriterReply>((request) => {
  if (request.type === 'append') return { outcomes: commitBatch(db, insert, request.deliveries) };
  if (request.type === 'prune') return { pruned: prune.run(request.before, request.max).changes };
  if (request.type === 'probe') {
    probeCommit(db, insert, remove, request.row);
    return {};
  }
  db.close();
  return {};
});
