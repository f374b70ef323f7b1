// A closed form checked against its problem by finite differences: the time derivative of the closed
// form against the problem's right-hand side evaluated on the closed form's jets.
import type { Problem, Program } from '../../ts/problem';
import type { FieldJets } from '../../ts/problem/evaluate';
import { fd1, fd2, run, shift } from '../problem-helpers';

export function program(p: Program | null): Program {
  if (p === null) throw new Error('expected a program');
  return p;
}

/** The closed form's fields at one point and time. */
export function exactAt(problem: Problem, point: readonly number[], t: number): number[] {
  return run(program(problem.plan.exact), [point], t).map((v) => v[0]);
}

/** The closed form's jets at one point by central differences (values, ∂_i, ∂_i∂_j, Δ), per field. */
export function fdJets(problem: Problem, p: readonly number[], t: number, h: number): FieldJets[] {
  const dim = problem.dim;
  const k = problem.fields.length;
  const at = (q: readonly number[]) => exactAt(problem, q, t);
  const value = at(p);
  return Array.from({ length: k }, (_, f) => {
    const u = (q: readonly number[]) => at(q)[f];
    const d = Array.from({ length: dim }, (_, i) => Float64Array.of(fd1((s) => u(shift(p, i, s)), h)));
    const d2 = new Map<string, Float64Array>();
    let lap = 0;
    for (let i = 0; i < dim; i++) {
      const dii = fd2((s) => u(shift(p, i, s)), h);
      lap += dii;
      d2.set(`${i},${i}`, Float64Array.of(dii));
      for (let j = i + 1; j < dim; j++) {
        // ∂_i∂_j from the 4th-order first difference along j of the one along i.
        const dij = fd1((s) => fd1((r) => u(shift(shift(p, i, r), j, s)), h), h);
        d2.set(`${i},${j}`, Float64Array.of(dij));
      }
    }
    return { value: Float64Array.of(value[f]), d, d2, lap: Float64Array.of(lap) };
  });
}

/**
 * max over fields of |∂_t u* − L[u*]| and the scale max |∂_t u*|, at one point and time. The
 * spatial step is 1e-3 of the domain's smallest half-width, so a box in any units is differenced
 * alike; the time step is 1e-3.
 */
export function residualAt(problem: Problem, p: readonly number[], t: number): { residual: number; scale: number } {
  const { lower, upper } = problem.plan;
  const h = 1e-3 * Math.min(...lower.map((l, i) => (upper[i] - l) / 2));
  const ut = problem.fields.map((_, f) => fd1((s) => exactAt(problem, p, t + s)[f], 1e-3));
  const rhs = run(problem.plan.rhs, [p], t, fdJets(problem, p, t, h)).map((v) => v[0]);
  return {
    residual: Math.max(...ut.map((v, f) => Math.abs(v - rhs[f]))),
    scale: Math.max(...ut.map(Math.abs)),
  };
}
