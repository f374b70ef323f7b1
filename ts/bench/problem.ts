// Problems solved end to end (fit + evolve) and compared with their exact solutions: the 2D heat
// equation and the 2D advection of a Gaussian (transport, docs/accuracy.md). The GPU run's
// end-to-end problem is Figure 6 (./figure6.ts).
import { performance } from 'node:perf_hooks';
import { problems } from '../problems/index';
import { NeuralIVP } from '../solver/neural-ivp';
import type { NeuralIVPOptions } from '../solver/options';

export interface ProblemFigures {
  name: string;
  seconds: number;
  relative_error: number;
  parameters: number;
  steps: number;
  /** Relative L2 error of the initial fit (on the sampled box). */
  fit_error: number;
}

/** Wall time of fit + evolve to T, and the relative error against `exact` at T. */
async function solveTimed(options: NeuralIVPOptions, T: number, signal?: AbortSignal): Promise<ProblemFigures> {
  const start = performance.now();
  const ivp = new NeuralIVP(options);
  const fit = await ivp.fit({ signal });
  const solution = await ivp.evolve(T, { signal });
  const seconds = (performance.now() - start) / 1000;
  return {
    name: options.problem.name,
    seconds,
    relative_error: await solution.error(T),
    parameters: ivp.parameterCount,
    steps: solution.stats.steps,
    fit_error: fit.relativeError,
  };
}

/**
 * The catalogue's 2D advection of a Gaussian (width 0.25, velocity (1, 0), boundary 'none') to
 * T = 0.5 with a 3 × 48 network: transport, whose error grows in time when what flows into the
 * domain is not sampled, or when μ is large against the solution's scale (docs/accuracy.md).
 * Target: a relative error ≤ 5e-3 at T with a network of at most 3 × 64.
 */
export function measureTransport(signal?: AbortSignal): Promise<ProblemFigures> {
  return solveTimed(
    {
      problem: problems.advection({ dim: 2 }),
      network: { width: 48, depth: 3 },
      samples: 3000,
      fit: { steps: 3000, batch: 2000, headSamples: 20000 },
      linear: { method: 'pcg', rank: 80 },
      integrator: { method: 'rk23', rtol: 1e-4 },
      restarts: false,
      seed: 0,
    },
    0.5,
    signal,
  );
}

export function measureProblem(quick: boolean, signal?: AbortSignal): Promise<ProblemFigures> {
  return solveTimed(
    {
      problem: problems.heat({ dim: 2 }),
      network: { width: 32, depth: 3 },
      // The cheapest sizes that reach the target (docs/fitting-and-sampling.md, "The bench's
      // `problem` row", compares them).
      samples: quick ? 1000 : 2000,
      // The package's fit: Gauss–Newton to a tolerance.
      fit: { method: 'gauss-newton', tol: quick ? 1e-3 : 1e-4, maxSeconds: 60 },
      linear: { method: 'pcg', rank: 50 },
      integrator: { method: 'rk45', rtol: 1e-3 },
      restarts: false,
      seed: 0,
    },
    0.5,
    signal,
  );
}
