// `npm run test:faults`: proves the suite catches what matters. Each fault is injected into a scratch
// copy of the repository (never the working tree), the relevant tests run there, and the fault counts as
// caught only if they fail. Exits non-zero unless every fault is caught.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

// Each fault names the tests that must catch it; (e) is the skip the shared inbox's reader exists to prevent.
const faults = [
  {
    name: '(a1) runtime validation switched off on the push hot path',
    patches: [['server/push/push-validator.ts', '      if (fastBody(value)) return null;', '      return null;']],
    tests: ['test/server/push.test.ts', 'test/contract/generated-cases.test.ts'],
  },
  {
    name: '(a2) express-openapi-validator request validation switched off',
    patches: [['server/contract/validator.ts', 'validateRequests: { allowUnknownQueryParameters: false, coerceTypes: false, allErrors: true },', 'validateRequests: false,']],
    tests: ['test/server/handshake.test.ts', 'test/server/fast-path-parity.test.ts'],
  },
  {
    name: '(b) the spec changes without regenerating',
    patches: [['openapi/components/schemas/EpochTime.yaml', 'type: number', 'type: integer']],
    tests: ['test/contract/spec.test.ts'],
  },
  {
    name: '(c) signature comparison accepts anything',
    patches: [['server/push/signature.ts', "  if (header === undefined || header === '') return 'missing';", "  if (header === undefined || header === '') return 'missing';\n  return 'valid';"]],
    tests: ['test/server/push.test.ts'],
  },
  {
    name: '(d) the store acknowledges before committing',
    patches: [
      [
        'server/inbox/sqlite-writer.ts',
        '    return new Promise((resolve, reject) => this.batches.add({ rows, resolve, reject }));',
        '    return new Promise((resolve) => {\n      this.batches.add({ rows, resolve: () => {}, reject: () => {} });\n      resolve({ stored: rows.length, duplicates: 0 });\n    });',
      ],
    ],
    tests: ['test/inbox/behaviour.test.ts', 'test/server/operations.test.ts'],
  },
  {
    name: '(d3) the SQLite writer thread answers before its COMMIT returned',
    patches: [['server/inbox/sqlite-commit.ts', "    db.exec('COMMIT');", "    setTimeout(() => db.exec('COMMIT'), 20);"]],
    tests: ['test/inbox/sqlite-commit.test.ts'],
  },
  {
    name: '(d2) the PostgreSQL store acknowledges before committing',
    patches: [['server/inbox/postgres-inbox.ts', '    const r = await this.query(', '    const r = { rowCount: events.length };\n    void this.query(']],
    tests: ['test/inbox/behaviour.test.ts'],
  },
  {
    name: '(e) the PostgreSQL reader pages by id alone, ignoring transactions still in flight',
    patches: [['server/inbox/postgres-reads.ts', ' AND txid < pg_snapshot_xmin(pg_current_snapshot()) ${filters.sql}', ' ${filters.sql}']],
    tests: ['test/inbox/postgres.test.ts'],
  },
  {
    name: '(f) numbers that overflow to infinity are no longer looked for',
    patches: [['server/push/delivery-limits.ts', '  const nonFinite = firstNonFinite(payload);', '  const nonFinite = null;']],
    tests: ['test/push/delivery-limits.test.ts', 'test/server/read-back.test.ts'],
  },
  {
    name: '(g) the server reads on after a refusal (no Connection: close)',
    patches: [['server/http/connection-guard.ts', '  if (!res.headersSent && bodyLeftUnread(req)) {', '  if (!res.headersSent && bodyLeftUnread(req) && false) {']],
    tests: ['test/server/refusal-cost.test.ts'],
  },
  {
    name: '(g2) the server closes at once after a 413 instead of lingering (the client sees EPIPE, not the 413)',
    patches: [['server/http/connection-guard.ts', '    lingerAfterAnswer(req, linger);\n', '']],
    tests: ['test/server/lingering-close.test.ts'],
  },
  {
    name: '(h2) pipelined requests are all answered at once, however many answers wait unread',
    patches: [['server/http/http-server.ts', '    boundPipelining(handler, pipelining),', '    handler,']],
    tests: ['test/server/pipelining.test.ts'],
  },
  {
    name: '(i2) the operational routes answer any letter case and a trailing slash',
    patches: [['server/routes/ops.ts', '  const router = Router({ strict: true, caseSensitive: true });', '  const router = Router();']],
    tests: ['test/server/exact-routes.test.ts'],
  },
  {
    name: '(j) every refusal logged on its own line again',
    patches: [['server/read/refusal-summary.ts', '    if (seen) {', '    if (seen && false) {']],
    tests: ['test/server/refusal-summary.test.ts'],
  },
  {
    name: '(h) the dedupe key stored raw again, not as its fixed-length digest',
    patches: [['server/inbox/key-digest.ts', "  return createHash('sha256').update(key, 'utf8').digest('hex');", '  return key;']],
    tests: ['test/inbox/behaviour.test.ts', 'test/inbox/dedupe.test.ts'],
  },
  {
    name: '(i) readiness that ignores failing writes',
    patches: [['server/inbox/store-health.ts', '    if (this.writable) return Promise.resolve(true);', '    return Promise.resolve(true);']],
    tests: ['test/inbox/store-health.test.ts', 'test/inbox/readiness.test.ts'],
  },
  {
    name: "(i2) readiness ignores a delivery's failed commit (only its own probe counts)",
    patches: [['server/inbox/store-health.ts', '        this.failed(err, bytes);\n        throw err;', '        throw err;']],
    tests: ['test/inbox/full-disk.test.ts', 'test/inbox/readiness.test.ts'],
  },
  {
    name: '(i3) a tiny write ends a spell of writes that failed for want of space',
    patches: [['server/inbox/store-health.ts', 'if (!this.spell || (this.spell.neededBytes > 0 && sizeOf(bytes) < this.spell.neededBytes)) return;', 'if (!this.spell) return;']],
    tests: ['test/inbox/full-disk.test.ts'],
  },
  {
    name: '(r1) the relay marks an event delivered before the destination answered 200',
    patches: [['server/relay/forwarder.ts', '      const result = await this.send(d, bytes);', "      void this.send(d, bytes);\n      const result = { status: 200, body: '{\"resultMsg\":\"200\"}', retryAfter: null, latencyMs: 0 };"]],
    tests: ['test/relay/forwarding.test.ts'],
  },
  {
    name: '(r2) a relay retry sends different bytes than the first attempt',
    patches: [['server/relay/forwarder.ts', '    const bytes = deliveryBytes(delivery.events);', "    const bytes = Buffer.from(`${deliveryBytes(delivery.events).toString('utf8')}${' '.repeat(delivery.attempts)}`);"]],
    tests: ['test/relay/forwarding.test.ts'],
  },
  {
    name: '(r2b) a relay retry regroups its delivery (other events, so other bytes)',
    patches: [['server/relay/batching.ts', '    if (f.delivery !== null) {', '    if (f.delivery !== null && f.delivery < 0) {']],
    tests: ['test/relay/outbox.test.ts', 'test/relay/forwarder.test.ts'],
  },
  {
    name: '(r3) a relay lease never expires (a crash mid-send strands the event)',
    patches: [['server/relay/sqlite-outbox.ts', "const LEASE = 'next_at = @leaseUntil,", "const LEASE = 'next_at = 9007199254740991 + 0 * @leaseUntil,"]],
    tests: ['test/relay/outbox.test.ts'],
  },
  {
    name: '(r3b) a relay lease never expires on PostgreSQL',
    patches: [['server/relay/postgres-outbox.ts', 'UPDATE relay_forwards f SET next_at = $3,', 'UPDATE relay_forwards f SET next_at = 9007199254740991 + 0 * $3,']],
    tests: ['test/relay/outbox.test.ts'],
  },
  {
    name: '(r4) instances sharing PostgreSQL claim the same forward (no lease taken)',
    patches: [['server/relay/postgres-outbox.ts', 'UPDATE relay_forwards f SET next_at = $3,', 'UPDATE relay_forwards f SET next_at = f.next_at + 0 * $3,']],
    tests: ['test/relay/outbox.test.ts'],
  },
  {
    name: '(r5) an instance whose lease ran out overwrites the next holder\'s outcome',
    patches: [['server/relay/postgres-outbox.ts', ' AND f.lease IS NOT DISTINCT FROM r.lease`', '`']],
    tests: ['test/relay/outbox.test.ts'],
  },
  {
    name: '(r6) a destination missing from the SQLite store\'s configuration dead-letters its open forwards again',
    patches: [
      [
        'server/relay/sqlite-outbox.ts',
        "      this.db.prepare('DELETE FROM relay_destinations WHERE id NOT IN (SELECT value FROM json_each(?))')",
        "      this.db.prepare(`UPDATE relay_forwards SET state = 'dead', last_error = 'the destination was removed from the configuration' WHERE destination NOT IN (SELECT value FROM json_each(?)) AND ${OPEN_STATES}`).run(JSON.stringify(destinations.map((d) => d.id)));\n      this.db.prepare('DELETE FROM relay_destinations WHERE id NOT IN (SELECT value FROM json_each(?))')",
      ],
    ],
    tests: ['test/relay/outbox.test.ts', 'test/relay/configuration-drift.test.ts'],
  },
  {
    name: '(r6b) a destination no live PostgreSQL instance configures dead-letters its open forwards again',
    patches: [
      [
        'server/relay/instance-registry.ts',
        '  await client.query(\n    `DELETE FROM relay_destinations d WHERE NOT EXISTS (',
        "  await client.query(\n    `UPDATE relay_forwards f SET state = 'dead', last_error = 'the destination was removed from the configuration' WHERE f.state IN ('pending', 'retrying') AND NOT EXISTS (\n       SELECT 1 FROM relay_instances i WHERE i.destinations @> jsonb_build_array(jsonb_build_object('id', f.destination)))`,\n  );\n  await client.query(\n    `DELETE FROM relay_destinations d WHERE NOT EXISTS (",
      ],
    ],
    tests: ['test/relay/outbox.test.ts', 'test/relay/configuration-drift.test.ts'],
  },
  {
    name: '(s1) a second server starts on a data dir another one holds (the lock is not taken)',
    patches: [['server/store/open-store.ts', '  const lock = lockDataDir(options.dataDir);', '  const lock = { release() {} };']],
    tests: ['test/inbox/data-dir-lock.test.ts'],
  },
];

function scratchCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-fault-'));
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

// FAULTS=g,h runs only the faults named (g) and (h), to check one's own without running them all.
const only = process.env.FAULTS?.split(',').map((id) => `(${id.trim()})`);
const chosen = only ? faults.filter((f) => only.some((id) => f.name.startsWith(id))) : faults;
// Two faults at a time, each vitest on one worker (vitest's own default on two cores): a fault's run is
// mostly one busy process (scratch copy, vitest startup, imports, one file), so one by one left the second
// core idle. Two test files then run at once where `npm test` runs one: a timing-sensitive test that went
// red from the load alone would count its fault caught, so the red test each fault prints is worth a look.
// FAULTS_JOBS=1 runs them one by one.
const jobs = Math.max(1, Number(process.env.FAULTS_JOBS ?? 2) || 1);

function run(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Injects one fault into a scratch copy and runs its tests there: caught when a test file goes red. */
async function tryFault(fault) {
  const dir = scratchCopy();
  try {
    for (const [file, before, after] of fault.patches) {
      const text = readFileSync(join(dir, file), 'utf8');
      if (!text.includes(before)) throw new Error(`${fault.name}: the patch no longer applies to ${file}; update scripts/faults.mjs`);
      writeFileSync(join(dir, file), text.replace(before, after));
    }
    const started = Date.now();
    // One red test is enough: --bail stops the run there instead of finishing the files. On one worker a
    // fault's second file runs only if the first did not catch it.
    const r = await run(['node_modules/vitest/vitest.mjs', 'run', '--bail=1', '--maxWorkers=1', ...fault.tests], dir);
    const output = r.output.replace(/\x1b\[[0-9;]*m/g, '');
    // Caught means a test file went red (a failed test or a failed setup hook), not that vitest found
    // nothing to run.
    const red = r.status !== 0 && /\bFAIL\s/.test(output);
    const failed = [...new Set([...output.matchAll(/FAIL +(.+)/g)].map((m) => m[1].trim()))].slice(0, 4);
    return { red, lines: [`${red ? 'caught ' : 'MISSED '} ${fault.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`, ...failed.map((f) => `         red: ${f}`)] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let caught = 0;
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: Math.min(jobs, chosen.length) }, async () => {
    while (next < chosen.length) {
      const fault = chosen[next++];
      const { red, lines } = await tryFault(fault);
      if (red) caught++;
      console.log(lines.join('\n'));
    }
  }),
);
console.log(`\nfaults caught: ${caught}/${chosen.length} (${((Date.now() - started) / 1000).toFixed(0)} s, ${jobs} at a time)`);
process.exit(caught === chosen.length && chosen.length > 0 ? 0 : 1);
