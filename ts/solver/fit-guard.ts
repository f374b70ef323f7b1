/**
 * The check `evolve` makes on the fit it starts from. A solution cannot be more accurate than its
 * initial condition, and an evolution from a poor fit costs as much as one from a good fit, so a
 * fit far above its tolerance stops the run before its first step with a `PoorFitError` that says
 * what was reached, what was asked, and which options would help (docs/fitting-and-sampling.md,
 * "A fit too poor to evolve"). `fit.allowPoorFit` evolves anyway.
 */
import { describeBoundary, someAxis } from '../problem/boundary';
import { threeDigits as short } from '../util/columns';
import { DIRICHLET_NOTED_SHARE, describeFaceValue, dirichletFaceValue } from './dirichlet-start';
import type { FitReport } from './fit-report';
import { type InitialShape, isConcentrated } from './initial-shape';
import type { ResolvedOptions } from './options';

/**
 * How far above `fit.tol` a fit may end and still be evolved. The default tolerance sits two to
 * three orders of magnitude below the error an evolution itself reaches (1e-5 against the 1e-4 to
 * 1e-2 the catalogue's and the suite's runs end at: docs/suite.md), so a fit within this factor of
 * it is at most the largest error an evolution ends at; beyond it the fit is larger than all of
 * them, and the run's error is the fit's. With the default tolerance the bound is 1 %.
 */
export const POOR_FIT_FACTOR = 1000;

/** The largest held-out fit error `evolve` starts from: `POOR_FIT_FACTOR` × tol (none without a tolerance). */
export const poorFitBound = (tol: number | null): number =>
  tol === null ? Number.POSITIVE_INFINITY : POOR_FIT_FACTOR * tol;

/** One Gauss–Newton iteration's held-out error, and the fit's wall seconds when it was reported. */
export interface FitTracePoint {
  readonly seconds: number;
  readonly error: number;
}

/** An option that would help a poor fit, its value now, and why. */
export interface FitAdvice {
  /** The option's path (`fit.maxSeconds`, `network.width`, …). */
  readonly option: string;
  /** Its value in this run. */
  readonly now: number | string | boolean | null;
  /** Why it would help, with the figures that say so. */
  readonly reason: string;
}

/** Advice in words: each option, its value now and why, joined by semicolons ('' for none). */
export function adviceText(advice: readonly FitAdvice[]): string {
  return advice.map((a) => `${a.option} (now ${String(a.now)}): ${a.reason}`).join('; ');
}

/**
 * `evolve` refused to start: the initial fit's held-out error is above `bound` (`POOR_FIT_FACTOR`
 * × `tol`). `advice` lists the options that would help, most likely first; `fit.allowPoorFit`
 * evolves from such a fit anyway.
 */
export class PoorFitError extends Error {
  /** The report of the fit that was refused. */
  readonly fit: FitReport;
  /** Its relative L2 error on held-out points. */
  readonly relativeError: number;
  /** `fit.tol`, the error asked for. */
  readonly tol: number;
  /** The largest error evolve starts from. */
  readonly bound: number;
  /** What would help, most likely first. */
  readonly advice: readonly FitAdvice[];

  constructor(fit: FitReport, tol: number, advice: readonly FitAdvice[]) {
    const bound = poorFitBound(tol);
    const helps = adviceText(advice);
    super(
      `the initial fit reached a relative error of ${fit.relativeError.toExponential(2)} on held-out points, ` +
        `above ${bound.toExponential(1)} = ${POOR_FIT_FACTOR} × fit.tol (${tol.toExponential(1)}), the most a run ` +
        'starts from: the solution cannot be more accurate than its initial condition, so evolve stopped before ' +
        `its first step. The fit ${stopWords(fit)}. ${helps === '' ? '' : `What would help: ${helps}. `}` +
        'fit.allowPoorFit: true evolves from this fit anyway.',
    );
    this.name = 'PoorFitError';
    this.fit = fit;
    this.relativeError = fit.relativeError;
    this.tol = tol;
    this.bound = bound;
    this.advice = Object.freeze([...advice]);
  }
}

function stopWords(fit: FitReport): string {
  return `stopped after ${fit.iterations} ${fit.method === 'adam' ? 'Adam steps' : 'iterations'} and ${fit.seconds.toFixed(0)} s (${fit.stopped}: ${fit.message})`;
}

/**
 * The fit's rate of progress over the last half of its wall time, as the factor its error falls
 * by per second (< 1 while it improves); null without two iterations in that half.
 */
