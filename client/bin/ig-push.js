#!/usr/bin/env node
// The package's `bin`: committed rather than built, so npm links `ig-push` at install time even in a
// fresh clone, where `prepare` builds dist/ only after the links are made. It runs the built command line.
try {
  await import('../dist/ig-push.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('ig-push.js')) throw err;
  process.stderr.write('ig-push: the command line is not built yet: run `npm run build` at the repository root\n');
  process.exitCode = 2;
}
