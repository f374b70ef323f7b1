/**
 * `--nproc N`: starts N local worker processes of the same command, like torchrun's
 * `--nproc-per-node`. Each worker gets the torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK,
 * MASTER_ADDR, MASTER_PORT), which `NeuralIVP` reads when no `distributed` option is given.
 *
 * One machine: MASTER_ADDR defaults to 127.0.0.1 and MASTER_PORT to a free port. Several machines:
 * the same command on each, with WORLD_SIZE (all processes), NODE_RANK (this machine's index),
 * MASTER_ADDR and MASTER_PORT set; machine m starts ranks m·N … m·N + N − 1.
 *
 * Rank 0's output passes through; the other ranks are quiet and their stderr is shown prefixed
 * with `[rank r]`. When a worker fails the others fail too (a peer that leaves makes every
 * collective fail), and any still running after a grace period are killed, so no worker outlives
 * the launcher; its exit status is the first failure's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Interrupted, SIGNAL_EXIT, type StopSignal, UsageError } from './errors';

export interface LaunchContext {
  stderr(text: string): void;
  signal?: AbortSignal;
  /** The worker command, before the arguments (default: this Node, its flags and script). */
  workerCommand?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** How long workers may outlive a failed peer before they are killed. */
const GRACE_MS = 15_000;

/** argv without `--nproc N` / `--nproc=N`. */
export function withoutNproc(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--nproc') {
      i++;
      continue;
    }
    if (argv[i].startsWith('--nproc=')) continue;
    out.push(argv[i]);
  }
  return out;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The ranks this machine starts, and the environment they share. */
export async function planWorkers(
  nproc: number,
  env: NodeJS.ProcessEnv,
): Promise<{ ranks: number[]; worldSize: number; address: string; port: number }> {
  if (env.WORLD_SIZE === undefined) {
    const port = env.MASTER_PORT === undefined ? await freePort() : Number(env.MASTER_PORT);
    return { ranks: [...Array(nproc).keys()], worldSize: nproc, address: env.MASTER_ADDR ?? '127.0.0.1', port };
  }
  const worldSize = Number(env.WORLD_SIZE);
  const node = Number(env.NODE_RANK ?? '0');
  if (!Number.isInteger(worldSize) || worldSize < nproc || worldSize % nproc !== 0) {
    throw new UsageError(
      '--nproc',
      `WORLD_SIZE=${env.WORLD_SIZE} must be a multiple of --nproc ${nproc} (all machines)`,
    );
  }
  if (!Number.isInteger(node) || node < 0 || (node + 1) * nproc > worldSize) {
    throw new UsageError('--nproc', `NODE_RANK=${env.NODE_RANK} is outside 0..${worldSize / nproc - 1}`);
  }
  if (env.MASTER_ADDR === undefined || env.MASTER_PORT === undefined) {
    throw new UsageError('--nproc', 'a run over several machines needs MASTER_ADDR and MASTER_PORT (rank 0’s host)');
  }
  const ranks = [...Array(nproc).keys()].map((i) => node * nproc + i);
  return { ranks, worldSize, address: env.MASTER_ADDR, port: Number(env.MASTER_PORT) };
}

/** Runs `args` in `nproc` workers; resolves to the exit status. */
export async function launchWorkers(nproc: number, args: readonly string[], ctx: LaunchContext): Promise<number> {
  const env = ctx.env ?? process.env;
  const plan = await planWorkers(nproc, env);
  const command = ctx.workerCommand ?? [process.execPath, ...process.execArgv, process.argv[1]];
  const children: ChildProcess[] = [];
  let firstFailure: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const killAll = (signal: NodeJS.Signals): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  };
  // Each worker gets the signal the launcher got, and exits with its status.
  const onAbort = (): void => {
    const reason: unknown = ctx.signal?.reason;
    killAll(reason instanceof Interrupted ? reason.signal : 'SIGINT');
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const onExit = (): void => killAll('SIGKILL');
  process.once('exit', onExit);

  const exits = plan.ranks.map(
    (rank, local) =>
      new Promise<number>((resolve) => {
        const child = spawn(command[0], [...command.slice(1), ...args], {
          env: {
            ...env,
            RANK: String(rank),
            WORLD_SIZE: String(plan.worldSize),
            LOCAL_RANK: String(local),
            LOCAL_WORLD_SIZE: String(nproc),
            MASTER_ADDR: plan.address,
            MASTER_PORT: String(plan.port),
          },
          stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
        });
        children.push(child);
        child.stderr?.setEncoding('utf8');
        let pending = '';
        child.stderr?.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) ctx.stderr(`[rank ${rank}] ${line}\n`);
        });
        const finish = (code: number): void => {
          if (pending !== '') ctx.stderr(`[rank ${rank}] ${pending}\n`);
          pending = '';
          if (code !== 0 && firstFailure === undefined) {
            firstFailure = code;
            killTimer = setTimeout(() => killAll('SIGKILL'), GRACE_MS);
          }
          resolve(code);
        };
        child.on('error', (e) => {
          ctx.stderr(`error: rank ${rank} could not start: ${e.message}\n`);
          finish(1);
        });
        child.on('exit', (code, signal) =>
          finish(code ?? (signal !== null && signal in SIGNAL_EXIT ? SIGNAL_EXIT[signal as StopSignal] : 1)),
        );
      }),
  );
  try {
    const codes = await Promise.all(exits);
    return firstFailure ?? codes.find((c) => c !== 0) ?? 0;
  } finally {
    if (killTimer !== undefined) clearTimeout(killTimer);
    ctx.signal?.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
  }
}
