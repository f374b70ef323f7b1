/**
 * The right-hand side on the initial condition, f(u0), before any native work. Where it is not
 * finite at a point where no field of u0 is zero (the log or the square root of a negative u0, a
 * power of a negative base, a coefficient undefined in the margin), the network's u ≈ u0 gives the
 * same at the first step, after a whole fit: the run would fail there, so the options are refused
 * first, naming the field, the point and u0 there. Where u0 is exactly zero the answer depends on
 * the network's tiny error (1/u, or log u of a density fitted through its logarithm), so those
 * points are not judged. The same f(u0) gives a field that starts at zero its network's features
 * (rate-features.ts).
 */
import type { Problem } from '../problem/define';
import { evaluateProgram, type FieldJets } from '../problem/evaluate';
import { initialFields, pilotPoints } from './initial-shape';

/** Points at which f(u0) is evaluated: the first of the shape estimate's pilot points. */
export const RHS_PILOT_POINTS = 1024;

/** Central-difference step, as a share of each axis's half-width (as the shape estimate's). */
const STEP = 1e-4;

/** Where f(u0) is not finite although u0 is not zero there: the field, point, value and u0. */
export interface NonFiniteRhs {
  readonly field: string;
  readonly point: number[];
  readonly value: number;
  readonly u0: number[];
}

/** u0 and the right-hand side on it, f(u0), per field, at n points. */
export interface InitialRate {
  /** The points evaluated at: x moved in from the faces (below). */
  readonly points: Float64Array;
  readonly u0: Float64Array[];
  readonly rate: Float64Array[];
}

/** u0's jets (the derivatives the right-hand side reads), per field, at n points. */
export interface InitialJets {
  /** The points evaluated at: x moved in from the faces (below). */
  readonly points: Float64Array;
  readonly u0: Float64Array[];
  readonly jets: FieldJets[];
}

/**
 * u0 and f(u0) at t = 0 at the n points x (row-major n×D) of the box [lower, upper], f read on
 * u0's jets (`initialJets`).
 */
export function initialRate(
  problem: Problem,
  x: Float64Array,
  n: number,
  lower: readonly number[],
  upper: readonly number[],
): InitialRate {
  const { points, u0, jets } = initialJets(problem, x, n, lower, upper);
  return { points, u0, rate: evaluateProgram(problem.plan.rhs, { n, x: points, t: 0, jets }) };
}

/**
 * u0 and the derivatives of it the right-hand side reads, at the n points x (row-major n×D) of
 * the box [lower, upper], by central differences (mixed second derivatives only where f reads
 * them), each step STEP of the axis's half-width. Points nearer a face than two steps are moved in
 * by that much, so that the differences read u0 only inside the box; x itself is not changed. u0
 * is the closed form, or the values `initialValues` gives (whose differences are as smooth as
 * that function).
 */
export function initialJets(
  problem: Problem,
  x: Float64Array,
  n: number,
  lower: readonly number[],
  upper: readonly number[],
): InitialJets {
  const { jets } = problem.plan;
  const u0At = initialFields(problem);
  const D = problem.dim;
  const h = lower.map((lo, i) => STEP * ((upper[i] - lo) / 2));
  const inside = Float64Array.from(x);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < D; i++)
      inside[p * D + i] = Math.min(upper[i] - 2 * h[i], Math.max(lower[i] + 2 * h[i], x[p * D + i]));
  const at = (shifts: readonly [number, number][]): Float64Array[] => {
    const y = Float64Array.from(inside);
    for (let p = 0; p < n; p++) for (const [axis, s] of shifts) y[p * D + axis] += s * h[axis];
    return u0At(y, n);
  };
  const u0 = at([]);
  const diff = (f: (p: number) => number) => Float64Array.from({ length: n }, (_, p) => f(p));
  // Per axis i and field f: the first and the second derivative along i.
  const first: Float64Array[][] = [];
  const second: Float64Array[][] = [];
  if (jets.gradient || jets.laplacian || jets.pairs.length > 0) {
    for (let i = 0; i < D; i++) {
      const [plus, minus] = [at([[i, 1]]), at([[i, -1]])];
      first.push(u0.map((_, f) => diff((p) => (plus[f][p] - minus[f][p]) / (2 * h[i]))));
      second.push(u0.map((c, f) => diff((p) => (plus[f][p] - 2 * c[p] + minus[f][p]) / (h[i] * h[i]))));
    }
  }
  const mixed = new Map<string, Float64Array[]>();
  for (const [i, j] of jets.pairs) {
    if (i === j) {
      mixed.set(`${i},${j}`, second[i]);
      continue;
    }
    const corner = (si: number, sj: number) =>
      at([
        [i, si],
        [j, sj],
      ]);
    const [pp, pm, mp, mm] = [corner(1, 1), corner(1, -1), corner(-1, 1), corner(-1, -1)];
    const scale = 4 * h[i] * h[j];
    mixed.set(
      `${i},${j}`,
      u0.map((_, f) => diff((p) => (pp[f][p] - pm[f][p] - mp[f][p] + mm[f][p]) / scale)),
    );
  }
  const field: FieldJets[] = u0.map((value, f) => ({
    value,
    d: first.map((axis) => axis[f]),
    d2: new Map([...mixed].map(([key, byField]) => [key, byField[f]])),
    lap: diff((p) => second.reduce((sum, axis) => sum + axis[f][p], 0)),
  }));
  return { points: inside, u0, jets: field };
}

/** u0 and f(u0) at the first RHS_PILOT_POINTS pilot points of the box. */
export function pilotRate(problem: Problem, lower: readonly number[], upper: readonly number[]): InitialRate {
  const n = RHS_PILOT_POINTS;
  return initialRate(problem, pilotPoints(lower, upper).subarray(0, n * problem.dim), n, lower, upper);
}

/**
 * The first pilot point of the box [lower, upper] where the right-hand side at t = 0 on u0's jets
 * is NaN or infinite while every field of u0 is finite and not zero there; null when there is
 * none. u0's derivatives are central differences, of the closed form or of `initialValues`' values.
 */
export function nonFiniteRhs(
  problem: Problem,
  lower: readonly number[],
  upper: readonly number[],
): NonFiniteRhs | null {
  const pilot = pilotRate(problem, lower, upper);
  const D = problem.dim;
  const { points: x, u0, rate: values } = pilot;
  for (let p = 0; p < RHS_PILOT_POINTS; p++) {
    if (!u0.every((c) => Number.isFinite(c[p]) && c[p] !== 0)) continue;
    const f = values.findIndex((column) => !Number.isFinite(column[p]));
    if (f >= 0)
      return {
        field: problem.fields[f],
        point: Array.from(x.subarray(p * D, (p + 1) * D)),
        value: values[f][p],
        u0: u0.map((c) => c[p]),
      };
  }
  return null;
}
