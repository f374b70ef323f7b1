/**
 * How far outside the domain the solution at time T depends on the initial condition through
 * transport. With boundary 'none' nothing holds the network on the sampled box's faces: what flows
 * in across them was never fitted, and a disturbance born there is carried into the domain at the
 * transport speed. The margin must cover that distance (docs/api.md, `margin`).
 *
 * The speed is read from the right-hand side itself: for field a, c_i = −∂f_a/∂(∂_i u_a) at u0's
 * jets (u_t + c·∇u = … has c there; Burgers' u·u_x gives c = u). Characteristics traced backward
 * from the domain's faces for T under that speed, frozen at u0, show how far out the solution
 * inside reads. A second-order equation written as a system, u_t = a·v, v_t = b·∂²u/∂x_i² + …,
 * carries u0 both ways along axis i at c_i = √(ab), at u0's jets on the faces. Spreading by
 * diffusion is not counted. Only the axes with boundary 'none' count: a Dirichlet factor holds u
 * on its faces, and a periodic network brings back what leaves.
 */
import { boundaryAlong, someAxis } from '../problem/boundary';
import type { Problem } from '../problem/define';
import { evaluateProgram, type FieldJets } from '../problem/evaluate';
import type { CompiledProblem } from '../problem/plan';
import { mulberry32 } from '../util/random';
import { secondOrderPairs } from './energy-norm';
import { MAX_MARGIN, type ResolvedOptions } from './options';

/** Points traced backward from each face of the domain. */
const POINTS_PER_FACE = 24;
/** Midpoint steps of the backward trace over [0, T]. */
const TRACE_STEPS = 24;
/**
 * The margin (a fraction of each axis's half-width, as `margin`) that keeps the solution inside
 * the domain up to time T independent of what the sampled box's faces let in: the largest
 * distance, over axes, that a characteristic ending on the domain at T lies outside it at any
 * earlier time (the rule margin·half-width ≥ speed·T, for any speed field), or that a wave
 * travels in T. 0 when the right-hand side reads no first derivative and holds no wave. A u0 given
 * by `initialValues` is not known here: its jets are taken as zero (exact for a linear equation).
 */
export function inflowMargin(problem: Problem, T: number): number {
  const plan = problem.plan;
  if (!(T > 0)) return 0;
  const half = halfWidths(plan);
  const start = facePoints(plan);
  return Math.max(transportReach(plan, T, start, half), waveReach(plan, T, start, half));
}

/** How far outside the domain, in half-widths, the characteristics ending on its faces at T start. */
function transportReach(plan: CompiledProblem, T: number, start: Float64Array, half: readonly number[]): number {
  if (!plan.jets.gradient) return 0;
  const open = openAxes(plan);
  const n = start.length / plan.dim;
  const dt = T / TRACE_STEPS;
  let reach = 0;
  for (let field = 0; field < plan.fields.length; field++) {
    const x = Float64Array.from(start);
    for (let k = 0; k < TRACE_STEPS; k++) {
      const t = T - k * dt;
      // Backward midpoint step: x ← x − dt·c(x − dt/2·c(x)).
      const c1 = speed(plan, field, x, n, t, half);
      const mid = x.map((v, i) => v - 0.5 * dt * c1[i]);
      const c2 = speed(plan, field, mid, n, t - 0.5 * dt, half);
      for (let i = 0; i < x.length; i++) x[i] -= dt * c2[i];
      reach = Math.max(reach, outside(plan, x, half, open));
    }
  }
  return reach;
}

/**
 * The distance, in half-widths, that the waves of `secondOrderPairs` travel in T: u_t = a·v,
 * v_t = b_i·∂²u/∂x_i² + … moves u at c_i = √(ab_i) along axis i, both ways. a and b_i are the
 * right-hand side's slopes in those jet terms (b_i through ∂²u/∂x_i² and Δu alike) at u0's jets
 * on the domain's faces.
 */
function waveReach(plan: CompiledProblem, T: number, x: Float64Array, half: readonly number[]): number {
  const pairs = secondOrderPairs(plan);
  if (pairs.length === 0) return 0;
  const D = plan.dim;
  const n = x.length / D;
  const jets = initialJets(plan, x, n, half);
  const slope = (out: number, field: number, term: (jet: FieldJets) => Float64Array | undefined) =>
    rhsSlope(plan, out, x, n, 0, jets, field, term);
  const open = openAxes(plan);
  let reach = 0;
  for (const [u, v] of pairs) {
    const a = slope(u, v, (jet) => jet.value);
    const lap = slope(v, u, (jet) => jet.lap);
    for (let i = 0; i < D; i++) {
      if (!open[i]) continue;
      const b = slope(v, u, (jet) => jet.d2?.get(`${i},${i}`));
      for (let p = 0; p < n; p++) {
        const c = Math.sqrt(Math.max(0, a[p] * (b[p] + lap[p])));
        if (Number.isFinite(c)) reach = Math.max(reach, (c * T) / half[i]);
      }
    }
  }
  return reach;
}

