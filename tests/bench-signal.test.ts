// `npm run bench` stops when asked: SIGINT or SIGTERM cancels the native work in flight, and the
// process exits within 5 s with the shell's code for the signal, printing what it measured by then.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  afterSignal: number;
}

/** Starts the bench, sends `signal` once `ready(stdout)` holds, and waits for the exit. */
function interrupt(args: string[], signal: NodeJS.Signals, ready: (stdout: string) => boolean): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'ts/bench/index.ts', ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    const send = () => {
      if (sentAt === 0 && ready(stdout)) {
        sentAt = Date.now();
        child.kill(signal);
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      send();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setInterval(send, 200);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, afterSignal: sentAt === 0 ? Number.NaN : Date.now() - sentAt });
    });
  });
}

describe('the bench stops when asked', () => {
  it('SIGTERM in the solve rows: exit 143 within 5 s, the figures so far printed', async () => {
    // The quick run's first solve row starts right after the M·v line: interrupted inside native work.
    const ended = await interrupt(['--quick'], 'SIGTERM', (out) => out.includes('launches per M·v'));
    expect(ended.code).toBe(143);
    expect(ended.afterSignal).toBeLessThan(5000);
    expect(ended.stdout).toMatch(/M·v n=10000/);
    expect(ended.stderr).toMatch(/SIGTERM, stopping/);
  }, 120_000);

  it('SIGINT with --json: exit 130 and the partial report as JSON, marked interrupted', async () => {
    const started = Date.now();
    // JSON runs print nothing before the end: interrupt once the M·v measurement has had time.
    const ended = await interrupt(['--quick', '--json'], 'SIGINT', () => Date.now() - started > 15_000);
    expect(ended.code).toBe(130);
    expect(ended.afterSignal).toBeLessThan(5000);
    const report = JSON.parse(ended.stdout.trim().split('\n').pop() ?? '{}');
    expect(report.interrupted).toBe('SIGINT');
    expect(report.machine.device).toBe('cpu');
    expect(Array.isArray(report.solve)).toBe(true);
  }, 120_000);
});
