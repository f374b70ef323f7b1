import { innermostCause } from '../errors';
import { adaptiveController, type StepSizeController } from './controller';
import { AbortError, IntegrationError, isAbortError, StepFailure, throwIfAborted } from './errors';
import type { IntegrationProgress, IntegrationStats, StepRecord, StiffnessFinding } from './progress';
import { checkedStage, type RkStepResult, rkStep } from './rk';
import { type SpectralRadius, spectralRadius } from './spectral-radius';
import { StiffnessWatch } from './stiffness';
import { type ButcherTableau, isStabilized, type StabilizedMethod } from './tableaus';
import { checkMaxSeconds, checkSaveAt } from './times';
import { type Awaitable, type OdeSystem, releaseAll, type VectorOps } from './vector';

export type { IntegrationProgress, IntegrationStats, StepRecord } from './progress';

/** The finished integration: the progress at T. `t === T`, `y` is the state at T. */
export type IntegrateResult<V> = IntegrationProgress<V>;

export interface IntegrateOptions<V> {
  /**
   * The method: one tableau, or a stabilized family whose member follows h·ρ, ρ the spectral radius
   * of f's Jacobian estimated by power iteration (`spectral-radius.ts`) at the first step, every
   * `RHO_REFRESH` accepted steps and after a rejected attempt.
   */
  tableau: ButcherTableau | StabilizedMethod;
  /**
   * For a tableau that estimates its stiffness (`stiffnessStages`): the method to go on with once
   * its steps are held at its stability limit (`StiffnessWatch`) while more than
   * `SWITCH_STEPS_LEFT` of them are left to T, and power iteration at the new state finds the
   * dominant rate to be mostly decay (`decay` ≥ `MIN_DECAY`): a stabilized method such as RKC.
   * Either way the step that showed it carries `StepRecord.stiff`. The default controller is
   * replaced by the new method's; a given one is kept.
   */
  stiffSwitch?: StabilizedMethod;
  system: OdeSystem<V>;
  ops: VectorOps<V>;
  /** The initial state; borrowed (never released; returned as `states[0]` when t0 is saved). */
  y0: V;
  /** Initial time (default 0). */
  t0?: number;
  /** Final time, ≥ t0. */
  T: number;
  /** Relative tolerance, > 0. */
  rtol: number;
  /** Absolute tolerance added to the error scale (default 0). */
  atol?: number;
  /**
   * The error scale: errNorm = ‖err‖₂ / errorScale. Default rtol·‖y0‖₂ + atol, computed once from
   * the initial state (Finzi's neural-ivp: accept iff ‖err‖₂ ≤ rtol·‖θ₀‖₂). Give it to keep the
   * same scale across resumed or chained integrations.
   */
  errorScale?: number;
  /** Strictly increasing times in [t0, T] at which to save the state, hit exactly (default [t0, T]; never empty). */
  saveAt?: readonly number[];
  /** The first step size (default 20·(T − t0)·rtol, the paper's appendix D). */
  firstStep?: number;
  /** Most step attempts, accepted or not (default 100 000). */
  maxSteps?: number;
  /**
   * Wall-clock budget in seconds (default none). It holds within an attempt too: when it runs out
   * the attempt in progress is stopped (between stages, and through `system.cancel` in the
   * middle of one) and the integration stops with an `IntegrationError` ('maxSeconds') that keeps
   * what was accepted before it.
   */
  maxSeconds?: number;
  /**
   * Stops the integration early, keeping what it accepted: when it fires, the attempt in progress
   * is stopped as when `maxSeconds` runs out, and the integration throws an `IntegrationError`
   * ('stopped') whose message ends with the signal's reason (an Error's message). `signal`, by
   * contrast, aborts.
   */
  stop?: AbortSignal;
  /** Consecutive failed attempts before giving up (default 10). */
  maxRejections?: number;
  /**
   * True for a failed attempt that would fail again however small the step (e.g. memory that
   * cannot be had): the integration stops at once with an `IntegrationError` ('error') whose
   * message starts with the failure's innermost cause, instead of retrying (default: never).
   */
  willRepeat?: (failure: StepFailure<V>, t: number) => boolean;
  /** Step-size controller (default `adaptiveController(tableau.errorOrder)`); one per integration. */
  controller?: StepSizeController;
  /**
   * Reuse f(t, y) across attempts (default true): the last stage of an accepted step of an FSAL
   * tableau becomes the next first stage, and the first stage survives a rejected attempt. Turn
   * off when f is stochastic per attempt (e.g. fresh samples drawn in `beforeStep`).
   */
  fsal?: boolean;
  /** Called after every attempt, awaited. */
  onStep?: (record: StepRecord) => Awaitable<void>;
  /** Checked between steps and between stages: an `AbortError` carrying the progress. */
  signal?: AbortSignal;
  /**
   * Called before every attempt (also retries) with the current time and state. Returning a
   * vector replaces the state (e.g. a restart: a refit θ); this drops any reused stage, even when
   * the same handle is returned. The returned vector is then owned by the integrator; the replaced
   * state is released unless it is y0 or saved.
   */
  beforeStep?: (t: number, y: V) => Awaitable<V | undefined>;
  /**
   * Called after every accepted step, before `onStep`. Returning a vector replaces the step's y1
   * (e.g. a correction of the step in a norm the integrator does not see); it is then owned by the
   * integrator, the step's own y1 is released and no stage is reused for the next step.
   */
  afterStep?: (step: AcceptedStep<V>) => Awaitable<V | undefined>;
}

