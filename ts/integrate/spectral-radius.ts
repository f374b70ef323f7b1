/**
 * The spectral radius ρ of f's Jacobian at (t, y), by the nonlinear power method of RKC's own
 * code (Sommeijer, Shampine and Verwer): d ← f(t, y + d) − f(t, y), rescaled to a fixed small
 * size, until the ratio ‖f(t, y + d) − f(t, y)‖/‖d‖ settles. Each iteration is one evaluation of f,
 * so the last direction is handed back as the next estimate's start.
 */
import { StepFailure } from './errors';
import { checkedStage } from './rk';
import type { OdeSystem, VectorOps } from './vector';

/** Most evaluations of f per estimate. */
const MAX_ITERATIONS = 20;
/** Stop when two successive ratios agree to this. */
const SETTLED = 0.01;
/** The perturbation's size relative to ‖y‖: above the solves' noise, below f's curvature. */
const RELATIVE_SIZE = 1e-5;

export interface SpectralRadius<V> {
  /** The estimate (the last ratio: a lower bound for a normal Jacobian, exact for its top mode). */
  readonly rho: number;
  /**
   * How much of that rate is decay: −cos of the angle between d and f's change along it, 1 for a
   * real negative eigenvalue (diffusion), 0 for an imaginary one (an oscillation), −1 for growth.
   */
  readonly decay: number;
  /** The last direction d (owned by the caller): the next estimate's start. */
  readonly direction: V;
  /** Evaluations of f spent. */
  readonly evaluations: number;
}

/**
 * ρ at (t, y), given f(t, y) = `fy` (borrowed) and a start direction (borrowed; default fy). Throws
 * `StepFailure` when an evaluation rejects or is not finite, after releasing what it made.
 */
export async function spectralRadius<V>(
  system: OdeSystem<V>,
  ops: VectorOps<V>,
  t: number,
  y: V,
  fy: V,
  start: V | undefined,
  release: (v: V) => void,
): Promise<SpectralRadius<V>> {
  const yNorm = await ops.norm(y);
  const size = RELATIVE_SIZE * (yNorm > 0 ? yNorm : 1);
  let direction = await scaled(ops, start ?? fy, size);
  let rho = 0;
  let decay = 0;
  let evaluations = 0;
  try {
    for (let k = 0; ; k++) {
      const fv = await checkedStage(system, ops, 0, t, y, [[1, direction]], { release });
      evaluations++;
      const change = await ops.combine(null, [
        [1, fv],
        [-1, fy],
      ]);
      release(fv);
      const changeNorm = await ops.norm(change);
      const ratio = changeNorm / (await ops.norm(direction));
      if (!Number.isFinite(ratio)) {
        release(change);
        throw new StepFailure('nonfinite', 0);
      }
      const settled = (k > 0 && Math.abs(ratio - rho) <= SETTLED * ratio) || ratio === 0 || k + 1 >= MAX_ITERATIONS;
      rho = ratio;
      if (settled) {
        // cos∠(Ad, d) from ‖Ad + ρd‖² = 2ρ²‖d‖²·(1 + cos), since ‖Ad‖ = ρ‖d‖.
        if (ratio > 0) {
          const sum = await ops.combine(null, [
            [1, change],
            [ratio, direction],
          ]);
          const cos = (await ops.norm(sum)) ** 2 / (2 * changeNorm * changeNorm) - 1;
          release(sum);
          decay = Math.min(1, Math.max(-1, -cos));
        }
        release(direction);
        direction = change;
        return { rho, decay, direction, evaluations };
      }
      release(direction);
      direction = change;
      const next = await scaled(ops, direction, size);
      release(direction);
      direction = next;
    }
  } catch (e) {
    release(direction);
    throw e;
  }
}

/** v rescaled to norm `size` (a new vector); a zero v gives itself, copied. */
async function scaled<V>(ops: VectorOps<V>, v: V, size: number): Promise<V> {
  const norm = await ops.norm(v);
  return ops.combine(null, [[norm > 0 ? size / norm : 1, v]]);
}
