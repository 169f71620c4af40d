// What the filters of GET /inbox/messages cost on a large inbox: 100 000 stored events (or INBOX_EVENTS),
// on a throwaway PostgreSQL cluster with and without the trigram index, and on SQLite. It times the
// writes (the indexes' price) and each query as the console sends it (`order=desc`, one page of 100)
// through the stores' own `list`, the median of 5 runs after one warm-up, and prints PostgreSQL's plan;
// then how long migration 2 takes to classify and index that many events stored by an earlier version.
//
//   node --import tsx test/bench/inbox-search.ts            # writes reports/bench/inbox-search.json
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Inbox, ListQuery, NewEvent } from '../../server/inbox/inbox.js';
import { PostgresInbox } from '../../server/inbox/postgres-inbox.js';
import { SqliteInbox } from '../../server/inbox/sqlite-inbox.js';
import { startPgCluster } from '../support/postgres.js';

const TOTAL = Number(process.env.INBOX_EVENTS ?? 100_000);
const PER_DELIVERY = Number(process.env.PER_DELIVERY ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const WORDS = ['jacket', 'blue', 'stock', 'order', 'refund', 'hello', 'thanks', 'size', 'delivery', 'price', 'photo', 'reel', 'today', 'shipping', 'return', 'colour'];

/** A plausible inbox: mostly texts, some images, echoes, reactions and reads; a few needles to find. */
function eventAt(i: number): Record<string, unknown> {
  const base = { sender: { id: String(6543210987654321 + (i % 997)) }, recipient: { id: '17841400000000000' }, timestamp: 1732519199876 + i };
  const mid = `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAw${i}`;
  const words = Array.from({ length: 6 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length]).join(' ');
  const r = i % 100;
  if (i === 1234) return { ...base, message: { mid, text: `${words} needle-oldest-one` } };
  if (r < 8) return { ...base, message: { mid, attachments: [{ type: 'image', payload: { url: `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${i}&signature=Ab${i}` } }] } };
  if (r < 16) return { ...base, message: { mid, text: words, is_echo: true } };
  if (r < 19) return { ...base, reaction: { mid, action: 'react', reaction: 'love', emoji: '❤' } };
  if (r < 22) return { ...base, read: { mid } };
  return { ...base, message: { mid, text: i % 5000 === 17 ? `${words} rare-word-${i % 3}` : words } };
}

function newEvent(i: number): NewEvent {
  const event = eventAt(i);
  return { channel: i % 4 ? 'chan-a' : 'chan-b', mid: null, entryId: '17841400000000000', entryTime: 1732519200123, event, dedupeKey: `bench-${i}` };
}

async function fill(inbox: Inbox): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const from = next;
        next += PER_DELIVERY;
        const events = Array.from({ length: Math.min(PER_DELIVERY, TOTAL - from) }, (_, k) => newEvent(from + k));
        await inbox.append(events, new Date());
      }
    }),
  );
  return performance.now() - started;
}

const QUERIES: Array<[string, Omit<ListQuery, 'limit'>]> = [
  ['newest page, no filter', {}],
  ['q: a word in 1 event (the oldest-but-one)', { q: 'needle-oldest-one' }],
  ['q: a word in 7 events', { q: 'rare-word-1' }],
  ['q: a word in none', { q: 'nowhere-to-be-found' }],
  ['q: a common word', { q: 'jacket' }],
  ['q: two common words', { q: 'jacket refund' }],
  ['q: 2 characters (no trigram)', { q: 'zq' }],
  ['kind=reaction (3%)', { kind: 'reaction' }],
  ['direction=echo (8%)', { direction: 'echo' }],
  ['kind=text + q rare', { kind: 'text', q: 'rare-word-2' }],
  ['channel=chan-b + q common', { channel: 'chan-b', q: 'shipping' }],
];

async function time(run: () => Promise<unknown>): Promise<number> {
  await run();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await run();
    runs.push(performance.now() - t);
  }
  return Math.round(runs.sort((a, b) => a - b)[2]! * 10) / 10;
}

async function measure(inbox: Inbox): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, filters] of QUERIES) out[name] = await time(() => inbox.list({ ...filters, order: 'desc', limit: 100 }));
  // Walking back from the middle, and forward (asc) with a rare word from the start.
  out['desc page from the middle'] = await time(() => inbox.list({ order: 'desc', limit: 100, cursor: String(Math.floor(TOTAL / 2)) }));
  out['asc: q rare from the start'] = await time(() => inbox.list({ q: 'needle-oldest-one', limit: 100 }));
  return out;
}

