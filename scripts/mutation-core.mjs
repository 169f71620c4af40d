// The files `npm run test:mutation` mutates, each held to the score threshold on its own
// (scripts/mutation-score.mjs) as well as together, in parts that `node scripts/mutation.mjs parts`
// measures one at a time (a whole run is longer than a working session on two cores).
export const parts = {
  // What a delivery goes through before it is stored, and the settings and guard it is read with.
  push: [
    'server/push/signature.ts',
    'server/push/channels.ts',
    'server/push/push-validator.ts',
    'server/push/authenticate.ts',
    'server/routes/push.ts',
    'server/run/config.ts',
    'server/push/body.ts',
    'server/push/fast-path.ts',
    // Issue 36: the one grammar every duration and size setting is read in, the one bearer guard.
    'server/run/setting-grammar.ts',
    'server/http/bearer-guard.ts',
  ],
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

export const core = Object.values(parts).flat();
