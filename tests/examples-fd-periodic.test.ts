// The finite-difference reference of examples/periodic-boundary.ts must itself be right: on a
// periodic heat equation with a closed form, u = e^{−εk²t} sin kx + e^{−4εk²t} cos 2kx, its error
// must fall at fourth order with the grid, and a reaction term must enter with its sign.
import { describe, expect, it } from 'vitest';
import { secondDifference, solvePeriodicFd } from '../examples/lib/fd-periodic-1d';

const [eps, L, T] = [0.05, 2 * Math.PI, 1];
const exact = (x: number, t: number) => Math.exp(-eps * t) * Math.sin(x) + Math.exp(-4 * eps * t) * Math.cos(2 * x);

async function heatError(cells: number): Promise<number> {
  const fd = await solvePeriodicFd({
    cells,
    lower: 0,
    length: L,
    initial: (x) => x.map((v) => exact(v, 0)),
    rate: (_u, uxx, out) => {
      for (let i = 0; i < out.length; i++) out[i] = eps * uxx[i];
    },
    saveAt: [0, T],
    rtol: 1e-11,
  });
  let [num, den] = [0, 0];
  fd.x.forEach((x, i) => {
    num += (fd.states[1][i] - exact(x, T)) ** 2;
    den += exact(x, T) ** 2;
  });
  return Math.sqrt(num / den);
}

describe('finite-difference periodic 1D solver (examples/lib/fd-periodic-1d)', () => {
  it('differentiates a periodic function to fourth order across the seam', () => {
    const errorAt = (n: number) => {
      const h = L / n;
      const u = Float64Array.from({ length: n }, (_, i) => Math.sin(3 * i * h));
      const out = new Float64Array(n);
      secondDifference(u, h, out);
      return Math.max(...out.map((v, i) => Math.abs(v + 9 * Math.sin(3 * i * h))));
    };
    const ratio = errorAt(32) / errorAt(64);
    expect(ratio).toBeGreaterThan(14);
    expect(ratio).toBeLessThan(18);
  });

  it('solves a periodic heat equation at fourth order in the grid', async () => {
    const [coarse, fine] = [await heatError(32), await heatError(64)];
    expect(fine).toBeLessThan(1e-5);
    expect(coarse / fine).toBeGreaterThan(12);
  });

  it('adds a reaction term with its sign: u_t = u from 1 is e^t', async () => {
    const fd = await solvePeriodicFd({
      cells: 8,
      lower: 0,
      length: 1,
      initial: (x) => x.map(() => 1),
      rate: (u, _uxx, out) => out.set(u),
      saveAt: [0, 1],
      rtol: 1e-10,
    });
    for (const v of fd.states[1]) expect(Math.abs(v - Math.E)).toBeLessThan(1e-8);
  });
});
