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
];