/**
 * ∂f_out/∂(one jet term of `field`) at n points at time t, by central differences in that term
 * (`term` picks it from a field's jets, whose arrays are distinct; absent: 0).
 */
function rhsSlope(
  plan: CompiledProblem,
  out: number,
  x: Float64Array,
  n: number,
  t: number,
  jets: FieldJets[],
  field: number,
  term: (jet: FieldJets) => Float64Array | undefined,
): Float64Array {
  const base = term(jets[field]);
  if (base === undefined) return new Float64Array(n);
  const step = base.map((v) => 1e-4 * (1 + Math.abs(v)));
  const at = (sign: number): Float64Array => {
    const shifted = Float64Array.from(base, (v, p) => v + sign * step[p]);
    const moved = jets.map((jet, k) => (k === field ? withTerm(jet, base, shifted) : jet));
    return evaluateProgram(plan.rhs, { n, x, t, jets: moved })[out];
  };
  const up = at(1);
  const down = at(-1);
  return up.map((v, p) => (v - down[p]) / (2 * step[p]));
}

/** A copy of `jet` with the array `from` (one of its terms) replaced by `to`. */
function withTerm(jet: FieldJets, from: Float64Array, to: Float64Array): FieldJets {
  const swap = (v: Float64Array) => (v === from ? to : v);
  const d2 = jet.d2 === undefined ? undefined : new Map([...jet.d2].map(([key, v]) => [key, swap(v)]));
  return {
    ...jet,
    value: swap(jet.value),
    d: jet.d?.map(swap),
    d2,
    lap: jet.lap === undefined ? undefined : swap(jet.lap),
  };
}

/** Per axis, whether its boundary is 'none': the axes a margin grows. */
function openAxes(plan: CompiledProblem): boolean[] {
  return plan.lower.map((_, i) => boundaryAlong(plan.boundary, i) === 'none');
}

/** Each axis's half-width of the domain. */
function halfWidths(plan: CompiledProblem): number[] {
  return plan.upper.map((u, j) => (u - plan.lower[j]) / 2);
}

/** The farthest that n points (n×D) lie outside the domain along an open axis, in half-widths. */
function outside(plan: CompiledProblem, x: Float64Array, half: readonly number[], open: readonly boolean[]): number {
  const D = plan.dim;
  let most = 0;
  for (let i = 0; i < x.length; i++) {
    const j = i % D;
    if (!open[j]) continue;
    const beyond = Math.max(plan.lower[j] - x[i], x[i] - plan.upper[j], 0) / half[j];
    if (Number.isFinite(beyond)) most = Math.max(most, beyond);
  }
  return most;
}

/** `POINTS_PER_FACE` seeded points on each of the domain's 2D faces, n×D row-major. */
function facePoints(plan: CompiledProblem): Float64Array {
  const D = plan.dim;
  const random = mulberry32(0x1f10 + D);
  const n = 2 * D * POINTS_PER_FACE;
  const x = new Float64Array(n * D);
  for (let face = 0; face < 2 * D; face++) {
    const axis = face >> 1;
    for (let p = 0; p < POINTS_PER_FACE; p++) {
      const row = (face * POINTS_PER_FACE + p) * D;
      for (let j = 0; j < D; j++) x[row + j] = plan.lower[j] + (plan.upper[j] - plan.lower[j]) * random();
      x[row + axis] = face % 2 === 0 ? plan.lower[axis] : plan.upper[axis];
    }
  }
  return x;
}

/**
 * c_i = −∂f_field/∂(∂_i u_field) at u0's jets on n points (n×D); 0 where it is not finite (u0
 * undefined there), so a trace stops rather than runs off.
 */
function speed(
  plan: CompiledProblem,
  field: number,
  x: Float64Array,
  n: number,
  t: number,
  half: readonly number[],
): Float64Array {
  const D = plan.dim;
  const jets = initialJets(plan, x, n, half);
  const c = new Float64Array(n * D);
  for (let i = 0; i < D; i++) {
    const slope = rhsSlope(plan, field, x, n, t, jets, field, (jet) => jet.d?.[i]);
    for (let p = 0; p < n; p++) c[p * D + i] = Number.isFinite(slope[p]) ? -slope[p] : 0;
  }
  return c;
}

