// The suite's oscillatory case (ts/bench/suite-problems.ts, `oscillatoryCases`): its closed form
// solves the Schrödinger system (finite differences), starts at u0, vanishes on the boundary,
// keeps ‖ψ‖² (the free evolution is unitary) and turns its modes' relative phases over the run.
import { describe, expect, it } from 'vitest';
import { oscillatoryCases } from '../ts/bench/suite-problems';
import { exactAt, program, residualAt } from './helpers/closed-form';
import { randomPoints, rng, run } from './problem-helpers';

const [schrodinger] = oscillatoryCases();
const { problem, T } = schrodinger;

/** ∫(a² + b²) over [-1, 1]² by the midpoint rule on an n × n grid. */
function mass(t: number, n = 80): number {
  const h = 2 / n;
  const points: number[][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) points.push([-1 + (i + 0.5) * h, -1 + (j + 0.5) * h]);
  const [a, b] = run(program(problem.plan.exact), points, t);
  let sum = 0;
  for (let k = 0; k < points.length; k++) sum += (a[k] ** 2 + b[k] ** 2) * h * h;
  return sum;
}

describe('schrodinger-2d closed form', () => {
  it('solves a_t = −½Δb, b_t = ½Δa by finite differences and starts at u0', () => {
    const random = rng(41);
    let worst = 0;
    let scale = 0;
    for (const p of randomPoints(random, 6, 2, -0.9, 0.9)) {
      for (const t of [0.05, 0.4 * T, 0.9 * T]) {
        const r = residualAt(problem, p, t);
        worst = Math.max(worst, r.residual);
        scale = Math.max(scale, r.scale);
      }
      const u0 = run(program(problem.plan.initial), [p]).map((v) => v[0]);
      const exact0 = exactAt(problem, p, 0);
      for (let f = 0; f < 2; f++) expect(Math.abs(u0[f] - exact0[f])).toBeLessThan(1e-13);
    }
    // Finite differences of step 1e-3 (4th order) leave about 1e-9 of the scale; a wrong sign or
    // factor (E = λ rather than λ/2) leaves O(scale).
    expect(scale).toBeGreaterThan(1);
    expect(worst).toBeLessThan(1e-7 * scale);
  });

  it('vanishes on the faces, as the Dirichlet boundary requires', () => {
    const random = rng(7);
    for (let k = 0; k < 20; k++) {
      const s = 2 * random() - 1;
      const face = [
        [-1, s],
        [1, s],
        [s, -1],
        [s, 1],
      ][k % 4];
      for (const v of exactAt(problem, face, random() * T)) expect(Math.abs(v)).toBeLessThan(1e-14);
    }
  });

  it('keeps ‖ψ‖² = 1 + ¼ + 1/16 (orthonormal modes, unitary evolution) while the shape turns', () => {
    // Each mode has ∫φ² = 1 on [-1, 1]²; the midpoint rule on 80² cells is exact to ~1e-15 for these
    // trigonometric products, so a frequency or amplitude error shows as a change of the mass.
    for (const t of [0, 0.5 * T, T]) expect(mass(t)).toBeCloseTo(1.3125, 10);
    // The relative change of ψ over the run, beyond a global phase: the solution at T against the
    // initial one rotated by the best single phase must differ by a sizeable fraction.
    const points = randomPoints(rng(3), 2000, 2, -1, 1);
    const exact = program(problem.plan.exact);
    const [a0, b0] = run(exact, points, 0);
    const [a1, b1] = run(exact, points, T);
    // ⟨ψ0, ψ1⟩ = Σ (a0 − ib0)(a1 + ib1): the best phase e^{iφ} aligns ψ0 with ψ1.
    let re = 0;
    let im = 0;
    let norm = 0;
    for (let k = 0; k < points.length; k++) {
      re += a0[k] * a1[k] + b0[k] * b1[k];
      im += a0[k] * b1[k] - b0[k] * a1[k];
      norm += a1[k] ** 2 + b1[k] ** 2;
    }
    const overlap = Math.hypot(re, im) / norm;
    // ‖ψ1 − e^{iφ}ψ0‖²/‖ψ1‖² = 2 − 2·overlap (equal norms): a shape change of tens of percent.
    expect(Math.sqrt(2 - 2 * overlap)).toBeGreaterThan(0.2);
  });
});
