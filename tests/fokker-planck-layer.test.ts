// The catalogue's Fokker–Planck equation without interaction (α = 0) in 2D against its
// finite-difference truth (the product of 1D solutions, examples/lib/fd-fokker-planck.ts). Its u0
// vanishes on the faces and f(u0) does not, so the Dirichlet solution grows a layer at each face:
// the default μ scale (μ times mean(u²), far below the paper's absolute μ for this u) lets θ̇
// follow it, which the absolute μ does not (docs/accuracy.md, "Where it costs").
import { describe, expect, it } from 'vitest';
import { solveFokkerPlanck1D } from '../examples/lib/fd-fokker-planck';
import { NeuralIVP, problems } from '../ts/index';
import type { MuScale } from '../ts/solver/options';
import { testDevice } from './helpers/device';
import { relativeError, uniform } from './helpers/random';

const T = 0.05;
const reference = solveFokkerPlanck1D({ cells: 2000, diffusion: 0.01, centre: 0.2, saveAt: [0, T] });
const points = uniform(4000 * 2, -1, 1, 7); // 4,000 points in [-1, 1]², row-major
const truth = reference.products(1, points, 2);

async function errorAtT(muScale: MuScale): Promise<number> {
  const ivp = new NeuralIVP({
    problem: problems.fokkerPlanck({ dim: 2, alpha: 0 }),
    network: { width: 16, depth: 2 },
    samples: 500,
    fit: { tol: 1e-4, maxIterations: 10, maxSeconds: null, samples: 600, rank: 40, headSamples: 3000 },
    linear: { method: 'pcg', rank: 60, muScale },
    integrator: { method: 'rk23', rtol: 1e-3 },
    restarts: false,
    seed: 0,
    device: testDevice,
  });
  const fit = await ivp.fit();
  expect(fit.relativeError).toBeLessThan(1e-4);
  const solution = await ivp.evolve(T, { saveAt: [T] });
  return relativeError(solution.evaluate(points, T), truth);
}

describe('fokkerPlanck (α = 0, 2D) against its finite-difference truth', () => {
  it('follows the faces’ layer with the default μ scale, and the absolute μ does not', async () => {
    // The solution's own change over the run, so that a solver that does not move fails.
    const change = relativeError(reference.products(0, points, 2), truth);
    expect(change).toBeGreaterThan(0.08);
    const [solution, absolute] = [await errorAtT('solution'), await errorAtT('absolute')];
    console.log(
      `fokker-planck 2D (α = 0) at t = ${T}: error ${solution.toExponential(2)} ('solution' μ), ${absolute.toExponential(2)} (absolute μ); change ${change.toExponential(2)}`,
    );
    expect(solution).toBeLessThan(2e-2);
    expect(solution).toBeLessThan(0.7 * absolute);
  }, 120_000);
});
