/**
 * Whether a run's projections held between their sample points. Each step's θ̇ is solved on its
 * own samples, so its residual there can be small while θ̇ misses the right-hand side everywhere
 * else: with as many parameters as the samples can pin down, least squares interpolates. The
 * held-out residual (`samples.heldOut`) measures θ̇ on points it was not solved on; far above the
 * step residual, the solution drifts from the PDE by about that share of the right-hand side per
 * unit time, whatever the step residuals say.
 */
import type { StepHistoryRecord } from './save-format';

/** What the check reads of a step: a history record, or an `EvolveProgress` (NaN: not measured). */
export type MeasuredStep = Pick<StepHistoryRecord, 'residual' | 'heldOutResidual'>;

/** The median held-out residual above which a run is reported: θ̇ misses a tenth of f. */
const HELD_OUT_ALARM = 0.1;
/** How far above the step residual the held-out one must be: beyond sampling noise's factor of 2–3. */
const GAP_ALARM = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Whether one θ̇ missed f between its samples: held-out residual at the run's alarm, far above its own. */
export function missesBetweenSamples(residual: number, heldOut: number): boolean {
  return heldOut >= HELD_OUT_ALARM && heldOut >= GAP_ALARM * residual;
}

/**
 * A step attempt retried because its θ̇ missed f between its samples: a sample set that puts
 * weight on a rare feature of u (a Monte Carlo outlier) gives a θ̇ that matches it and not the
 * rest, which fresh samples do not repeat.
 */
export class HeldOutMiss extends Error {
  constructor(
    readonly residual: number,
    readonly heldOut: number,
  ) {
    super(
      `θ̇ matched f on its samples (residual ${residual.toExponential(2)}) but not on held-out points ` +
        `(${heldOut.toExponential(2)}): retried with fresh samples`,
    );
    this.name = 'HeldOutMiss';
  }
}

/** Accepted steps after which a run's held-out gap is reported, early enough to stop a run that will not be accurate. */
export const HELD_OUT_WARNING_STEPS = 3;

/** A warning for a run whose steps' θ̇ matched f on their samples but not on held-out points. */
export function heldOutWarning(history: readonly MeasuredStep[]): string | undefined {
  const measured = history.filter(
    (r) => r.heldOutResidual !== undefined && Number.isFinite(r.heldOutResidual) && Number.isFinite(r.residual),
  );
  if (measured.length === 0) return undefined;
  const heldOut = median(measured.map((r) => r.heldOutResidual as number));
  const residual = median(measured.map((r) => r.residual));
  if (!missesBetweenSamples(residual, heldOut)) return undefined;
  return (
    `the steps' θ̇ matched the right-hand side on their samples (median residual ${residual.toExponential(2)}) ` +
    `but not on held-out points (median ${heldOut.toExponential(2)}): the projection does not hold between the ` +
    'samples, so the solution is less accurate than its step residuals suggest — for a narrow solution a network ' +
    'on the raw point (network.embedding: false), else more samples (samples.count), narrows the gap ' +
    '(docs/accuracy.md, "Held-out residuals")'
  );
}
