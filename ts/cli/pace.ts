/**
 * The pace of a time evolution, read from its progress: how long the rest of the way to T takes at
 * the step size and the wall seconds per step of its latest steps. `neural-ivp run` stops a run of
 * the default preset whose projection is past `DEFAULT_PROJECTED_LIMIT_SECONDS` (docs/api.md §4),
 * so that a problem the defaults cannot solve on this machine says so in minutes instead of
 * running for hours.
 */
import type { EvolveProgress } from '../solver/neural-ivp';

/** Accepted steps the projection reads: fewer say nothing about a step size that still settles. */
export const PACE_STEPS = 3;

/**
 * A step size that grew by more than this over the window is still growth-limited (the controller
 * raises h at most a few times per step from its first guess): no projection yet.
 */
export const SETTLED_GROWTH = 1.5;

/**
 * The longest projected evolution a default-preset CLI run goes on with when no `--max-seconds`
 * is given. The default preset is sized for minutes on a CPU (a 2D catalogue problem in about
 * two; the longest default runs documented take half an hour), and the projection can over-estimate
 * a step size that still grows slowly by a few times, so the limit sits an order of magnitude
 * above those runs. It decides only whether a run stops, not when: that is after `PACE_STEPS`
 * settled steps either way.
 */
export const DEFAULT_PROJECTED_LIMIT_SECONDS = 4 * 3600;

/** A projection: seconds and steps still to go, at this step size and seconds per step. */
export interface Projection {
  readonly seconds: number;
  readonly steps: number;
  readonly h: number;
  readonly secondsPerStep: number;
  /** Where the evolution is: its time and the wall seconds it has run. */
  readonly t: number;
  readonly elapsed: number;
}

export class EvolvePace {
  private readonly steps: { t: number; h: number; seconds: number }[] = [];

  constructor(private readonly T: number) {}

  /** Records an accepted step. */
  observe(p: EvolveProgress): void {
    this.steps.push({ t: p.t, h: p.h, seconds: p.seconds });
  }

  /**
   * The rest of the way at the pace of the last `PACE_STEPS` steps: their largest h (a step cut
   * to land on a saved time is shorter) and their mean wall seconds, rejected attempts and
   * restarts included. Null before `PACE_STEPS` steps or while h still grows.
   */
  projection(): Projection | null {
    const n = this.steps.length;
    if (n < PACE_STEPS) return null;
    const window = this.steps.slice(n - PACE_STEPS);
    const h = Math.max(...window.map((s) => s.h));
    if (window[PACE_STEPS - 1].h > SETTLED_GROWTH * window[0].h) return null;
    const before = n > PACE_STEPS ? this.steps[n - PACE_STEPS - 1].seconds : 0;
    const last = window[PACE_STEPS - 1];
    const secondsPerStep = (last.seconds - before) / PACE_STEPS;
    const steps = Math.max(0, this.T - last.t) / h;
    return { seconds: steps * secondsPerStep, steps, h, secondsPerStep, t: last.t, elapsed: last.seconds };
  }
}

/** "50 h", "12 min", "40 s". */
export function duration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toPrecision(2)} h`;
  if (seconds >= 90) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds)} s`;
}

/**
 * Why a run whose projection is past `limit` seconds stopped, and what would help. Steps that
 * collapsed (the solver's 'NIVP_STEP_COLLAPSE') are not helped by a faster machine.
 */
export function paceMessage(p: Projection, T: number, limit: number, { collapsed = false } = {}): string {
  const help = collapsed
    ? 'the steps collapsed (the warning above): an earlier T, or --max-seconds S to evolve for S ' +
      'seconds and keep what it reaches.'
    : "the problem's GPU configuration (--preset paper --device cuda), a shorter --T, or --max-seconds S to evolve " +
      'for S seconds and keep what it reaches.';
  return (
    `at the pace of its last ${PACE_STEPS} steps (h ≈ ${p.h.toExponential(1)}, ${p.secondsPerStep < 10 ? p.secondsPerStep.toPrecision(2) : p.secondsPerStep.toFixed(0)} s per step ` +
    `on this machine) reaching T = ${T} takes about ${Math.round(p.steps)} more steps and ${duration(p.seconds)}, past the ` +
    `${duration(limit)} a run of the default preset is given without --max-seconds; stopped at t = ${p.t.toPrecision(3)} ` +
    `after ${duration(p.elapsed)} of evolution. What would help: ${help}`
  );
}
