// The paper's Figure 6 on a GPU: the 3D wave equation's outgoing pulse (problems.wave({ dim: 3 }))
// at the paper's network (3 × 100 swish, L = 5) with n = 50,000 points, to T = 0.5 under a wall
// clock budget, its error at t = 0, 0.1, …, 0.5 beside finite differences on the paper's 100³ grid.
// A run cut off by its budget (or a signal) reports the saved times it reached.
import { performance } from 'node:perf_hooks';
import { problems } from '../problems/index';
import { EvolveError, NeuralIVP } from '../solver/neural-ivp';
import type { Solution } from '../solver/solution';

/**
 * Finite differences on 100³ (7-point Laplacian, RK45 at rtol 1e-4), relative L2 error of (φ, φ_t)
 * at t = 0, 0.1, …, 0.5, measured by `node --import tsx examples/wave-3d.ts --fd-only --size medium`
 * (docs/results.md): the reference column, since computing it takes as long as the GPU run itself.
 */
export const FD_100_ERRORS = [0.049, 0.19, 0.22, 0.33, 0.42, 0.5] as const;

export interface Figure6Figures {
  samples: number;
  parameters: number;
  fit_error: number;
  fit_seconds: number;
  /** The saved times t = 0, 0.1, …, 0.5 and the relative L2 error at each (null: not reached). */
  times: number[];
  errors: (number | null)[];
  fd_100_errors: number[];
  steps: number;
  evolve_seconds: number;
  seconds_per_step: number | null;
  /** The last accepted time: 0.5 when the run completed. */
  reached_t: number;
  complete: boolean;
  /** Why it stopped before T (the budget, a signal, a failure), or null. */
  stopped: string | null;
}

export interface Figure6Options {
  device: 'cpu' | 'cuda';
  samples?: number;
  /** Wall-clock budget of the evolution (the fit has its own, `fitSeconds`). */
  evolveSeconds: number;
  fitSeconds: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called with the figures so far after the fit and after every step (a cut-off run keeps them). */
  onUpdate?: (figures: Figure6Figures) => void;
}

const T = 0.5;
const SAVE_AT = [0, 0.1, 0.2, 0.3, 0.4, 0.5];

export async function measureFigure6(options: Figure6Options): Promise<Figure6Figures> {
  const samples = options.samples ?? 50_000;
  const log = options.log ?? (() => undefined);
  // What the package offers for a solution concentrated in a small part of the box (docs/accuracy.md):
  // importance-sampled points, undamped octaves, and the wave's energy norm for the projection.
  const ivp = new NeuralIVP({
    problem: problems.wave({ dim: 3 }),
    network: { width: 100, depth: 3, frequencies: 5, decay: 0 },
    samples: { count: samples, importance: true },
    linear: { gradientWeight: { phi: 1 } },
    fit: { method: 'gauss-newton', tol: 1e-3, maxSeconds: options.fitSeconds },
    device: options.device,
    seed: 0,
  });
  const fitStart = performance.now();
  const fit = await ivp.fit({ signal: options.signal });
  const fitSeconds = (performance.now() - fitStart) / 1000;
  log(`figure 6: fit ${fit.relativeError.toExponential(2)} in ${fitSeconds.toFixed(1)} s (p = ${ivp.parameterCount})`);
  let reached = 0;
  let steps = 0;
  let stopped: string | null = null;
  let solution: Solution;
  const evolveStart = performance.now();
  const figures = (): Figure6Figures => {
    const evolveSeconds = (performance.now() - evolveStart) / 1000;
    return {
      samples,
      parameters: ivp.parameterCount,
      fit_error: fit.relativeError,
      fit_seconds: fitSeconds,
      times: SAVE_AT,
      errors: SAVE_AT.map(() => null),
      fd_100_errors: [...FD_100_ERRORS],
      steps,
      evolve_seconds: evolveSeconds,
      seconds_per_step: steps > 0 ? evolveSeconds / steps : null,
      reached_t: reached,
      complete: false,
      stopped: 'still running when the report was written',
    };
  };
  options.onUpdate?.(figures());
  try {
    solution = await ivp.evolve(T, {
      saveAt: SAVE_AT,
      signal: options.signal,
      maxSeconds: options.evolveSeconds,
      onProgress: (p) => {
        reached = p.t;
        steps = p.step;
        const elapsed = (performance.now() - evolveStart) / 1000;
        log(
          `figure 6: t = ${p.t.toFixed(4)} after ${p.step} steps, ${elapsed.toFixed(1)} s (residual ${p.residual.toExponential(2)})`,
        );
        options.onUpdate?.(figures());
      },
    });
    reached = T;
  } catch (error) {
    if (!(error instanceof EvolveError)) throw error;
    solution = error.solution;
    reached = error.t;
    stopped = error.message;
  }
  steps = Math.max(steps, solution.stats.steps);
  const result = { ...figures(), complete: stopped === null, stopped };
  for (const [k, t] of SAVE_AT.entries()) {
    if (solution.times.includes(t)) result.errors[k] = await solution.error(t);
  }
  return result;
}

/** The table's line: error per saved time beside FD 100³. */
export function figure6Line(f: Figure6Figures): string {
  const cells = f.times.map(
    (t, k) =>
      `t=${t}: ${f.errors[k] === null ? '—' : (f.errors[k] as number).toExponential(2)} (FD ${f.fd_100_errors[k]})`,
  );
  const perStep = f.seconds_per_step === null ? '—' : `${f.seconds_per_step.toFixed(2)} s/step`;
  const end = f.complete ? 'complete' : `stopped at t = ${f.reached_t.toFixed(4)}: ${f.stopped}`;
  return `figure 6 n=${f.samples} p=${f.parameters}: ${cells.join(', ')}; ${f.steps} steps, ${perStep}; ${end}`;
}
