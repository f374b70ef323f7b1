import { compileProgram } from '../ts/problem/compile';
import { evaluateProgram, type FieldJets } from '../ts/problem/evaluate';
import type { Expr } from '../ts/problem/expr';
import type { Program } from '../ts/problem/plan';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export { rng } from './helpers/random';

/** n random points in [lo, hi]^dim, as arrays. */
export function randomPoints(random: () => number, n: number, dim: number, lo = -1, hi = 1): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => lo + (hi - lo) * random()));
}

export function flatten(points: readonly (readonly number[])[]): Float64Array {
  return Float64Array.from(points.flat());
}

/** Evaluates a program's outputs at points; returns per-output arrays of plain numbers. */
export function run(program: Program, points: readonly (readonly number[])[], t = 0, jets?: FieldJets[]): number[][] {
  return evaluateProgram(program, { n: points.length, x: flatten(points), t, jets }).map((v) => Array.from(v));
}

/** Evaluates field-free expressions at one point. */
export function evalAt(exprs: readonly Expr[], point: readonly number[], t = 0): number[] {
  return run(compileProgram(exprs), [point], t).map((v) => v[0]);
}

/** A closed-form field: value, gradient, Hessian (full matrix) at a point. */
export interface ClosedForm {
  value(p: readonly number[]): number;
  grad(p: readonly number[]): number[];
  hess(p: readonly number[]): number[][];
}

/** Builds the jets of closed-form fields at points, in the layout evaluateProgram expects. */
export function jetsOf(forms: readonly ClosedForm[], points: readonly (readonly number[])[]): FieldJets[] {
  const n = points.length;
  const dim = points[0].length;
  return forms.map((f) => {
    const value = new Float64Array(n);
    const d = Array.from({ length: dim }, () => new Float64Array(n));
    const d2 = new Map<string, Float64Array>();
    for (let i = 0; i < dim; i++) for (let j = i; j < dim; j++) d2.set(`${i},${j}`, new Float64Array(n));
    const lap = new Float64Array(n);
    points.forEach((p, k) => {
      value[k] = f.value(p);
      const g = f.grad(p);
      const h = f.hess(p);
      for (let i = 0; i < dim; i++) {
        d[i][k] = g[i];
        lap[k] += h[i][i];
        for (let j = i; j < dim; j++) (d2.get(`${i},${j}`) as Float64Array)[k] = h[i][j];
      }
    });
    return { value, d, d2, lap };
  });
}

/** Central first derivative (4th order) of a scalar function along a direction. */
export function fd1(f: (h: number) => number, h: number): number {
  return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h);
}

/** Central second derivative (4th order) of a scalar function along a direction. */
export function fd2(f: (h: number) => number, h: number): number {
  return (-f(2 * h) + 16 * f(h) - 30 * f(0) + 16 * f(-h) - f(-2 * h)) / (12 * h * h);
}

/** p + s·e_i */
export function shift(p: readonly number[], i: number, s: number): number[] {
  const q = [...p];
  q[i] += s;
  return q;
}

export function expectClose(actual: number, expected: number, rtol: number, atol = 0, what = ''): void {
  const tol = atol + rtol * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`${what}: ${actual} vs ${expected} (|diff| ${Math.abs(actual - expected)} > tol ${tol})`);
  }
}