/** An accepted step as `afterStep` sees it: every vector is borrowed for the call only. */
export interface AcceptedStep<V> {
  readonly tableau: ButcherTableau;
  /** The step's start. */
  readonly t: number;
  readonly y: V;
  readonly h: number;
  /**
   * The stages k_1 … k_s: stage i's input was y + Σ `stageTerms(tableau, i, h, stages)`
   * (h·Σ_j a_ij·k_j), and y1 = y + h·Σ_i b_i·k_i.
   */
  readonly stages: readonly V[];
  readonly y1: V;
}

/** A clipped step may stretch by up to this fraction to land on a save time, avoiding a sliver. */
const STRETCH = 0.01;
/** Factor applied to h after a failed attempt. */
const FAILURE_SHRINK = 0.25;
/** A stabilized method re-estimates ρ after this many accepted steps (RKC's own code: 25). */
const RHO_REFRESH = 25;
/** A stiff run switches only with more held steps than this left to T (the estimate costs a few). */
export const SWITCH_STEPS_LEFT = 50;
/** A stiff run switches only when this share of its dominant rate is decay (an oscillation: 0). */
export const MIN_DECAY = 0.5;

/**
 * Integrates y' = f(t, y) from t0 to T with an embedded explicit RK pair and adaptive steps.
 *
 * Error norm: errNorm = ‖err‖₂ / S with S = rtol·‖y0‖₂ + atol (atol default 0) computed ONCE from
 * the initial state, i.e. the reference implementation's test ‖err‖₂ ≤ rtol·‖θ₀‖₂; a step is
 * accepted iff errNorm ≤ 1. `errorScale` overrides S. S must be positive (for y0 = 0 give atol).
 *
 * Steps are clipped to land exactly on every save time (t becomes the saveAt entry itself, so
 * `times[i] === saveAt[i]`); a clipped accepted step does not lower the proposal for the next one.
 * A failed attempt (a derivative that rejects, non-finite stages, y1 or err) is recorded as
 * rejected and h shrinks by 4; after `maxRejections` in a row it throws `IntegrationError`, at once
 * when `willRepeat` says the failure would repeat.
 */
export async function integrate<V>(options: IntegrateOptions<V>): Promise<IntegrateResult<V>> {
  const limits = checkOptions(options);
  throwIfAborted(options.signal);
  const errorScale = options.errorScale ?? limits.rtol * (await options.ops.norm(options.y0)) + limits.atol;
  if (!(errorScale > 0 && Number.isFinite(errorScale))) {
    throw new RangeError(
      `the error scale rtol·‖y0‖₂ + atol must be positive and finite, got ${errorScale} (give atol > 0 when y0 = 0)`,
    );
  }
  return new Integration(options, limits, errorScale).run();
}