export function recentRate(trace: readonly FitTracePoint[]): number | null {
  const window = lastHalf(trace);
  if (window === null) return null;
  const { start, end } = window;
  return (end.error / start.error) ** (1 / (end.seconds - start.seconds));
}

/** The last half of a fit's trace: its first and last points and the iterations between. */
function lastHalf(
  trace: readonly FitTracePoint[],
): { start: FitTracePoint; end: FitTracePoint; iterations: number } | null {
  if (trace.length < 2) return null;
  const end = trace[trace.length - 1];
  const half = end.seconds / 2;
  let first = 0;
  trace.forEach((p, i) => {
    if (p.seconds <= half) first = i;
  });
  const start = trace[first];
  if (!(end.seconds > start.seconds) || !(start.error > 0) || !(end.error > 0)) return null;
  return { start, end, iterations: trace.length - 1 - first };
}

/**
 * A rate read from fewer iterations or seconds than these is not extrapolated into a time: a fit
 * falls fastest in its first iterations, so a short one's last half would promise its tolerance
 * far too soon.
 */
export const RATE_MIN_ITERATIONS = 5;
export const RATE_MIN_SECONDS = 2;

/** Whether the trace's last half is long enough to extrapolate its rate (RATE_MIN_*). */
function rateExtrapolates(trace: readonly FitTracePoint[]): boolean {
  const window = lastHalf(trace);
  return (
    window !== null &&
    window.iterations >= RATE_MIN_ITERATIONS &&
    window.end.seconds - window.start.seconds >= RATE_MIN_SECONDS
  );
}

/** A wait in seconds, in words: "about 25 s more", or "under a second more". */
const secondsMore = (s: number): string => (s < 1 ? 'under a second more' : `about ${s.toFixed(0)} s more`);

/**
 * A fit whose tolerance is more than this many of its budgets (its own seconds without one) away
 * at the rate of its last half, or that stopped improving, is held by more than time: the advice
 * names the embedding's decay.
 */
export const SLOW_FIT_BUDGETS = 2;

/**
 * The options that would help a fit that ended at `fit.relativeError`, most likely first. A fit
 * cut off by its budget while its error still fell needs more time (how much, at the rate of its
 * last half); one that stalled, or whose error stopped falling, needs points where u0 is, octaves
 * that resolve u0's finest scale, less damping of the octaves it has, or a wider network; one
 * still falling but more than `SLOW_FIT_BUDGETS` budgets from its tolerance, time and less damping.
 */
