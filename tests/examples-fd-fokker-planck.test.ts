// The finite-difference reference of examples/fokker-planck-reference.ts must itself be right: a
// Gaussian away from the faces evolves as the Ornstein–Uhlenbeck density (mean a + (m0 − a)e^{−t},
// variance s0²e^{−2t} + D(1 − e^{−2t})) while the zero faces see only e^{−50}, so its error against
// that closed form must fall at second order with the grid.
import { describe, expect, it } from 'vitest';
import { solveFokkerPlanck1D } from '../examples/lib/fd-fokker-planck';

const [D, a, m0, s0, T] = [0.01, 0.2, -0.1, 0.1, 0.5];
const gaussian = (x: number, mean: number, variance: number) =>
  Math.exp(-((x - mean) ** 2) / (2 * variance)) / Math.sqrt(2 * Math.PI * variance);

function ornsteinUhlenbeckError(cells: number): number {
  const fd = solveFokkerPlanck1D({
    cells,
    diffusion: D,
    centre: a,
    saveAt: [T],
    initial: (x) => gaussian(x, m0, s0 ** 2),
  });
  const mean = a + (m0 - a) * Math.exp(-T);
  const variance = s0 ** 2 * Math.exp(-2 * T) + D * (1 - Math.exp(-2 * T));
  let [miss, norm] = [0, 0];
  // Off-grid points, so the interpolation is exercised too.
  for (let s = 0; s < 997; s++) {
    const x = -0.999 + (1.998 * s) / 996;
    const truth = gaussian(x, mean, variance);
    miss += (fd.at(0, x) - truth) ** 2;
    norm += truth ** 2;
  }
  return Math.sqrt(miss / norm);
}

describe('examples/lib/fd-fokker-planck', () => {
  it('matches the Ornstein–Uhlenbeck density at second order in the grid', () => {
    const [coarse, fine] = [ornsteinUhlenbeckError(500), ornsteinUhlenbeckError(1000)];
    expect(fine).toBeLessThan(1e-4);
    expect(coarse / fine).toBeGreaterThan(3);
    expect(coarse / fine).toBeLessThan(5);
  });

  it('gives the product of 1D solutions in any dimension and keeps the saved times', () => {
    const fd = solveFokkerPlanck1D({ cells: 200, diffusion: D, centre: a, saveAt: [0, 0.1] });
    expect(fd.times).toEqual([0, 0.1]);
    expect(fd.product(0, [0, 0.5, -0.5])).toBeCloseTo(0.75 * 0.75 ** 2 * 0.75 ** 2, 12);
    expect(fd.product(1, [0.3, -0.2])).toBeCloseTo(fd.at(1, 0.3) * fd.at(1, -0.2), 14);
    expect(fd.at(1, 1)).toBe(0);
  });
});
