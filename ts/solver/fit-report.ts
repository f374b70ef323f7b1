/**
 * What a fit reports (docs/api.md §2): `ivp.fit()` resolves to it, `evolve`'s stats carry the initial
 * fit's, and the CLI writes it to metrics.json and the report. A fit that misses its tolerance is
 * not an error: `stopped` says why it ended and `fitWarning` words it for people (one that misses
 * it by far stops `evolve`: fit-guard.ts).
 */
import { adviceText, type FitAdvice } from './fit-guard';
import type { FitMethod } from './options';
import type { RateFeaturesReport } from './rate-features';

export type { RateFeaturesReport } from './rate-features';

/** Why a fit ended: tolerance met, time budget spent, iteration cap reached, or no more progress. */
export type FitStopReason = 'tol' | 'budget' | 'steps' | 'stalled';

/** How a fit ended: its held-out error, cost and stop reason (docs/fitting-and-sampling.md). */
export interface FitReport {
  /**
   * Relative L2 error of the fitted θ on held-out points (never used for fitting), the largest
   * field's own ‖u_a − u0_a‖ over ‖u0_a − o_a‖ (o the fields' `network.outputOffset`, 0 unless a
   * field has one; a field whose u0 is zero taken against all fields' size): uniform in the
   * domain, or, when the fit importance-samples and the domain is the whole box, drawn from the
   * same kind of proposal and weighted p/q (an estimate of the same integral that sees a
   * concentrated target).
   */
  readonly relativeError: number;
  /** Wall seconds of the fit (head tuning and the error measurement included). */
  readonly seconds: number;
  /** Gauss–Newton iterations or Adam steps (an Adam warm-up's included). */
  readonly iterations: number;
  /** The fit method that ran. */
  readonly method: FitMethod;
  /** Why it ended (`message` says it in words). */
  readonly stopped: FitStopReason;
  /** The tolerance asked for (null: none). */
  readonly tol: number | null;
  /** Why it stopped, in words (e.g. "the held-out error stopped improving"). */
  readonly message: string;
  /** Gauss–Newton: damped solves rejected by the ratio test (0 for Adam). */
  readonly rejectedSteps: number;
  /** Gauss–Newton: CG iterations over every damped solve (0 for Adam). */
  readonly cgIterations: number;
  /**
   * Gauss–Newton: points per iteration when it ended; above `fit.samples` when stalls doubled the
   * batch (0 for Adam).
   */
  readonly samples: number;
  /** True when head tuning ran and was kept (it is kept only when it lowers the error). */
  readonly headTuned: boolean;
  /**
   * What would help a fit that missed its tolerance, most likely first (fit-guard.ts, `fitAdvice`);
   * empty when it met it. The `NIVP_FIT_TOLERANCE` warning, the CLI and the report say the same.
   */
  readonly advice: readonly FitAdvice[];
  /** The fields that start at zero and were given their rate's features (`fit.rateFeatures`); null when none. */
  readonly rateFeatures: RateFeaturesReport | null;
}

/** What the native fit returns besides θ (native/bindings/session_binding.cc). */
export interface NativeFitFigures {
  relativeError: number;
  seconds: number;
  iterations: number;
  stopped: string;
  message: string;
  rejected: number;
  cgIterations: number;
  samples: number;
  headTuned: boolean;
}

const REASONS: readonly FitStopReason[] = ['tol', 'budget', 'steps', 'stalled'];

/** The public report from the native figures, the options the fit ran with and its rate features' report. */
export function fitReport(
  figures: NativeFitFigures,
  method: FitMethod,
  tol: number | null,
  seconds: number,
  rateFeatures: RateFeaturesReport | null = null,
): FitReport {
  const stopped = (REASONS as readonly string[]).includes(figures.stopped)
    ? (figures.stopped as FitStopReason)
    : 'stalled';
  return Object.freeze({
    relativeError: figures.relativeError,
    seconds,
    iterations: figures.iterations,
    method,
    stopped,
    tol,
    message: figures.message,
    rejectedSteps: figures.rejected,
    cgIterations: figures.cgIterations,
    samples: figures.samples,
    headTuned: figures.headTuned,
    advice: [],
    rateFeatures,
  });
}

/**
 * A warning when the fit missed its tolerance (or produced a non-finite error); else undefined.
 * It names what the report's advice says would help; without advice, what usually does.
 */
export function fitWarning(report: FitReport): string | undefined {
  const { advice } = report;
  if (!Number.isFinite(report.relativeError)) {
    const help = advice.length === 0 ? '' : `; what would help: ${adviceText(advice)}`;
    return `the initial fit failed: its relative error is ${report.relativeError} (${report.message})${help}`;
  }
  if (report.tol === null || report.relativeError <= report.tol) return undefined;
  const why = report.stopped === 'tol' ? report.message : `stopped: ${report.stopped}, ${report.message}`;
  return (
    `the initial fit reached a relative error of ${digitsAbove(report.relativeError, report.tol)}, above its tolerance ` +
    `${report.tol.toExponential(1)} (${why}); the solution cannot be more accurate than its initial condition — ` +
    (advice.length === 0
      ? 'raise fit.maxSeconds or fit.maxIterations, or enlarge the network'
      : `what would help: ${adviceText(advice)}`)
  );
}

/** `value` in exponent form with the fewest digits (3 to 6) that do not read as `bound` or below. */
function digitsAbove(value: number, bound: number): string {
  let digits = 2;
  while (digits < 5 && Number(value.toExponential(digits)) <= bound) digits++;
  return value.toExponential(digits);
}
