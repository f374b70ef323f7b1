// One dynamics solve (M + μI)θ̇ = F at n = 10,000 points, float64, over network sizes: PCG with the
// default preconditioner and with the paper's Nyström sketch, against the dense Cholesky baseline.
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import type { CompiledProblem } from '../problem/plan';
import { problems } from '../problems/index';
import { memoryBudgetFor } from '../solver/device-budget';
import { PAPER_OPTIONS } from '../solver/options';
import type { NativeSession, StageSeconds } from '../solver/session';
import { linearConfig } from '../solver/session-config';
import { relativeError } from '../util/compare';

const PAPER_LINEAR = { ...PAPER_OPTIONS.linear, gradientWeight: {}, gradientDirections: 'axes' as const };
const PAPER_DENSE = { ...PAPER_OPTIONS.dense, gradientWeight: {}, gradientDirections: 'axes' as const };

export interface SolveRow {
  p: number;
  n: number;
  width: number;
  pcg_seconds: number;
  pcg_iterations: number;
  pcg_converged: boolean;
  /** Where pcg_seconds went (native steady clock): sampling, jets, linearisation, preconditioner, CG. */
  pcg_breakdown: StageSeconds;
  /** The preconditioner's rank (pairs kept). */
  pcg_rank: number;
  /** The same solve with the paper's preconditioner, a fresh randomized Nyström sketch of the full M. */
  sketch_seconds: number;
  sketch_iterations: number;
  /** |θ̇_pcg − θ̇_sketch| / |θ̇_sketch|. */
  sketch_difference: number;
  /**
   * The sketch's build in CG iterations' time: its preconditioner seconds over one CG iteration of the
   * PCG solve (the same M). The preconditioning policy counts a rebuild in these units from flops
   * (engine/preconditioning.cc), so this row checks that model on the device at hand.
   */
  sketch_build_iterations: number;
  dense_seconds: number | null;
  relative_difference: number | null;
  /**
   * The PCG stage counted again (common/launches.h): ATen operator calls and host synchronisations
   * per CG iteration, and of the whole stage. Counted in a separate solve, since counting costs
   * every operator call some time.
   */
  ops_per_iteration: number;
  syncs_per_iteration: number;
  stage_ops: number;
  stage_syncs: number;
  note?: string;
}

// p = 2w² + 40w + 1 for 3 hidden layers of width w on the 36 features of a 3D, L = 5 embedding.
export const widthsForP = { 1000: 15, 5000: 41, 20000: 91, 100000: 214, 1000000: 698 } as const;

/** The bench's network for the 3D heat problem's plan: 3 hidden layers of `width` on its L = 5 embedding. */
export function heat3dNetwork(plan: CompiledProblem, width: number, device: 'cpu' | 'cuda') {
  return { dim: 3, width, depth: 3, frequencies: 5, lower: plan.lower, upper: plan.upper, dirichlet: true, device };
}

export async function measureSolve(
  width: number,
  n: number,
  fitSteps: number,
  device: 'cpu' | 'cuda' = 'cpu',
  signal?: AbortSignal,
): Promise<SolveRow> {
  signal?.throwIfAborted();
  const sessions: NativeSession[] = [];
  const cancelAll = () => {
    for (const session of sessions) session.cancel();
  };
  signal?.addEventListener('abort', cancelAll, { once: true });
  try {
    return await solveRow(width, n, fitSteps, device, (s) => {
      sessions.push(s);
      return s;
    });
  } finally {
    signal?.removeEventListener('abort', cancelAll);
    signal?.throwIfAborted();
  }
}

async function solveRow(
  width: number,
  n: number,
  fitSteps: number,
  device: 'cpu' | 'cuda',
  track: (session: NativeSession) => NativeSession,
): Promise<SolveRow> {
  const Session = native().Session;
  const plan = problems.heat({ dim: 3 }).plan;
  const make = (method: 'pcg' | 'dense', sketchRows?: number, countLaunches = false) =>
    track(
      new Session({
        countLaunches,
        network: heat3dNetwork(plan, width, device),
        plan,
        samples: n,
        // The paper preset's solver settings (rank 200, tolerance 1e-8, μ 1e-6, no reuse).
        linear:
          method === 'pcg'
            ? { ...linearConfig(PAPER_LINEAR, plan), ...(sketchRows === undefined ? {} : { sketchRows }) }
            : linearConfig(PAPER_DENSE, plan),
        seed: 0,
        // On a GPU, dense solves up to half its free memory: the rows compare both where they fit.
        memoryBudget: memoryBudgetFor('auto', device),
      }),
    );
  const pcg = make('pcg');
  // The solve rows time one dynamics solve after a short Adam fit, as before the Gauss–Newton fit.
  const fit = {
    method: 'adam' as const,
    maxIterations: fitSteps,
    tol: 0,
    maxSeconds: 0,
    lr: 1e-3,
    batch: 2000,
    samples: 2000,
    maxSamples: 2000,
    rank: 0,
    warmupSteps: 0,
    headTuning: false,
    headSamples: 2000,
  };
  const fitted = await pcg.fitInitial(fit, null);
  const theta = pcg.read(fitted.theta);
  const t0 = performance.now();
  const solved = await pcg.stage(0, fitted.theta, [], true);
  const pcgSeconds = (performance.now() - t0) / 1000;
  const thetaDot = pcg.read(solved.handle);
  const sketch = make('pcg', 0);
  const sketchTheta = sketch.write(theta);
  const t2 = performance.now();
  const sketched = await sketch.stage(0, sketchTheta, [], true);
  const counting = make('pcg', undefined, true);
  const counted = await counting.stage(0, counting.write(theta), [], true);
  const cg = counted.cgLaunches ?? { ops: Number.NaN, syncs: Number.NaN };
  const iterations = Math.max(counted.cgIterations, 1);
  const row: SolveRow = {
    p: pcg.parameterCount,
    n,
    width,
    pcg_seconds: pcgSeconds,
    pcg_iterations: solved.cgIterations,
    pcg_converged: solved.converged,
    pcg_breakdown: solved.seconds,
    pcg_rank: solved.preconditionerRank,
    sketch_seconds: (performance.now() - t2) / 1000,
    sketch_iterations: sketched.cgIterations,
    sketch_difference: relativeError(thetaDot, sketch.read(sketched.handle)),
    sketch_build_iterations: sketched.seconds.preconditioner / (solved.seconds.cg / Math.max(solved.cgIterations, 1)),
    dense_seconds: null,
    relative_difference: null,
    ops_per_iteration: cg.ops / iterations,
    syncs_per_iteration: cg.syncs / iterations,
    stage_ops: counted.launches?.ops ?? Number.NaN,
    stage_syncs: counted.launches?.syncs ?? Number.NaN,
  };
  const dense = make('dense');
  const denseTheta = dense.write(theta);
  try {
    const t1 = performance.now();
    const exact = await dense.stage(0, denseTheta, [], true);
    row.dense_seconds = (performance.now() - t1) / 1000;
    row.relative_difference = relativeError(thetaDot, dense.read(exact.handle));
  } catch (error) {
    row.note = error instanceof Error ? error.message : String(error);
  }
  return row;
}