/** The checked options with their defaults filled in. */
interface Limits {
  t0: number;
  T: number;
  rtol: number;
  atol: number;
  saveAt: number[];
  firstStep: number;
  maxSteps: number;
  maxRejections: number;
  maxSeconds: number | undefined;
  /** performance.now() at which `maxSeconds` runs out (∞ without it). */
  deadline: number;
  /** `fsal`: reuse f(t, y) across attempts. */
  reuse: boolean;
}

function checkOptions<V>(options: IntegrateOptions<V>): Limits {
  const { t0 = 0, T, rtol, atol = 0, maxSteps = 100_000, maxRejections = 10 } = options;
  if (!Number.isFinite(t0)) throw new RangeError(`t0 must be finite, got ${t0}`);
  if (!Number.isFinite(T) || T < t0) throw new RangeError(`T must be finite and ≥ t0 = ${t0}, got ${T}`);
  if (!(rtol > 0 && Number.isFinite(rtol))) throw new RangeError(`rtol must be a positive number, got ${rtol}`);
  if (!(atol >= 0 && Number.isFinite(atol))) throw new RangeError(`atol must be a non-negative number, got ${atol}`);
  if (!(maxSteps >= 0)) throw new RangeError(`maxSteps must be ≥ 0, got ${maxSteps}`);
  const maxSeconds = checkMaxSeconds(options.maxSeconds, 'integrate');
  const deadline = maxSeconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + 1000 * maxSeconds;
  if (!(Number.isInteger(maxRejections) && maxRejections >= 1)) {
    throw new RangeError(`maxRejections must be a positive integer, got ${maxRejections}`);
  }
  const saveAt = checkSaveAt(options.saveAt ?? (T > t0 ? [t0, T] : [t0]), t0, T, 'integrate');
  const firstStep = options.firstStep ?? 20 * (T - t0) * rtol;
  if (T > t0 && !(firstStep > 0 && Number.isFinite(firstStep))) {
    throw new RangeError(`firstStep must be a positive number, got ${firstStep}`);
  }
  const reuse = options.fsal ?? true;
  return { t0, T, rtol, atol, saveAt, firstStep, maxSteps, maxRejections, maxSeconds, deadline, reuse };
}

/**
 * One integration's state and its steps, after scipy's `OdeSolver.step` / `RungeKutta._step_impl`:
 * `step` prepares an attempt, `attempt`s it, and then `accept`s, `reject`s or records a `failure`.
 *
 * Ownership: y0 is borrowed; the driver owns y (unless it is y0 or saved), k1 and every vector a
 * step returns, and hands those it no longer needs to the backend once per attempt (`flush`).
 */
class Integration<V> {
  private t: number;
  private y: V;
  /** The next step size the controller proposes. */
  private h: number;
  /** f(t, y) kept for the next attempt: owned, finite. */
  private k1: V | undefined;
  /** Failed attempts in a row. */
  private failures = 0;
  private attempts = 0;
  private readonly stats: IntegrationStats = { steps: 0, rejectedSteps: 0, failedSteps: 0, derivativeEvaluations: 0 };
  private readonly steps: StepRecord[] = [];
  private readonly times: number[] = [];
  private readonly states: V[] = [];
  private readonly saved = new Set<V>();
  private readonly unused: V[] = [];
  private readonly system: OdeSystem<V>;
  private controller: StepSizeController;
  /** The method the attempts take: the given one, or `stiffSwitch` after a switch. */
  private method: ButcherTableau | StabilizedMethod;
  /** Watches the given tableau's h·ρ (null: it gives none). */
  private readonly watch: StiffnessWatch | null;
  /** The tableau of the attempt in progress (a stabilized method's member). */
  private current: ButcherTableau | undefined;
  /** A stabilized method's ρ estimate, its age in accepted steps, and its last direction (owned). */
  private rho: { value: number; age: number; direction: V } | undefined;
  /** Aborted when `maxSeconds` runs out or `stop` fires: stops the attempt in progress. */
  private readonly budget = new AbortController();
  /** What the attempts check between stages: the caller's signal and the budget's. */
  private readonly attemptSignal: AbortSignal;

