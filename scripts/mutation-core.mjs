// The files `npm run test:mutation` mutates, each held to the score threshold on its own
// (scripts/mutation-score.mjs) as well as together.
export const core = [
  'server/signature.ts',
  'server/inbox/events.ts',
  'server/inbox/sqlite-inbox.ts',
  'server/inbox/sqlite-schema.ts',
  'server/inbox/sqlite-commit.ts',
  'server/inbox/sqlite-writer.ts',
  'server/inbox/turn-batch.ts',
  'server/channels.ts',
  'server/push-validator.ts',
  'server/routes/push.ts',
  'server/config.ts',
  'server/body.ts',
  'server/routes/push-fast.ts',
  'client/signature.ts',
  'client/retry.ts',
  'client/push-client.ts',
];
