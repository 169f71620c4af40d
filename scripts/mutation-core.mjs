// The files `npm run test:mutation` mutates, each held to the score threshold on its own
// (scripts/mutation-score.mjs) as well as together, in parts that `node scripts/mutation.mjs parts`
// measures one at a time (a whole run is longer than a working session on two cores).
export const parts = {
  // What a delivery goes through before it is stored, and the guard the other routes are read with.
  push: [
    'server/push/signature.ts',
    'server/push/channels.ts',
    'server/push/push-validator.ts',
    'server/push/authenticate.ts',
    'server/routes/push.ts',
    'server/push/body.ts',
    'server/push/fast-path.ts',
    'server/http/bearer-guard.ts',
  ],
  // The settings: the config file's schema and the one grammar every duration and size is read in
  // (issue 36). Apart from the push path so that new settings tests cost a third of the push part's hour.
  settings: ['server/run/config.ts', 'server/run/setting-grammar.ts'],
  // The embedded store: its events, schema, group commit, the writer and the one worker-thread client under it.
  store: [
    'server/inbox/delivery-events.ts',
    'server/inbox/sqlite-inbox.ts',
    'server/inbox/sqlite-schema.ts',
    'server/inbox/sqlite-commit.ts',
    'server/inbox/sqlite-writer.ts',
    'server/inbox/turn-batch.ts',
    'server/inbox/worker-client.ts',
  ],
  // The relay (issue 27): its decisions, the bytes it sends and how, which events travel together.
  // start-relay.ts and routes.ts only wire these; outbox.ts holds types.
  relay: [
    'server/relay/policy.ts',
    'server/relay/breaker.ts',
    'server/relay/delivery.ts',
    'server/relay/destinations.ts',
    'server/relay/sender.ts',
    'server/relay/forward-view.ts',
    'server/relay/batching.ts',
  ],
  // The forwarding loop: its every mutant runs the relay's end-to-end suites.
  forwarding: ['server/relay/forwarder.ts'],
  // The SQLite outbox, in process and in its thread.
  outbox: ['server/relay/sqlite-outbox.ts', 'server/relay/threaded-outbox.ts'],
  client: ['client/signature.ts', 'client/retry.ts', 'client/push-client.ts'],
};

// The quick suites (vitest.static.config.ts) that check each core file's tables and constants: the
// static step runs a file's static mutants against these alone. `related` over every quick suite also
// reaches those that merely start a server on the way (20 s to 70 s a mutant on two cores, where these
// take a few seconds). A file not listed runs against every quick suite that imports it.
const appPush = ['test/push/body-edges.test.ts', 'test/push/signature-edges.test.ts', 'test/push/delivery-limits.test.ts'];
const sqliteStore = ['test/inbox/sqlite-commit.test.ts', 'test/relay/sqlite-claim.test.ts'];
/** @type {Record<string, string[]>} */
export const staticSuitesOf = {
  'server/push/signature.ts': ['test/push/signature.test.ts', 'test/push/signature-edges.test.ts'],
  'server/push/channels.ts': ['test/push/channels.test.ts'],
  'server/push/push-validator.ts': appPush,
  'server/push/authenticate.ts': appPush,
  'server/routes/push.ts': appPush,
  'server/push/body.ts': appPush,
  'server/push/fast-path.ts': appPush,
  'server/run/config.ts': ['test/run/settings.test.ts', 'test/run/config-values.test.ts', 'test/relay/config.test.ts'],
  'server/run/setting-grammar.ts': ['test/run/setting-grammar.test.ts', 'test/run/settings.test.ts'],
  'server/http/bearer-guard.ts': ['test/http/bearer-guard.test.ts'],
  'server/inbox/delivery-events.ts': ['test/inbox/delivery-events.test.ts', 'test/events/kinds.test.ts'],
  'server/inbox/sqlite-inbox.ts': sqliteStore,
  'server/inbox/sqlite-schema.ts': sqliteStore,
  'server/inbox/sqlite-commit.ts': sqliteStore,
  'server/inbox/sqlite-writer.ts': sqliteStore,
  'server/inbox/turn-batch.ts': ['test/inbox/turn-batch.test.ts'],
  'server/inbox/worker-client.ts': ['test/inbox/worker-client.test.ts'],
  'server/relay/policy.ts': ['test/relay/policy.test.ts'],
  'server/relay/breaker.ts': ['test/relay/policy.test.ts'],
  'server/relay/delivery.ts': ['test/relay/policy.test.ts', 'test/relay/sender.test.ts'],
  'server/relay/destinations.ts': ['test/relay/config.test.ts', 'test/relay/drift.test.ts', 'test/relay/sender.test.ts'],
  'server/relay/sender.ts': ['test/relay/sender.test.ts'],
  'server/relay/batching.ts': ['test/relay/batching.test.ts'],
  'server/relay/sqlite-outbox.ts': ['test/relay/sqlite-claim.test.ts'],
  'client/signature.ts': ['test/client/verify-edges.test.ts', 'test/push/signature.test.ts'],
  'client/retry.ts': ['test/client/retries.test.ts', 'test/client/options.test.ts'],
  'client/push-client.ts': ['test/client/options.test.ts', 'test/client/retries.test.ts', 'test/client/verify-edges.test.ts'],
};

export const core = Object.values(parts).flat();
