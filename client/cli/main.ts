#!/usr/bin/env node
// The `ig-push` executable (package.json `bin`): runs the program and exits with its code.
import { run } from './program.js';

process.exitCode = await run(process.argv);