export function fitAdvice(
  fit: FitReport,
  options: ResolvedOptions,
  shape: () => InitialShape,
  trace: readonly FitTracePoint[],
): FitAdvice[] {
  if (!Number.isFinite(fit.relativeError)) {
    // u0 is finite wherever points are drawn (checked with the options), so the network overflowed.
    const { network } = options;
    return [
      fit.method === 'adam'
        ? {
            option: 'fit.lr',
            now: options.fit.lr,
            reason: "the fit's error is not finite: an Adam step this large can carry θ to where the network overflows",
          }
        : {
            option: 'network',
            now: `embeddingScale ${network.embeddingScale}, decay ${network.decay}, frequencies ${network.frequencies}`,
            reason:
              "the fit's error is not finite: u0 is finite where points are drawn, so the network's values overflowed at these settings",
          },
    ];
  }
  const advice: FitAdvice[] = [];
  // Read where u0 is a closed form: an `initialValues` function is called once per fit.
  const { problem } = options;
  const face =
    someAxis(problem.boundary, 'dirichlet') && problem.plan.initial !== null ? dirichletFaceValue(problem) : null;
  if (face !== null && face.share >= DIRICHLET_NOTED_SHARE) {
    advice.push({
      option: 'problem.boundary',
      now: describeBoundary(problem.boundary),
      reason:
        `${describeFaceValue(face, false)}, where boundary 'dirichlet' makes the ` +
        "network zero: near that face no fit reaches u0, whatever its time or width (boundary 'none' along that axis " +
        'does not hold the network at zero there)',
    });
  }
  const tol = options.fit.tol;
  const bound = poorFitBound(tol);
  const rate = recentRate(trace);
  const improving = rate !== null && rate < 1;
  // Seconds more, at the last half's rate, until the error is at `target`.
  const more = (target: number): number =>
    improving ? Math.log(target / fit.relativeError) / Math.log(rate) : Infinity;
  if (fit.stopped === 'budget' || fit.stopped === 'steps') {
    // Of the two iteration caps, the lower one bound: `steps` when it is set at or below `maxIterations`.
    const { steps, maxIterations } = options.fit;
    const stepsBound = steps !== null && steps <= maxIterations;
    const option = fit.stopped === 'budget' ? 'fit.maxSeconds' : stepsBound ? 'fit.steps' : 'fit.maxIterations';
    const now = fit.stopped === 'budget' ? options.fit.maxSeconds : stepsBound ? steps : maxIterations;
    if (improving && !rateExtrapolates(trace)) {
      advice.push({
        option,
        now,
        reason: `the error still fell when the fit ran out, after ${fit.seconds.toFixed(1)} s: too short a fit to tell how much longer it needs`,
      });
    } else if (improving) {
      advice.push({
        option,
        now,
        reason:
          `the error still fell when the fit ran out (×${(rate ** 10).toPrecision(2)} per 10 s over its last half); ` +
          `at that rate, which a fit seldom keeps, it reaches ${
            fit.relativeError > bound ? `${bound.toExponential(1)} after ${secondsMore(more(bound))} and ` : ''
          }the tolerance after ${secondsMore(more(tol as number))}`,
      });
    } else if (rate === null) {
      advice.push({ option, now, reason: `the fit ran out of ${fit.stopped === 'budget' ? 'time' : 'iterations'}` });
    }
  }
  const { network } = options;
  const budget = options.fit.maxSeconds ?? fit.seconds;
  const slow = rate !== null && tol !== null && more(tol) > SLOW_FIT_BUDGETS * budget;
  const decayAdvice: FitAdvice | undefined =
    network.embedding && network.decay > 0 && (fit.stopped === 'stalled' || slow)
      ? {
          option: 'network.decay',
          now: network.decay,
          reason:
            `octave k of the embedding enters at 2^(−${short(network.decay)}k), so a u0 with content at its upper octaves ` +
            `fits slowly; ${short(Math.max(0, network.decay - 1))} weighs them more (a lower decay can cost an equation with ` +
            'second derivatives more steps: docs/fitting-and-sampling.md, "A fit held by the damped octaves")',
        }
      : undefined;
  // Without a trace (Adam), a budget-bound fit says nothing about capacity.
  const capacity = fit.stopped === 'stalled' || fit.stopped === 'tol' || (rate !== null && !improving);
  if (!capacity && decayAdvice !== undefined) advice.push(decayAdvice);
  if (capacity) {
    const s = shape();
    if (options.samples.importance === false && isConcentrated(s)) {
      advice.push({
        option: 'samples.importance',
        now: false,
        reason: `u0 occupies about ${(100 * s.occupiedFraction).toPrecision(2)} % of the sampled box, where uniform points put as few of theirs`,
      });
    }
    const L = options.network.frequencies;
    if (options.network.embedding && Number.isFinite(s.finestOctave) && s.finestOctave > L) {
      advice.push({
        option: 'network.frequencies',
        now: L,
        reason: `u0's finest scale is at octave ${s.finestOctave.toFixed(1)} of the embedding, above its highest, ${L}: ${Math.ceil(s.finestOctave)} would resolve it`,
      });
    }
    if (decayAdvice !== undefined) advice.push(decayAdvice);
    advice.push({
      option: 'network.width',
      now: options.network.width,
      reason:
        fit.stopped === 'stalled'
          ? 'the held-out error stopped improving: a wider network represents finer features'
          : 'the error stopped falling in the fit’s last half: a wider network represents finer features',
    });
    if (fit.stopped === 'stalled' && options.fit.method === 'gauss-newton' && fit.samples >= options.fit.maxSamples) {
      advice.push({
        option: 'fit.maxSamples',
        now: options.fit.maxSamples,
        reason: `the fit stalled at ${fit.samples} points per iteration, its cap`,
      });
    }
  }
  return advice;
}

/**
 * Throws a `PoorFitError`, with the report's own advice, when `fit` is above `poorFitBound(fit.tol)`
 * (or not finite) and `fit.allowPoorFit` is off; a run without a tolerance is never refused.
 */
export function checkFit(fit: FitReport, options: ResolvedOptions): void {
  const tol = options.fit.tol;
  if (tol === null || options.fit.allowPoorFit || fit.relativeError <= poorFitBound(tol)) return;
  throw new PoorFitError(fit, tol, fit.advice);
}
