// The finite-difference column of the Figure 6 example must itself be right: on the standing
// wave φ = cos(ωt)Πcos(πxᵢ/2), ω = π√3/2 (zero on the box faces, a closed form), its error must
// fall at second order with the grid.
import { describe, expect, it } from 'vitest';
import { laplacian, solveWaveFd } from '../examples/lib/fd-wave';

const omega = (Math.PI * Math.sqrt(3)) / 2;
const mode = (x: number, y: number, z: number): number =>
  Math.cos((Math.PI * x) / 2) * Math.cos((Math.PI * y) / 2) * Math.cos((Math.PI * z) / 2);

async function standingWaveError(cells: number): Promise<number> {
  const T = 0.5;
  const fd = await solveWaveFd({
    cells,
    initial: (points) => {
      const phi = new Float64Array(points.length / 3);
      for (let i = 0; i < phi.length; i++) phi[i] = mode(points[3 * i], points[3 * i + 1], points[3 * i + 2]);
      return [phi, new Float64Array(phi.length)];
    },
    saveAt: [0, T],
    rtol: 1e-8,
  });
  // Off-grid points, so the interpolation is exercised too.
  let num = 0;
  let den = 0;
  for (let s = 0; s < 500; s++) {
    const p = [0, 1, 2].map((a) => Math.sin(12.9898 * (s + 1) + 78.233 * a) * 0.97);
    const [phi, psi] = fd.at(1, p[0], p[1], p[2]);
    const u = mode(p[0], p[1], p[2]);
    const truth = [Math.cos(omega * T) * u, -omega * Math.sin(omega * T) * u];
    num += (phi - truth[0]) ** 2 + (psi - truth[1]) ** 2;
    den += truth[0] ** 2 + truth[1] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('finite-difference 3D wave solver (examples/lib/fd-wave)', () => {
  it('the 7-point Laplacian is exact on a quadratic and vanishes on a linear function', () => {
    const m = 5;
    const h = 2 / (m + 1);
    const node = (i: number): number => -1 + (i + 1) * h;
    const quad = new Float64Array(m * m * m);
    for (let k = 0; k < m; k++)
      for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) quad[(k * m + j) * m + i] = node(i) ** 2 - 1;
    const out = new Float64Array(m * m * m);
    laplacian(quad, m, h, out);
    // x² − 1 is zero on the x faces; on the y and z faces it is not, so only the middle plane of
    // nodes away from those faces sees the exact value 2.
    expect(out[(2 * m + 2) * m + 2]).toBeCloseTo(2, 10);
  });

  it('converges at second order to the standing wave', async () => {
    const coarse = await standingWaveError(12);
    const fine = await standingWaveError(24);
    // Room above the 24-cell grid's error (docs/reproductions.md) for the machine's rounding.
    expect(fine).toBeLessThan(8e-3);
    const order = Math.log2(coarse / fine);
    expect(order).toBeGreaterThan(1.7);
    expect(order).toBeLessThan(2.3);
  });
});
