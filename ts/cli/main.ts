#!/usr/bin/env node
// The `neural-ivp` executable (built to dist/cli.js). Ctrl-C aborts a run cleanly (a second one exits at once).
import { runCommand } from './program';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort(new Error('interrupted'));
});

// A reader that closed early (`neural-ivp run --help | head`) ends the output, not in a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

runCommand(process.argv.slice(2), { signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