  constructor(
    private readonly o: IntegrateOptions<V>,
    private readonly limits: Limits,
    private readonly errorScale: number,
  ) {
    this.t = limits.t0;
    this.y = o.y0;
    this.h = limits.firstStep;
    this.method = o.tableau;
    const { stabilityLimit, stiffnessStages } = isStabilized(o.tableau) ? {} : o.tableau;
    this.watch =
      stabilityLimit !== undefined && stiffnessStages !== undefined ? new StiffnessWatch(stabilityLimit) : null;
    this.controller = o.controller ?? adaptiveController(o.tableau.errorOrder);
    this.system = this.counted(o.system);
    this.attemptSignal = o.signal === undefined ? this.budget.signal : AbortSignal.any([o.signal, this.budget.signal]);
  }

  /** Steps to every save time in turn, then to T; the progress at T. */
  async run(): Promise<IntegrateResult<V>> {
    const { saveAt, t0, T } = this.limits;
    let next = 0; // the next save time
    if (saveAt[0] === t0) this.save(saveAt[next++]);
    const stops = saveAt.slice(next);
    if (stops.length === 0 || stops[stops.length - 1] !== T) stops.push(T);
    const timer = this.startBudget();
    const halt = (): void => {
      this.budget.abort();
      this.o.system.cancel?.();
    };
    this.o.stop?.addEventListener('abort', halt, { once: true });
    try {
      for (const stop of stops) {
        while (this.t < stop) await this.step(stop);
        if (next < saveAt.length && saveAt[next] === stop) this.save(saveAt[next++]);
      }
    } catch (e) {
      throw this.stopped(e);
    } finally {
      clearTimeout(timer);
      this.o.stop?.removeEventListener('abort', halt);
    }
    this.release(this.k1);
    this.release(this.rho?.direction);
    this.flush();
    return this.progress();
  }

  /**
   * With `maxSeconds`: a timer that, when the budget runs out, aborts the attempt in progress and
   * cancels the system's evaluation in flight (checking the clock only between attempts lets one
   * long attempt overrun the budget many times over).
   */
  private startBudget(): ReturnType<typeof setTimeout> | undefined {
    const { deadline } = this.limits;
    if (deadline === Number.POSITIVE_INFINITY) return undefined;
    return setTimeout(
      () => {
        this.budget.abort();
        this.o.system.cancel?.();
      },
      Math.max(0, deadline - performance.now()),
    );
  }

  /** Why the budget signal fired: the caller's `stop`, or `maxSeconds` running out. */
  private budgetError(): IntegrationError<V> {
    const { stop } = this.o;
    if (stop?.aborted) {
      // A reason given as an Error says why; AbortController's default reason says nothing more.
      const given = stop.reason instanceof Error && stop.reason.name !== 'AbortError';
      const why = given ? `: ${stop.reason.message}` : '';
      return new IntegrationError('stopped', `stopped by the caller${why}`, this.progress());
    }
    const { maxSeconds } = this.limits;
    return new IntegrationError('maxSeconds', `the budget of maxSeconds = ${maxSeconds} s ran out`, this.progress());
  }

