/**
 * Restart policies (section 4.2, "projection to SGD-like regions"): now and then θ is replaced by a
 * fresh fit to the network's own current prediction, which brings M(θ) back to a better
 * conditioned region. The policies are pure decision objects so they can be tested without native
 * code; `RestartScheduler` keeps the state they decide on (an injectable clock, fit durations, the
 * last solve's CG iterations, the restart count and its cap).
 *
 * - Time fraction f (the reference implementation's `LogTimer(timeFrac=f)`, with the initial fit
 *   timed as the first "log"): restart before a step once the wall time since the last fit ENDED
 *   exceeds (mean duration of the fits so far, the initial fit included) / f. With f = 0.5 the
 *   solver integrates for twice the mean fit time between fits, so fits take about a third of the
 *   run. The clock starts at the beginning of `evolve` (a fit done long before does not count as
 *   idle integration time).
 * - Conditioning c: restart before a step once the latest dynamics solve needed more than c CG
 *   iterations (never fires with the dense solver, which reports 0).
 * Either policy firing restarts. At most `maxRestarts` restarts happen in one `evolve` (the paper
 * used 10 over a run; the default).
 *
 * A restart is meant to change θ, not u: the refit's held-out error is the jump it makes in u. A
 * refit that misses `maxRefitError` (10× the fit's tolerance by default) is discarded, since it
 * would move the solution by more than the accuracy the run was asked to hold, and restarts stop
 * for the rest of the `evolve`: a network that cannot be refitted to its own prediction within the
 * fit's budget will not be at the next restart either, and each attempt costs a whole fit. For the
 * same reason restarts are off from the start when the initial fit itself missed the bound: a
 * refit is a fit of the same budget to a function as fine as u0, and it lands near the initial
 * fit's error, so it would be discarded after costing a whole fit. Every restart, kept or not, is
 * logged with its reason.
 */
import type { ResolvedRestarts } from './options';

/** Default cap on restarts per `evolve` (the paper's appendix C: 10). */
export const DEFAULT_MAX_RESTARTS = 10;

/** Which policy asked for a restart: the wall-clock share of fits or the CG iterations of a solve. */
export type RestartReason = 'timeFraction' | 'conditioning';

/** One restart of an `evolve`: why it happened, how well the refit matched u, whether θ was replaced. */
export interface RestartEvent {
  /** The time of the step attempt it came before. */
  readonly t: number;
  /** The policy that asked for it. */
  readonly reason: RestartReason;
  /** The refit's held-out relative error against the network's prediction (NaN when it failed). */
  readonly refitError: number;
  /** True when the refit replaced θ; false when it failed or missed `maxRefitError`. */
  readonly kept: boolean;
}

/** The refit error a restart may introduce: 10× the fit tolerance; none without a tolerance. */
export const refitErrorBound = (fitTol: number | null): number =>
  fitTol === null ? Number.POSITIVE_INFINITY : 10 * fitTol;

/** What a policy decides on. Clock readings are in seconds. */
export interface RestartState {
  /** The clock now. */
  readonly now: number;
  /** The clock when the last fit ended (or when `evolve` began, if later). */
  readonly lastFitEnd: number;
  /** Mean wall seconds of the fits so far (the initial fit included). */
  readonly averageFitSeconds: number;
  /** CG iterations of the latest dynamics solve since the last restart; null when none yet. */
  readonly lastCgIterations: number | null;
  /** Restarts so far in this `evolve`. */
  readonly restarts: number;
}

export interface RestartPolicy {
  readonly reason: RestartReason;
  shouldRestart(state: RestartState): boolean;
}

/** LogTimer's rule: restart once (now − lastFitEnd) > averageFitSeconds / fraction. */
export function timeFractionPolicy(fraction: number): RestartPolicy {
  if (!(fraction > 0 && Number.isFinite(fraction))) {
    throw new RangeError(`timeFraction must be a positive number, got ${fraction}`);
  }
  return Object.freeze({
    reason: 'timeFraction' as const,
    shouldRestart(state: RestartState): boolean {
      return state.now - state.lastFitEnd > state.averageFitSeconds / fraction;
    },
  });
}

/** Restart once the latest solve needed more than `cgIterations` CG iterations. */
export function conditioningPolicy(cgIterations: number): RestartPolicy {
  if (!(cgIterations >= 0 && Number.isFinite(cgIterations))) {
    throw new RangeError(`cgIterations must be a non-negative number, got ${cgIterations}`);
  }
  return Object.freeze({
    reason: 'conditioning' as const,
    shouldRestart(state: RestartState): boolean {
      return state.lastCgIterations !== null && state.lastCgIterations > cgIterations;
    },
  });
}

