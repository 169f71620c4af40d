// The files `npm run test:mutation` mutates, each held to the score threshold on its own
// (scripts/mutation-score.mjs) as well as together.
export const core = [
  'server/push/signature.ts',
  'server/inbox/events.ts',
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
  'server/routes/push-fast.ts',
  'client/signature.ts',
  'client/retry.ts',
  'client/push-client.ts',
  // The relay (issue 27): its decisions, the bytes it sends, how it sends them, the forwarding loop and
  // the SQLite outbox. start-relay.ts and routes.ts only wire these; outbox.ts holds types.
  'server/relay/policy.ts',
  'server/relay/breaker.ts',
  'server/relay/delivery.ts',
  'server/relay/destinations.ts',
  'server/relay/sender.ts',
  'server/relay/forwarder.ts',
  'server/relay/sqlite-outbox.ts',
  'server/relay/forward-view.ts',
];