  /** One attempt towards `stop`, landing on it when it is within reach. */
  private async step(stop: number): Promise<void> {
    throwIfAborted(this.o.signal);
    if (this.budget.signal.aborted || this.o.stop?.aborted) throw this.budgetError();
    await this.beforeAttempt();
    const remaining = stop - this.t;
    const lands = this.h * (1 + STRETCH) >= remaining;
    const h = lands ? remaining : this.h;
    this.checkLimits(h);
    this.attempts++;
    let result: RkStepResult<V>;
    try {
      result = await this.attempt(h);
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
      return this.failure(e as StepFailure<V>, h);
    }
    this.release(result.err);
    const decision = this.controller.decide(h, result.errNorm);
    let record: StepRecord = {
      t: this.t,
      h,
      errNorm: result.errNorm,
      accepted: decision.accept,
      ...this.stiffness(result, h),
    };
    if (decision.accept) {
      const refined = await this.afterAccepted(result, h);
      this.accept(refined ?? result, h, lands ? stop : this.t + h, decision.hNext, refined !== undefined);
      if (this.watch?.observe(record.stiffness) === true) {
        record = { ...record, stiff: await this.stiffFinding(h, (record.stiffness as number) / h) };
      }
    } else {
      this.reject(result, decision.hNext);
    }
    this.steps.push(record);
    await this.report(record);
  }

  /** The step's h·ρ: the tableau's estimate, or the ρ a stabilized member was chosen by. */
  private stiffness(result: RkStepResult<V>, h: number): { stiffness?: number } {
    if (result.stiffness !== undefined) return { stiffness: result.stiffness };
    return isStabilized(this.method) && this.rho !== undefined ? { stiffness: h * this.rho.value } : {};
  }

  /**
   * After the step that showed the steps held at the stability limit (of size h, at rate `held`):
   * with `stiffSwitch` and enough steps left, ρ by power iteration at the new state (on the
   * accepted step's f, its samples in the solver) and, when it is mostly decay, the switch.
   */
  private async stiffFinding(h: number, held: number): Promise<StiffnessFinding> {
    const stepsLeft = Math.ceil((this.limits.T - this.t) / h);
    const target = this.o.stiffSwitch;
    const kept: StiffnessFinding = { rho: held, decay: Number.NaN, stepsLeft };
    if (target === undefined || stepsLeft <= SWITCH_STEPS_LEFT) return kept;
    const fy = this.k1 ?? (await this.firstStage().catch(notFailure));
    if (fy === undefined) return kept;
    let estimate: SpectralRadius<V> | undefined;
    try {
      estimate = await spectralRadius(this.system, this.o.ops, this.t, this.y, fy, undefined, this.release);
    } catch (e) {
      notFailure(e);
    } finally {
      if (fy !== this.k1) this.release(fy);
    }
    if (estimate === undefined) return kept;
    const found = { rho: estimate.rho, decay: estimate.decay, stepsLeft };
    if (estimate.decay < MIN_DECAY) {
      this.release(estimate.direction);
      return found;
    }
    this.method = target;
    this.rho = { value: estimate.rho, age: 0, direction: estimate.direction };
    if (this.o.controller === undefined) this.controller = adaptiveController(target.errorOrder);
    return { ...found, switchedTo: target.name };
  }

  /** f(t, y), checked finite; a rejection or a non-finite value is the attempt's `StepFailure`. */
  private firstStage(): Promise<V> {
    return checkedStage(this.system, this.o.ops, 0, this.t, this.y, [], { release: this.release });
  }

  /** `beforeStep`'s replacement state, if any, drops the kept first stage. */
  private async beforeAttempt(): Promise<void> {
    if (this.o.beforeStep === undefined) return;
    const replacement = await this.o.beforeStep(this.t, this.y);
    if (replacement === undefined) return;
    this.keepFirstStage(undefined);
    if (this.rho !== undefined) this.rho.age = -1; // a new θ: ρ is due again
    if (replacement !== this.y) this.dropState(this.y);
    this.y = replacement;
  }

  /** Every stop of the run that does not depend on the step's outcome: h, attempts, wall clock. */
  private checkLimits(h: number): void {
    const { maxSteps, deadline } = this.limits;
    if (!(h > 0) || this.t + h === this.t) {
      throw new IntegrationError('stepSize', `step size ${h} underflowed at t = ${this.t}`, this.progress());
    }
    if (this.attempts >= maxSteps) {
      throw new IntegrationError('maxSteps', `more than maxSteps = ${maxSteps} step attempts`, this.progress());
    }
    if (performance.now() > deadline) throw this.budgetError();
  }

