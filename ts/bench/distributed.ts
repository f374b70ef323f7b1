// `neural-ivp bench --nproc N`: what sample-parallel runs cost on this machine. One process, then
// N workers on the same n points (each on n/N), measure per M·v and per dynamics solve the
// compute and the all-reduces (calls, bytes per process, seconds) from the session's collective
// counters. docs/distributed.md reports and models the figures.
import { performance } from 'node:perf_hooks';
import type { ResolvedDistributed } from '../distributed/options';
import { backendFor, joinRequest } from '../distributed/run';
import { native } from '../native';
import { problems } from '../problems/index';
import { PAPER_OPTIONS } from '../solver/options';
import type { CollectiveStats, SessionConfig } from '../solver/session';
import { heat3dNetwork } from './solve';

export interface DistributedBenchRow {
  processes: number;
  backend: string;
  n: number;
  p: number;
  threads: number;
  /** One CG iteration (its M·v and vector updates): seconds, and the all-reduce part of it. */
  mvm_seconds: number;
  mvm_allreduce_seconds: number;
  mvm_allreduce_bytes: number;
  /**
   * The all-reduce of p floats alone: the same CG iterations on 16 points in all, where the
   * products cost next to nothing and the processes stay in step (no waiting for a slower peer).
   */
  allreduce_p_seconds: number;
  /** One dynamics solve (jets, F, the rank-200 Nyström sketch, PCG to 1e-8, the residual). */
  solve_seconds: number;
  solve_allreduce_seconds: number;
  solve_allreduce_bytes: number;
  solve_allreduce_calls: number;
  solve_cg_iterations: number;
}

const ZERO: CollectiveStats = { rank: 0, worldSize: 1, backend: 'local', calls: 0, bytes: 0, seconds: 0 };

export async function measureDistributed(
  n: number,
  width: number,
  run: ResolvedDistributed | null,
): Promise<DistributedBenchRow> {
  const addon = native();
  const plan = problems.heat({ dim: 3 }).plan;
  const network = heat3dNetwork(plan, width, 'cpu');
  const theta = new addon.Network(network).initialParameters(0);
  const open = async (linear: SessionConfig['linear'], samples: number) => {
    const session = new addon.Session({ network, plan, samples, linear, seed: 0, memoryBudget: 4 * 2 ** 30 });
    if (run !== null) {
      const fingerprint: [string, string][] = [
        ['bench', `n=${samples} width=${width}`],
        ['linear', JSON.stringify(linear)],
      ];
      await session.join?.(joinRequest(run, 'cpu', fingerprint));
    }
    return { session, handle: session.write(theta) };
  };
  const stats = (s: { collectiveStats?(): CollectiveStats }) => s.collectiveStats?.() ?? ZERO;
  // The fastest of `repeats` solves (seconds and all-reduce seconds each at their minimum: the
  // machine is shared, and the minimum is the figure least disturbed by other work).
  const solve = async (linear: SessionConfig['linear'], samples = n, repeats = 1) => {
    const { session, handle } = await open(linear, samples);
    const best = { seconds: Infinity, comm: Infinity, bytes: 0, calls: 0, iterations: 0 };
    for (let i = 0; i < repeats; i++) {
      const before = stats(session);
      const t0 = performance.now();
      const r = await session.stage(0, handle, [], i === 0); // the samples are drawn by the first
      const seconds = (performance.now() - t0) / 1000;
      const after = stats(session);
      session.release(r.handle);
      best.seconds = Math.min(best.seconds, seconds);
      best.comm = Math.min(best.comm, after.seconds - before.seconds);
      best.bytes = after.bytes - before.bytes;
      best.calls = after.calls - before.calls;
      best.iterations = r.cgIterations;
    }
    return best;
  };
  // Plain CG capped at 5 and at 45 iterations (a tolerance it cannot reach): the difference is
  // 40 iterations, each one M·v (and one all-reduce of p floats) plus vector updates. The full
  // solve runs with the paper's settings.
  const paper = PAPER_OPTIONS.linear;
  const plain = (maxIters: number) => ({ ...paper, tol: 1e-15, maxIters, rank: 0 });
  const short = await solve(plain(5), n, 3);
  const long = await solve(plain(45), n, 3);
  const iterations = long.iterations - short.iterations;
  const probeShort = await solve(plain(5), 16, 3);
  const probeLong = await solve(plain(45), 16, 3);
  const probeIterations = probeLong.iterations - probeShort.iterations;
  const full = await solve(paper);
  const p = theta.length;
  return {
    processes: run?.worldSize ?? 1,
    backend: run === null ? 'none' : backendFor(run, 'cpu'),
    n,
    p,
    threads: addon.threads(),
    mvm_seconds: (long.seconds - short.seconds) / iterations,
    mvm_allreduce_seconds: (long.comm - short.comm) / iterations,
    mvm_allreduce_bytes: (long.bytes - short.bytes) / iterations,
    allreduce_p_seconds: (probeLong.comm - probeShort.comm) / probeIterations,
    solve_seconds: full.seconds,
    solve_allreduce_seconds: full.comm,
    solve_allreduce_bytes: full.bytes,
    solve_allreduce_calls: full.calls,
    solve_cg_iterations: full.iterations,
  };
}
