#!/usr/bin/env node
// The `neural-ivp` executable (built to dist/cli.js). Ctrl-C or SIGTERM stops a run cleanly, keeping
// the steps it accepted; a second signal exits at once.
import { Interrupted, SIGNAL_EXIT, type StopSignal } from './errors';
import { runCommand } from './program';

const controller = new AbortController();
for (const signal of Object.keys(SIGNAL_EXIT) as StopSignal[]) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT[signal]);
    controller.abort(new Interrupted(signal));
  });
}

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