  private async attempt(h: number): Promise<RkStepResult<V>> {
    const method = this.method;
    const tableau = isStabilized(method) ? await this.member(method, h) : method;
    this.current = tableau;
    const { k1, errorScale, release } = this;
    const signal = this.attemptSignal;
    return rkStep(tableau, this.system, this.o.ops, this.t, this.y, h, { k1, errorScale, signal, release });
  }

  /**
   * A stabilized method's member for this step: f(t, y) first (kept as the attempt's k1, so that
   * the estimate and the stages see the same f), then ρ when it is due.
   */
  private async member(method: StabilizedMethod, h: number): Promise<ButcherTableau> {
    const { ops } = this.o;
    this.k1 ??= await this.firstStage();
    if (this.rho === undefined || this.rho.age >= RHO_REFRESH || this.rho.age < 0) {
      throwIfAborted(this.attemptSignal);
      const start = this.rho?.direction;
      const estimate = await spectralRadius(this.system, ops, this.t, this.y, this.k1, start, this.release);
      this.release(start);
      this.rho = { value: estimate.rho, age: 0, direction: estimate.direction };
    }
    return method.member(h * this.rho.value);
  }

  /**
   * The step with `afterStep`'s replacement for y1 (the step's own y1 released), or undefined when
   * there is no hook or it returned none. A hook that throws stops the run after the step's
   * vectors are queued for release.
   */
  private async afterAccepted(result: RkStepResult<V>, h: number): Promise<RkStepResult<V> | undefined> {
    const hook = this.o.afterStep;
    if (hook === undefined) return undefined;
    const { y1, k1, kLast, stages } = result;
    let replacement: V | undefined;
    try {
      replacement = await hook({ tableau: this.current as ButcherTableau, t: this.t, y: this.y, h, stages, y1 });
    } catch (e) {
      this.release(y1);
      if (k1 !== kLast) this.release(kLast);
      if (k1 !== this.k1) this.release(k1);
      throw e;
    }
    if (replacement === undefined || replacement === y1) return undefined;
    this.release(y1);
    return { ...result, y1: replacement };
  }

  /**
   * y1 becomes the state at t + h; an FSAL tableau's last stage becomes the next first stage,
   * unless y1 was `replaced` (the last stage was evaluated at the step's own y1).
   */
  private accept(result: RkStepResult<V>, h: number, tNext: number, hNext: number, replaced: boolean): void {
    const { y1, k1, kLast } = result;
    this.failures = 0;
    this.stats.steps++;
    if (k1 !== kLast) this.release(k1);
    this.dropState(this.y);
    this.y = y1;
    this.t = tNext;
    if (this.rho !== undefined) this.rho.age++;
    if (this.limits.reuse && this.current?.fsal === true && !replaced) {
      this.k1 = kLast;
    } else {
      this.release(kLast);
      this.k1 = undefined;
    }
    // A step clipped to land on a stop does not lower the proposal for the next one.
    this.h = h < this.h ? Math.max(hNext, this.h) : hNext;
  }

  /** The step's error was too large: try again from the same (t, y) with the smaller h. */
  private reject(result: RkStepResult<V>, hNext: number): void {
    const { y1, k1, kLast } = result;
    this.stats.rejectedSteps++;
    // An estimate older than this attempt is due again (ρ may have grown).
    if (this.rho !== undefined && this.rho.age > 0) this.rho.age = -1;
    this.release(y1);
    if (k1 !== kLast) this.release(kLast);
    this.keepFirstStage(k1);
    this.h = hNext;
  }

