// The closed-form cases of examples/unseen-problems.ts must be right before their errors mean
// anything: each `exact` satisfies its own rhs (u_t by central differences in t against the rhs
// of the compiled plan fed with the exact's jets by central differences in x), equals `initial`
// at t = 0, and vanishes on the faces of a Dirichlet problem (repeats across them on a periodic one). No solve: the plan's reference
// evaluator only. A sign flipped in any term of a case fails the first check by orders of magnitude.
import { describe, expect, it } from 'vitest';
import { cases } from '../examples/lib/unseen-problems';
import type { Problem } from '../ts/index';
import { boundaryAlong } from '../ts/problem/boundary';
import { evaluateProgram } from '../ts/problem/evaluate';
import { residualAt } from './helpers/closed-form';
import { uniform } from './helpers/random';

const n = 64;
// The closed-form helper's 4th-order central differences miss by far less than this; a term with
// a wrong sign misses by a fraction of one.
const PDE_BOUND = 1e-3;

/** n seeded points inside the box, 5% off each face, row-major n×D. */
function interior(problem: Problem): Float64Array {
  const { dim, lower, upper } = problem.plan;
  return uniform(n * dim, 0.05, 0.95, 42).map((v, i) => lower[i % dim] + (upper[i % dim] - lower[i % dim]) * v);
}

function checked(problem: Problem) {
  const { plan } = problem;
  const { dim, exact, initial } = plan;
  if (exact === null || initial === null) throw new Error(`${problem.name}: needs exact and initial`);
  const at = (x: Float64Array, t: number) => evaluateProgram(exact, { n: x.length / dim, x, t });
  return { plan, dim, exact: at, initial };
}

/** max |u_t − rhs(u)| / max |u_t| over the points and fields at time t (tests/helpers/closed-form.ts). */
function pdeMismatch(problem: Problem, x: Float64Array, t: number): number {
  const dim = problem.dim;
  let [miss, scale] = [0, 0];
  for (let i = 0; i < n; i++) {
    const r = residualAt(problem, Array.from(x.subarray(i * dim, (i + 1) * dim)), t);
    miss = Math.max(miss, r.residual);
    scale = Math.max(scale, r.scale);
  }
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

    // Along each axis the exact solution meets its boundary at every time: equal on the two faces
    // of a periodic axis, zero on those of a Dirichlet one.
    let [gap, face, scale] = [0, 0, 0];
    for (const t of [0, 0.5 * T, T]) {
      for (const column of exact(x, t)) for (const v of column) scale = Math.max(scale, Math.abs(v));
      for (let a = 0; a < dim; a++) {
        const kind = boundaryAlong(plan.boundary, a);
        if (kind === 'none') continue;
        const [lo, hi] = [Float64Array.from(x), Float64Array.from(x)];
        for (let i = 0; i < n; i++) [lo[i * dim + a], hi[i * dim + a]] = [plan.lower[a], plan.upper[a]];
        const [below, above] = [exact(lo, t), exact(hi, t)];
        below.forEach((column, f) => {
          column.forEach((v, i) => {
            if (kind === 'periodic') gap = Math.max(gap, Math.abs(v - above[f][i]));
            else face = Math.max(face, Math.abs(v), Math.abs(above[f][i]));
          });
        });
      }
    }
    expect(gap).toBeLessThan(1e-12 * scale);
    expect(face).toBeLessThan(1e-12 * scale);
  });
});
