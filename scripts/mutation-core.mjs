// The files `npm run test:mutation` mutates, each held to the score threshold on its own
// (scripts/mutation-score.mjs) as well as together.
export const core = [
  'server/push/signature.ts',
  'server/inbox/delivery-events.ts',
  'server/inbox/sqlite-inbox.ts',
  'server/inbox/sqlite-schema.ts',
  'server/inbox/sqlite-commit.ts',
  'server/inbox/sqlite-writer.ts',
  'server/inbox/turn-batch.ts',
  'server/push/channels.ts',
  'server/push/push-validator.ts',
  'server/push/authenticate.ts',
  'server/routes/push.ts',
  'server/run/config.ts',
  'server/push/body.ts',
  'server/push/fast-path.ts',
  'client/signature.ts',
  'client/retry.ts',
  'client/push-client.ts',
  // The relay (issue 27): its decisions, the bytes it sends, how it sends them, the forwarding loop,
  // the SQLite outbox and which events travel together. start-relay.ts and routes.ts only wire these; outbox.ts holds types.
  'server/relay/policy.ts',
  'server/relay/breaker.ts',
  'server/relay/delivery.ts',
  'server/relay/destinations.ts',
  'server/relay/sender.ts',
  'server/relay/forwarder.ts',
  'server/relay/sqlite-outbox.ts',
  'server/relay/forward-view.ts',
  'server/relay/batching.ts',
  // Issue 36: the outbox's thread client, the one worker-thread client under it and the writer, the one
  // grammar every duration and size setting is read in, and the one bearer guard of every token.
  'server/relay/threaded-outbox.ts',
  'server/inbox/worker-client.ts',
  'server/run/setting-grammar.ts',
  'server/http/bearer-guard.ts',
];
