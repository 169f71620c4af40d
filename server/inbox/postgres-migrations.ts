// The PostgreSQL inbox's schema, as numbered migrations that postgres-inbox.ts applies at start, once,
// under an advisory lock.
import type pg from 'pg';
import { classifyEvent } from '../events/classify.js';
import { RELAY_MIGRATIONS } from '../relay/postgres-relay-schema.js';

/** A schema change: SQL, or a function for what SQL alone cannot do (classifying stored events). */
export type Migration = string | ((client: pg.PoolClient) => Promise<void>);

/** Rows classified per statement when migration 2 fills in the kinds of events stored before it. */
const BACKFILL_BATCH = 5000;

/** Versioned schema changes, applied in order at start under an advisory lock. Never edit one; add. */
export const MIGRATIONS: Migration[] = [
  `CREATE TABLE inbox_events (
     id bigserial PRIMARY KEY,
     dedupe_key text NOT NULL UNIQUE,
     channel text NOT NULL,
     mid text,
     entry_id text,
     entry_time double precision,
     event json NOT NULL,
     received_at timestamptz NOT NULL,
     txid xid8 NOT NULL DEFAULT pg_current_xact_id()
   );
   CREATE INDEX inbox_events_order ON inbox_events (txid, id);
   CREATE INDEX inbox_events_channel_order ON inbox_events (channel, txid, id);
   CREATE INDEX inbox_events_received_at ON inbox_events (received_at);`,
  // 2: each event's kind and direction (classify.ts), filled in for rows stored before by the same
  // function the push path uses; and (column, id) indexes for reads that filter and walk back by id.
  // No trigram index for the text search: measured, it cut batched writes from 9 600 to 3 600 events/s
  // for a console search that scans 100 000 events in about 300 ms without it. A team that searches
  // more than it writes can add it: CREATE EXTENSION pg_trgm; CREATE INDEX … USING gin ((event::text) gin_trgm_ops).
  async (client) => {
    await client.query(`ALTER TABLE inbox_events ADD COLUMN kind text NOT NULL DEFAULT 'unknown', ADD COLUMN direction text`);
    for (let after = '0'; ; ) {
      const { rows } = await client.query<{ id: string; event: unknown }>('SELECT id, event FROM inbox_events WHERE id > $1 ORDER BY id LIMIT $2', [after, BACKFILL_BATCH]);
      if (rows.length === 0) break;
      const classes = rows.map((r) => classifyEvent(r.event));
      await client.query(
        `UPDATE inbox_events e SET kind = c.kind, direction = c.direction
           FROM unnest($1::bigint[], $2::text[], $3::text[]) AS c(id, kind, direction) WHERE e.id = c.id`,
        [rows.map((r) => r.id), classes.map((c) => c.kind), classes.map((c) => c.direction)],
      );
      after = rows.at(-1)!.id;
    }
    await client.query(`CREATE INDEX inbox_events_channel_id ON inbox_events (channel, id);
                        CREATE INDEX inbox_events_kind_id ON inbox_events (kind, id);
                        CREATE INDEX inbox_events_direction_id ON inbox_events (direction, id);`);
  },
  // 3: the dedupe key becomes its digest (key-digest.ts): a unique b-tree entry holds at most 2 704
  // bytes, and a 1 024-character CJK mid made a raw key of 3 KB that could never be stored. Keys stored
  // before are digested here from the same UTF-8 bytes, so their redeliveries stay duplicates. The
  // unique index is dropped and built again once, cheaper than updating it row by row.
  `ALTER TABLE inbox_events DROP CONSTRAINT inbox_events_dedupe_key_key;
   UPDATE inbox_events SET dedupe_key = encode(sha256(convert_to(dedupe_key, 'UTF8')), 'hex');
   ALTER TABLE inbox_events ADD CONSTRAINT inbox_events_dedupe_key_key UNIQUE (dedupe_key);`,
  // 4: one spelling for kinds, Meta's snake_case (classify.ts): `quick reply` became `quick_reply`.
  `UPDATE inbox_events SET kind = 'quick_reply' WHERE kind = 'quick reply';`,
  // 5 to 7: the relay's tables, owned by the relay (relay/postgres-relay-schema.ts).
  ...RELAY_MIGRATIONS,
];
