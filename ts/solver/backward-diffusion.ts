/**
 * A right-hand side whose coefficient on a field's own second derivative is negative is a backward
 * diffusion (u_t = −κΔu: the heat equation with its sign flipped): every scale k of u, and of the
 * error the network makes, grows like e^{κk²t}, so a run's steps shrink and its residual rises until
 * it stops, with nothing in it to say why. The coefficient ∂f_a/∂(∂²u_a/∂x_i²) is read on u0 at
 * the pilot points by a central difference in that jet (the Laplacian and the second derivative
 * along i moved together), before any native work.
 */
import type { Problem } from '../problem/define';
import { evaluateProgram, type FieldJets } from '../problem/evaluate';
import { threeDigits as short } from '../util/columns';
import { initialJets, RHS_PILOT_POINTS } from './initial-rhs';
import { pilotPoints } from './initial-shape';

/** Where a field's own diffusion coefficient along an axis is most negative. */
export interface BackwardDiffusion {
  readonly field: string;
  readonly axis: number;
  readonly point: number[];
  /** ∂f/∂(∂²u/∂x_axis²) there. */
  readonly coefficient: number;
}

/**
 * Below this share of the largest |coefficient| over the points, a negative one is rounding (a
 * diffusion proportional to a u0 that touches zero).
 */
const ROUNDING_SHARE = 1e-9;

/** The jets with field a's second derivative along `axis` moved by `by` (and its Laplacian with it). */
function moved(jets: readonly FieldJets[], a: number, axis: number, by: number): FieldJets[] {
  return jets.map((j, f) => {
    if (f !== a) return j;
    const key = `${axis},${axis}`;
    const d2 = j.d2 === undefined ? undefined : new Map(j.d2);
    const along = d2?.get(key);
    if (d2 !== undefined && along !== undefined)
      d2.set(
        key,
        along.map((v) => v + by),
      );
    return { ...j, d2, lap: j.lap?.map((v) => v + by) };
  });
}

/**
 * The field, axis and pilot point where the right-hand side's coefficient on that field's own
 * second derivative along that axis is most negative at t = 0 on u0; null where none is (below
 * rounding), where the right-hand side reads no second derivative, or where u0 is given by
 * `initialValues` (whose function is called once per fit, and whose second differences are noise).
 */
export function backwardDiffusion(
  problem: Problem,
  lower: readonly number[],
  upper: readonly number[],
): BackwardDiffusion | null {
  const { plan, dim: D, fields } = problem;
  if (plan.initial === null) return null;
  if (!plan.jets.laplacian && !plan.jets.pairs.some(([i, j]) => i === j)) return null;
  const n = RHS_PILOT_POINTS;
  const { points, jets } = initialJets(problem, pilotPoints(lower, upper).subarray(0, n * D), n, lower, upper);
  const rhs = (at: readonly FieldJets[]) => evaluateProgram(plan.rhs, { n, x: points, t: 0, jets: at });
  let found: BackwardDiffusion | null = null;
  for (let a = 0; a < fields.length; a++) {
    // A step in the second derivative of the size of u0's own, so that a coefficient nonlinear in
    // it is read where u0 is.
    const typical = Math.sqrt(jets[a].lap?.reduce((s, v) => s + v * v, 0) ?? 0) / Math.sqrt(n);
    const step = 1e-6 * (typical > 0 && Number.isFinite(typical) ? typical : 1);
    for (let axis = 0; axis < D; axis++) {
      const [plus, minus] = [rhs(moved(jets, a, axis, step))[a], rhs(moved(jets, a, axis, -step))[a]];
      const c = plus.map((v, p) => (v - minus[p]) / (2 * step));
      const largest = c.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
      for (let p = 0; p < n; p++) {
        if (c[p] < -ROUNDING_SHARE * largest && c[p] < (found?.coefficient ?? 0)) {
          found = { field: fields[a], axis, point: Array.from(points.subarray(p * D, (p + 1) * D)), coefficient: c[p] };
        }
      }
    }
  }
  return found;
}

/** What NIVP_BACKWARD_DIFFUSION says. */
export function backwardDiffusionWarning(b: BackwardDiffusion): string {
  const along = `∂²${b.field}/∂x[${b.axis}]²`;
  return (
    `the right-hand side of ${b.field} is a backward diffusion along x[${b.axis}]: its coefficient on ${along} is ` +
    `${short(b.coefficient)} at x = (${b.point.map(short).join(', ')}) on u0, so every fine scale of ${b.field}, and of ` +
    "the network's error, grows (like e^{|κ|k²t} at wavenumber k) instead of decaying: the steps will shrink and the " +
    `residual rise until the run stops. A diffusion is ${b.field}_t = +κ·${along} with κ > 0: a sign flipped?`
  );
}