/**
 * u0's jets at n points: values from the initial program, the derivatives the rhs reads by
 * central differences (steps of 1e-4 and 1e-3 of each axis's half-width); all zero where u0 is
 * not given as an expression.
 */
function initialJets(plan: CompiledProblem, x: Float64Array, n: number, half: readonly number[]): FieldJets[] {
  const D = plan.dim;
  const k = plan.fields.length;
  const initial = plan.initial;
  const zero = (): Float64Array => new Float64Array(n);
  const u0 = (points: Float64Array): Float64Array[] =>
    initial === null ? plan.fields.map(zero) : evaluateProgram(initial, { n, x: points, t: 0 });
  const at = (shifts: [number, number][]): Float64Array[] => {
    const moved = Float64Array.from(x);
    for (let p = 0; p < n; p++) for (const [axis, by] of shifts) moved[p * D + axis] += by;
    return u0(moved);
  };
  const value = u0(x);
  const first = (j: number): Float64Array[] => {
    const h = 1e-4 * half[j];
    const up = at([[j, h]]);
    const down = at([[j, -h]]);
    return up.map((u, a) => u.map((v, p) => (v - down[a][p]) / (2 * h)));
  };
  const second = (i: number, j: number): Float64Array[] => {
    const hi = 1e-3 * half[i];
    const hj = 1e-3 * half[j];
    if (i === j) {
      const up = at([[i, hi]]);
      const down = at([[i, -hi]]);
      return value.map((v, a) => v.map((c, p) => (up[a][p] - 2 * c + down[a][p]) / (hi * hi)));
    }
    const pp = at([
      [i, hi],
      [j, hj],
    ]);
    const pm = at([
      [i, hi],
      [j, -hj],
    ]);
    const mp = at([
      [i, -hi],
      [j, hj],
    ]);
    const mm = at([
      [i, -hi],
      [j, -hj],
    ]);
    return pp.map((u, a) => u.map((v, p) => (v - pm[a][p] - mp[a][p] + mm[a][p]) / (4 * hi * hj)));
  };
  const gradients = Array.from({ length: D }, (_, j) => first(j));
  const pairs = new Map<string, Float64Array[]>();
  const wanted = new Set(plan.jets.pairs.map(([i, j]) => `${i},${j}`));
  if (plan.jets.laplacian) for (let j = 0; j < D; j++) wanted.add(`${j},${j}`);
  for (const key of wanted) {
    const [i, j] = key.split(',').map(Number);
    pairs.set(key, second(i, j));
  }
  return Array.from({ length: k }, (_, a) => {
    const d2 = new Map<string, Float64Array>();
    for (const [key, values] of pairs) d2.set(key, values[a]);
    const lap = zero();
    if (plan.jets.laplacian) {
      for (let j = 0; j < D; j++) {
        const diag = d2.get(`${j},${j}`) ?? zero();
        for (let p = 0; p < n; p++) lap[p] += diag[p];
      }
    }
    return { value: value[a], d: gradients.map((g) => g[a]), d2, lap };
  });
}

/**
 * The margin a run of these options to T needs: theirs, or `inflowMargin` rounded up to
 * hundredths where that is more (it may exceed `MAX_MARGIN`, the most a run can be given). Only a
 * linear output with boundary 'none' along some axis asks: a Dirichlet network is held on the
 * faces, and the log output's u = B·e^m turns a disturbance of m at the faces into one of the
 * density's negligible tail there (a density is that output's default, `outputFor`).
 */
export function marginFor(options: ResolvedOptions, T: number): number {
  const { problem, margin, network } = options;
  if (!someAxis(problem.boundary, 'none') || network.output === 'exp') return margin;
  return Math.max(margin, Math.ceil(inflowMargin(problem, T) * 100 - 1e-6) / 100);
}

/** The margin a run can be given towards `needed`: `MAX_MARGIN` at most. */
export function givenMargin(needed: number): number {
  return Math.min(MAX_MARGIN, needed);
}

/** What a margin short of `needed` for a run to T means, and what to do. */
export function inflowWarning(margin: number, needed: number, T: number): string {
  const said =
    `margin ${margin} may let the sampled box's faces into the domain before T = ${T}: the ` +
    `right-hand side transports u0 from up to ${needed} half-widths outside the domain by then ` +
    '(its first-derivative terms traced back from the faces, or its waves), where nothing was fitted. ';
  if (needed > MAX_MARGIN) {
    return (
      `${said}That is beyond the largest margin (${MAX_MARGIN}): evolve to an earlier T, or widen ` +
      'the domain to hold what arrives by T'
    );
  }
  return `${said}Pass margin: ${needed} (the default when evolve fits first, and the CLI's)`;
}