/** The policies of resolved `restarts` options (none for `false`). */
export function restartPolicies(options: ResolvedRestarts | false): RestartPolicy[] {
  if (options === false) return [];
  const policies: RestartPolicy[] = [];
  if (options.timeFraction !== null) policies.push(timeFractionPolicy(options.timeFraction));
  if (options.cgIterations !== null) policies.push(conditioningPolicy(options.cgIterations));
  return policies;
}

/** Seconds from `performance.now()`. */
export const wallClock = (): number => performance.now() / 1000;

export interface RestartSchedulerOptions {
  /** Durations (seconds) of the fits before this `evolve`: the initial fit. */
  fitSeconds?: readonly number[];
  /** Cap on restarts (default 10). */
  maxRestarts?: number;
  /** Seconds, monotone (default `performance.now()` / 1000). */
  clock?: () => number;
  /** The largest refit error a kept restart may have (default: no bound). */
  maxRefitError?: number;
  /** The initial fit's held-out error; above `maxRefitError` no restart is tried (default 0). */
  initialFitError?: number;
}

/**
 * One `evolve`'s restart bookkeeping. The integration clock starts at construction. Use:
 * `observeSolve` after every dynamics solve, `check()` before every step attempt, and after a
 * refit `recordFit(seconds)` then `keepRefit(…)` (which counts the restart).
 */
export class RestartScheduler {
  readonly policies: readonly RestartPolicy[];
  readonly maxRestarts: number;
  readonly clock: () => number;
  readonly maxRefitError: number;
  private fitTotal = 0;
  private log: RestartEvent[] = [];
  private stopped = false;
  private fitCount = 0;
  private lastFitEnd: number;
  private lastCg: number | null = null;
  private count = 0;

  constructor(policies: readonly RestartPolicy[], options: RestartSchedulerOptions = {}) {
    this.policies = Object.freeze([...policies]);
    this.maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    if (!(Number.isInteger(this.maxRestarts) && this.maxRestarts >= 0)) {
      throw new RangeError(`maxRestarts must be a non-negative integer, got ${this.maxRestarts}`);
    }
    this.clock = options.clock ?? wallClock;
    this.maxRefitError = options.maxRefitError ?? Number.POSITIVE_INFINITY;
    if (!(this.maxRefitError > 0)) throw new RangeError(`maxRefitError must be > 0, got ${this.maxRefitError}`);
    for (const s of options.fitSeconds ?? []) this.addFit(s);
    this.lastFitEnd = this.clock();
    // NaN (a failed fit) compares false: such a run never gets here (evolve refuses it).
    this.stopped = (options.initialFitError ?? 0) > this.maxRefitError;
  }

  /** Restarts done. */
  get restarts(): number {
    return this.count;
  }

  /** The state the policies see now. */
  state(): RestartState {
    return {
      now: this.clock(),
      lastFitEnd: this.lastFitEnd,
      averageFitSeconds: this.fitCount === 0 ? 0 : this.fitTotal / this.fitCount,
      lastCgIterations: this.lastCg,
      restarts: this.count,
    };
  }

  /** Records a dynamics solve's CG iterations. */
  observeSolve(cgIterations: number): void {
    this.lastCg = cgIterations;
  }

  /** Every restart so far, in order. */
  get events(): readonly RestartEvent[] {
    return this.log;
  }

  /**
   * The first policy that fires, or null (always null once `maxRestarts` restarts are done, after
   * a refit that missed `maxRefitError`, or when the initial fit missed it).
   */
  check(): RestartReason | null {
    if (this.stopped || this.count >= this.maxRestarts || this.policies.length === 0) return null;
    const state = this.state();
    for (const policy of this.policies) if (policy.shouldRestart(state)) return policy.reason;
    return null;
  }

  /** A fit of `seconds` just ended (a restart's refit, or one that failed and was discarded). */
  recordFit(seconds: number): void {
    this.addFit(seconds);
    this.lastFitEnd = this.clock();
  }

  /**
   * After a restart's refit (and `recordFit`): whether its θ should replace the current one. Counts
   * the restart toward the cap, logs it, and stops restarts when the refit failed or missed
   * `maxRefitError`.
   */
  keepRefit(t: number, reason: RestartReason, refitError: number, finite: boolean): boolean {
    const kept = finite && refitError <= this.maxRefitError;
    this.log.push(Object.freeze({ t, reason, refitError: finite ? refitError : Number.NaN, kept }));
    this.markRestart();
    if (!kept) this.stopped = true;
    return kept;
  }

  /** θ was replaced: count it and forget the old conditioning. */
  markRestart(): void {
    this.count++;
    this.lastCg = null;
  }

  private addFit(seconds: number): void {
    if (!(seconds >= 0 && Number.isFinite(seconds))) throw new RangeError(`fit seconds must be ≥ 0, got ${seconds}`);
    this.fitTotal += seconds;
    this.fitCount++;
  }
}