async function plans(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const explain = async (where: string, value: string) => {
      const r = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM inbox_events WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) AND ${where} ORDER BY id DESC LIMIT 100`,
        [value],
      );
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    };
    return {
      'q rare': await explain('event::text ILIKE $1', '%needle-oldest-one%'),
      'q common': await explain('event::text ILIKE $1', '%jacket%'),
      'kind=reaction': await explain('kind = $1', 'reaction'),
    };
  } finally {
    await client.end();
  }
}

async function sizes(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ name: string; size: string }>(
      `SELECT c.relname AS name, pg_size_pretty(pg_relation_size(c.oid)) AS size FROM pg_class c
        WHERE c.relname LIKE 'inbox_events%' AND c.relkind IN ('r', 'i') ORDER BY pg_relation_size(c.oid) DESC`,
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.size]));
  } finally {
    await client.end();
  }
}

/** A PostgreSQL database as schema version 1 left it, holding TOTAL events, for timing migration 2. */
async function postgresV1(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE inbox_events (
        id bigserial PRIMARY KEY, dedupe_key text NOT NULL UNIQUE, channel text NOT NULL, mid text, entry_id text,
        entry_time double precision, event json NOT NULL, received_at timestamptz NOT NULL, txid xid8 NOT NULL DEFAULT pg_current_xact_id());
      CREATE INDEX inbox_events_order ON inbox_events (txid, id);
      CREATE INDEX inbox_events_channel_order ON inbox_events (channel, txid, id);
      CREATE INDEX inbox_events_received_at ON inbox_events (received_at);
      CREATE TABLE inbox_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO inbox_migrations (version) VALUES (1);`);
    for (let from = 0; from < TOTAL; from += 5000) {
      const events = Array.from({ length: Math.min(5000, TOTAL - from) }, (_, k) => newEvent(from + k));
      await c.query(
        `INSERT INTO inbox_events (dedupe_key, channel, event, received_at) SELECT k, c, e, now() FROM unnest($1::text[], $2::text[], $3::json[]) AS t(k, c, e)`,
        [events.map((e) => e.dedupeKey), events.map((e) => e.channel), events.map((e) => JSON.stringify(e.event))],
      );
    }
  } finally {
    await c.end();
  }
}

/** Seconds the current code takes to open (migrate) that database. */
async function upgradeSeconds(open: () => Inbox): Promise<number> {
  const t = performance.now();
  const inbox = open();
  await inbox.ready();
  const s = Math.round((performance.now() - t) / 100) / 10;
  await inbox.close();
  return s;
}

const report: Record<string, unknown> = { events: TOTAL, at: new Date().toISOString() };
const cluster = await startPgCluster();
try {
  for (const trigram of [true, false]) {
    const url = await cluster.createDatabase();
    const inbox = new PostgresInbox({ connectionString: url, poolSize: CONCURRENCY });
    await inbox.ready();
    if (trigram) {
      // The server does not create it (it costs writes too much, see postgres-migrations.ts): measured here as a team would add it.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await c.query('CREATE INDEX inbox_events_event_trgm ON inbox_events USING gin ((event::text) gin_trgm_ops)');
      await c.end();
    }
    const fillMs = await fill(inbox);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('VACUUM ANALYZE inbox_events');
    await c.end();
    const name = trigram ? 'postgresql (trigram index)' : 'postgresql (no trigram index)';
    report[name] = { writesPerSecond: Math.round(TOTAL / (fillMs / 1000)), queriesMs: await measure(inbox), sizes: await sizes(url), plans: trigram ? await plans(url) : undefined };
    console.log(name, JSON.stringify(report[name], null, 2));
    await inbox.close();
  }
  // Migration 2 holds the table while it classifies stored events and builds its indexes.
  const old = await cluster.createDatabase();
  await postgresV1(old);
  report['postgresql migration 2 (s)'] = await upgradeSeconds(() => new PostgresInbox({ connectionString: old }));
  console.log('postgresql migration 2 (s)', report['postgresql migration 2 (s)']);
} finally {
  await cluster.destroy();
}
const dir = mkdtempSync(join(tmpdir(), 'ipk-search-bench-'));
try {
  const inbox = new SqliteInbox({ file: join(dir, 'inbox.sqlite') });
  const fillMs = await fill(inbox);
  report.sqlite = { writesPerSecond: Math.round(TOTAL / (fillMs / 1000)), queriesMs: await measure(inbox) };
  console.log('sqlite', JSON.stringify(report.sqlite, null, 2));
  await inbox.close();
  // The same file as migration 1 left it: drop what migration 2 added, then open it again.
  const file = join(dir, 'inbox.sqlite');
  const db = new Database(file);
  db.exec('DROP INDEX events_kind_id; DROP INDEX events_direction_id; ALTER TABLE events DROP COLUMN kind; ALTER TABLE events DROP COLUMN direction;');
  db.pragma('user_version = 1');
  db.close();
  report['sqlite migration 2 (s)'] = await upgradeSeconds(() => new SqliteInbox({ file }));
  console.log('sqlite migration 2 (s)', report['sqlite migration 2 (s)']);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync('reports/bench', { recursive: true });
writeFileSync('reports/bench/inbox-search.json', `${JSON.stringify(report, null, 2)}\n`);
