#!/usr/bin/env node
// The `ig-push` executable (package.json `bin`): runs the program and exits with its code.
import { run } from './program.js';

// A reader that stops early (`ig-push trigger --list | head`) closes the pipe: that ends the output, not in a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(Number(process.exitCode ?? 0));
});

process.exitCode = await run(process.argv);
