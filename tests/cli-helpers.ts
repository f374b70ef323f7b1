// Runs the neural-ivp command in-process and captures what it writes.
import { Writable } from 'node:stream';
import { type CliIO, runCommand } from '../ts/cli/program';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that swallows progress output (not a TTY, so no bars are drawn). */
export const sink = (): Writable =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

export async function cli(argv: readonly string[], io: CliIO = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(argv, {
    progressStream: sink(),
    ...io,
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  });
  return { code, stdout, stderr };
}
