// The SQLite store's writer thread: the only connection that writes, so a commit and its fsync never
// stop the main thread's event loop. It answers each request only after the work is on disk.
import { parentPort, workerData } from 'node:worker_threads';
import { codeOf, commitBatch, messageOf, probeCommit } from './sqlite-commit.js';
import { INSERT_SQL, openDatabase, PRUNE_SQL } from './sqlite-schema.js';
import type { WriterData, WriterReply, WriterRequest } from './sqlite-writer.js';

const data = workerData as WriterData;
const db = openDatabase(data.file, data.busyTimeoutMs);
const insert = db.prepare(INSERT_SQL);
const prune = db.prepare(PRUNE_SQL);
const remove = db.prepare('DELETE FROM events WHERE id = ?');

parentPort!.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    if (request.type === 'append') reply = { id: request.id, outcomes: commitBatch(db, insert, request.deliveries) };
    else if (request.type === 'prune') reply = { id: request.id, pruned: prune.run(request.before, request.max).changes };
    else if (request.type === 'probe') {
      probeCommit(db, insert, remove, request.row);
      reply = { id: request.id };
    }
    else {
      db.close();
      reply = { id: request.id };
    }
  } catch (err) {
    reply = { id: request.id, error: messageOf(err), code: codeOf(err) };
  }
  parentPort!.postMessage(reply);
});