  /**
   * A failed attempt (a derivative that rejected, a non-finite stage, y1 or err): recorded as
   * rejected, h shrinks; the run stops when the failure would repeat or too many came in a row.
   */
  private async failure(e: StepFailure<V>, h: number): Promise<void> {
    if (e.k1 !== undefined && e.k1 !== this.k1) this.keepFirstStage(e.k1);
    else if (!this.limits.reuse) this.keepFirstStage(undefined);
    const record: StepRecord = { t: this.t, h, errNorm: Number.NaN, accepted: false, failure: e.reason };
    this.steps.push(record);
    this.stats.rejectedSteps++;
    this.stats.failedSteps++;
    this.failures++;
    this.h = h * FAILURE_SHRINK;
    await this.report(record);
    if (this.o.willRepeat?.(e, this.t) === true) {
      const message = `${causeMessage(e)} (at t = ${this.t}; not retried: it would fail again)`;
      throw new IntegrationError('error', message, this.progress(), { cause: e });
    }
    if (this.failures >= this.limits.maxRejections) {
      const message = `${this.failures} consecutive failed steps at t = ${this.t} (last: ${e.message})`;
      throw new IntegrationError('rejections', message, this.progress(), { cause: e });
    }
  }

  /** Keeps f(t, y) for the next attempt when reusing (else releases it), releasing the one kept. */
  private keepFirstStage(k1: V | undefined): void {
    if (k1 !== this.k1) this.release(this.k1);
    if (this.limits.reuse) {
      this.k1 = k1;
    } else {
      this.release(k1);
      this.k1 = undefined;
    }
  }

  /** After every attempt: the unused vectors go back in one call, then `onStep`. */
  private async report(record: StepRecord): Promise<void> {
    this.flush();
    if (this.o.onStep !== undefined) await this.o.onStep(record);
  }

  /** The error a stopped run throws, after releasing what it held: the progress rides along. */
  private stopped(e: unknown): Error {
    this.release(this.k1);
    this.k1 = undefined;
    this.release(this.rho?.direction);
    this.rho = undefined;
    this.flush();
    if (e instanceof IntegrationError) return e;
    // The budget ran out or `stop` fired in the middle of an attempt (an abort takes precedence).
    if (this.budget.signal.aborted && !this.o.signal?.aborted && isAbortError(e)) {
      return this.budgetError();
    }
    if (isAbortError(e)) {
      return new AbortError<V>('integration aborted', {
        cause: e instanceof AbortError && e.cause !== undefined ? e.cause : e,
        progress: this.progress(),
      });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new IntegrationError('error', `integration failed at t = ${this.t}: ${message}`, this.progress(), {
      cause: e,
    });
  }

  /** The system with every evaluation counted in `stats.derivativeEvaluations`. */
  private counted(system: OdeSystem<V>): OdeSystem<V> {
    const counted: OdeSystem<V> = {
      derivative: (t, y) => {
        this.stats.derivativeEvaluations++;
        return system.derivative(t, y);
      },
    };
    const stage = system.stage;
    if (stage !== undefined) {
      counted.stage = (t, base, terms) => {
        this.stats.derivativeEvaluations++;
        return stage.call(system, t, base, terms);
      };
    }
    return counted;
  }

  private save(t: number): void {
    this.times.push(t);
    this.states.push(this.y);
    this.saved.add(this.y);
  }

  /** Queues a vector to release at the end of the attempt. */
  private readonly release = (v: V | undefined): void => {
    if (v !== undefined) this.unused.push(v);
  };

  private flush(): void {
    releaseAll(this.o.ops, this.unused.splice(0));
  }

  /** Releases a state the driver owns (not y0, not saved). */
  private dropState(v: V): void {
    if (v !== this.o.y0 && !this.saved.has(v)) this.release(v);
  }

  private progress(): IntegrationProgress<V> {
    const { t, y, steps, h, errorScale } = this;
    return {
      t,
      y,
      times: this.times.slice(),
      states: this.states.slice(),
      steps,
      stats: { ...this.stats },
      hNext: h,
      errorScale,
    };
  }
}

/** The message of the innermost cause of a step failure (the failure's own when it has none). */
function causeMessage(e: StepFailure): string {
  const root = innermostCause(e);
  return root instanceof Error ? root.message : String(root);
}

/** A failed evaluation during the stiffness finding keeps the run's method; anything else stops the run. */
function notFailure(e: unknown): undefined {
  if (e instanceof StepFailure) return undefined;
  throw e;
}
