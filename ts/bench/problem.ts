// Problems solved end to end (fit + evolve) and compared with their exact solutions: the 2D heat
// equation on a CPU, the 3D wave equation in the paper's configuration on a GPU, and the 2D
// advection of a Gaussian (transport, docs/accuracy.md).
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
async function solveTimed(options: NeuralIVPOptions, T: number): Promise<ProblemFigures> {
  const start = performance.now();
  const ivp = new NeuralIVP(options);
  const fit = await ivp.fit();
  const solution = await ivp.evolve(T);
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
export function measureTransport(): Promise<ProblemFigures> {
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
  );
}

export function measureProblem(quick: boolean): Promise<ProblemFigures> {
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
  );
}

/**
 * The 3D wave equation (appendix B.1) to T = 0.5 in the paper's configuration (the defaults,
 * appendix C: 3 × 100 swish, L = 5, n = 10,000, rank 200, RK45 at 1e-4, 50,000 Adam steps,
 * restarts): the GPU benchmark's end-to-end figure. Hours on a 2-core CPU.
 */
export function measureWave3d(device: 'cpu' | 'cuda'): Promise<ProblemFigures> {
  return solveTimed({ problem: problems.wave({ dim: 3 }), device, seed: 0 }, 0.5);
}
