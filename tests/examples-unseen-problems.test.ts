// The closed-form cases of examples/unseen-problems.ts must be right before their errors mean
// anything: each `exact` satisfies its own rhs (u_t by a central difference in t against the rhs
// of the compiled plan fed with the exact's jets by central differences in x), equals `initial`
// at t = 0, and vanishes on the faces of a Dirichlet problem. No solve: the plan's reference
// evaluator only. A sign flipped in any term of a case fails the first check by orders of magnitude.
import { describe, expect, it } from 'vitest';
import { cases } from '../examples/lib/unseen-problems';
import type { Problem } from '../ts/index';
import { evaluateProgram, type FieldJets } from '../ts/problem/evaluate';
import { mulberry32 } from '../ts/util/random';

const [n, hx, ht] = [64, 1e-3, 1e-4];
// Central differences at these steps miss by at most 4e-5 of max|u_t| (the narrow Gaussian; 2e-7
// to 6e-6 elsewhere); a term with a wrong sign misses by a fraction of one.
const PDE_BOUND = 1e-3;

/** n seeded points inside the box, 5% off each face, row-major n×D. */
function interior(problem: Problem): Float64Array {
  const { dim, lower, upper } = problem.plan;
  const random = mulberry32(42);
  return Float64Array.from({ length: n * dim }, (_, i) => {
    const a = i % dim;
    return lower[a] + (upper[a] - lower[a]) * (0.05 + 0.9 * random());
  });
}

function checked(problem: Problem) {
  const { plan } = problem;
  const { dim, exact, initial } = plan;
  if (exact === null || initial === null) throw new Error(`${problem.name}: needs exact and initial`);
  const at = (x: Float64Array, t: number) => evaluateProgram(exact, { n: x.length / dim, x, t });
  return { plan, dim, exact: at, initial };
}

/** x with axis a moved by h (and axis b by g). */
function shifted(x: Float64Array, dim: number, a: number, h: number, b = -1, g = 0): Float64Array {
  const y = Float64Array.from(x);
  for (let i = 0; i < y.length / dim; i++) {
    y[i * dim + a] += h;
    if (b >= 0) y[i * dim + b] += g;
  }
  return y;
}

/** max |u_t − rhs(u)| / max |u_t| over the points and fields at time t. */
function pdeMismatch(problem: Problem, x: Float64Array, t: number): number {
  const { plan, dim, exact } = checked(problem);
  const u = exact(x, t);
  const [up, um] = [exact(x, t + ht), exact(x, t - ht)];
  const jets = u.map((value) => ({
    value,
    d: [] as Float64Array[],
    d2: new Map<string, Float64Array>(),
    lap: new Float64Array(n),
  })) satisfies FieldJets[];
  for (let a = 0; a < dim; a++) {
    const [p, m] = [exact(shifted(x, dim, a, hx), t), exact(shifted(x, dim, a, -hx), t)];
    jets.forEach((jet, f) => {
      jet.d.push(p[f].map((v, i) => (v - m[f][i]) / (2 * hx)));
      const second = p[f].map((v, i) => (v - 2 * u[f][i] + m[f][i]) / (hx * hx));
      jet.d2.set(`${a},${a}`, second);
      for (let i = 0; i < n; i++) jet.lap[i] += second[i];
    });
    for (let b = a + 1; b < dim; b++) {
      const [pp, pm, mp, mm] = [
        [hx, hx],
        [hx, -hx],
        [-hx, hx],
        [-hx, -hx],
      ].map(([h, g]) => exact(shifted(x, dim, a, h, b, g), t));
      jets.forEach((jet, f) => {
        jet.d2.set(
          `${a},${b}`,
          pp[f].map((v, i) => (v - pm[f][i] - mp[f][i] + mm[f][i]) / (4 * hx * hx)),
        );
      });
    }
  }
  const rhs = evaluateProgram(plan.rhs, { n, x, t, jets });
  let [miss, scale] = [0, 0];
  rhs.forEach((column, f) => {
    column.forEach((v, i) => {
      const ut = (up[f][i] - um[f][i]) / (2 * ht);
      miss = Math.max(miss, Math.abs(ut - v));
      scale = Math.max(scale, Math.abs(ut));
    });
  });
  return miss / scale;
}

describe('examples/lib/unseen-problems', () => {
  it.each(Object.keys(cases))('%s: exact solves the rhs, starts at initial, and meets the boundary', (name) => {
    const { problem, T } = cases[name]();
    const { plan, dim, exact, initial } = checked(problem);
    const x = interior(problem);
    for (const t of [0.1 * T, 0.5 * T, T]) expect(pdeMismatch(problem, x, t), `t = ${t}`).toBeLessThan(PDE_BOUND);

    const [u0, e0] = [evaluateProgram(initial, { n, x, t: 0 }), exact(x, 0)];
    u0.forEach((column, f) => {
      column.forEach((v, i) => {
        expect(Math.abs(v - e0[f][i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(v)));
      });
    });

    if (plan.boundary !== 'dirichlet') return;
    let [face, size] = [0, 0];
    for (const t of [0, 0.5 * T, T]) {
      for (const column of exact(x, t)) for (const v of column) size = Math.max(size, Math.abs(v));
      for (let a = 0; a < dim; a++)
        for (const side of [plan.lower[a], plan.upper[a]]) {
          const y = Float64Array.from(x);
          for (let i = 0; i < n; i++) y[i * dim + a] = side;
          for (const column of exact(y, t)) for (const v of column) face = Math.max(face, Math.abs(v));
        }
    }
    expect(face).toBeLessThan(1e-12 * size);
  });
});
