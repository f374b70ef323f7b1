// `--nproc`: the launcher hands the signal it got to its workers and exits with their status.
import { describe, expect, it } from 'vitest';
import { Interrupted } from '../ts/cli/errors';
import { launchWorkers } from '../ts/cli/launch';
import { cli } from './cli-helpers';

/** A worker that says it started, then waits; with `handle`, it exits 128 + n on SIGINT/SIGTERM itself. */
function worker(handle: boolean): string[] {
  const script = [
    handle ? "process.on('SIGINT', () => process.exit(130)); process.on('SIGTERM', () => process.exit(143));" : '',
    "process.stderr.write('ready\\n'); setInterval(() => {}, 1000);",
  ].join(' ');
  return [process.execPath, '-e', script];
}

async function interrupted(signal: 'SIGINT' | 'SIGTERM', handle: boolean): Promise<{ code: number; stderr: string }> {
  const controller = new AbortController();
  let stderr = '';
  let ready = 0;
  const pending = launchWorkers(2, [], {
    stderr: (text) => {
      stderr += text;
      ready = (stderr.match(/ready/g) ?? []).length;
    },
    signal: controller.signal,
    workerCommand: worker(handle),
    env: { PATH: process.env.PATH },
  });
  // Rank 0's stderr passes through unprefixed (not seen here); rank 1's says it started.
  while (ready < 1) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort(new Interrupted(signal));
  return { code: await pending, stderr };
}

describe('launchWorkers', () => {
  it('hands SIGTERM or SIGINT to every worker and exits with their status (143 or 130)', async () => {
    expect((await interrupted('SIGTERM', true)).code).toBe(143);
    expect((await interrupted('SIGINT', true)).code).toBe(130);
  });

  it('a worker ended by the signal itself gives that signal’s status', async () => {
    expect((await interrupted('SIGTERM', false)).code).toBe(143);
  });
});

describe('run --nproc', () => {
  it('refuses --max-seconds once, before any worker starts, with status 2', async () => {
    const r = await cli(['run', 'heat', '--max-seconds', '5', '--nproc', '2', '--quiet'], {
      workerCommand: [process.execPath, '-e', "process.stderr.write('started\\n')"],
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --max-seconds: not available with --nproc (each process has its own clock)\n');
  });
});
