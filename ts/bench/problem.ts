// One small problem solved end to end: the 2D heat equation against its exact solution.
import { performance } from 'node:perf_hooks';
import { problems } from '../problems/index';
import { NeuralIVP } from '../solver/neural-ivp';

export interface ProblemFigures {
  name: string;
  seconds: number;
  relative_error: number;
  parameters: number;
  steps: number;
}

export async function measureProblem(quick: boolean): Promise<ProblemFigures> {
  const problem = problems.heat({ dim: 2 });
  const T = 0.5;
  const start = performance.now();
  const ivp = new NeuralIVP({
    problem,
    network: { width: 32, depth: 3 },
    samples: quick ? 2000 : 5000,
    fit: { steps: quick ? 1000 : 3000, batch: 2000, headSamples: 20000 },
    linear: { method: 'pcg', rank: 50 },
    integrator: { method: 'rk45', rtol: 1e-3 },
    restarts: false,
    seed: 0,
  });
  const solution = await ivp.evolve(T);
  const seconds = (performance.now() - start) / 1000;
  return {
    name: problem.name,
    seconds,
    relative_error: await solution.error(T),
    parameters: ivp.parameterCount,
    steps: solution.stats.steps,
  };
}
