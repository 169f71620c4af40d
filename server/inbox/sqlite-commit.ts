// Group commit of one batch on the writer's connection: one transaction for the whole batch, one
// savepoint per delivery, so one fsync covers every delivery of the batch while each stays
// all-or-nothing. Runs in the writer thread (sqlite-writer-thread.ts); kept apart from the thread's
// message loop so the tests can drive it in-process.
import type Database from 'better-sqlite3';
import type { EventRow } from './sqlite-schema.js';
import { codeOf, messageOf } from './worker-thread.js';

/** A delivery's own outcome: how many of its events were new, or why its savepoint was rolled back (SQLite's code too). */
export type DeliveryOutcome = { stored: number; duplicates: number } | { error: string; code?: string };

/**
 * Writes every delivery of the batch and commits. Returns only after COMMIT returned, one outcome per
 * delivery in order; throws (having rolled back) when the transaction as a whole cannot commit.
 */
export function commitBatch(db: Database.Database, insert: Database.Statement, deliveries: EventRow[][]): DeliveryOutcome[] {
  const outcomes: DeliveryOutcome[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const rows of deliveries) {
      db.exec('SAVEPOINT delivery');
      try {
        let stored = 0;
        for (const row of rows) stored += insert.run(row).changes;
        // Stryker disable next-line StringLiteral: COMMIT releases every savepoint still open
        db.exec('RELEASE delivery');
        outcomes.push({ stored, duplicates: rows.length - stored });
      } catch (err) {
        // An error that ended the whole transaction (SQLITE_FULL, a trigger's RAISE(ROLLBACK)) took the
        // savepoint with it: it is the batch's failure, and its code is what the log must name.
        if (!db.inTransaction) throw err;
        db.exec('ROLLBACK TO delivery');
        // Stryker disable next-line StringLiteral: ROLLBACK TO already undid the writes; COMMIT releases a savepoint left open
        db.exec('RELEASE delivery');
        outcomes.push({ error: messageOf(err), code: codeOf(err) });
      }
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return outcomes;
}

/**
 * Readiness' test of the write path while writes are failing: one row inserted and deleted again in a
 * transaction that commits, so it meets what a delivery meets (triggers, a full disk, a read-only file)
 * and leaves nothing a reader could see (an id is used up).
 */
export function probeCommit(db: Database.Database, insert: Database.Statement, remove: Database.Statement, row: EventRow): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const r = insert.run(row);
    if (r.changes > 0) remove.run(r.lastInsertRowid);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
