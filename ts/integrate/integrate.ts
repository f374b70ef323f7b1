import { innermostCause } from '../errors';
import { adaptiveController, type StepSizeController } from './controller';
import { AbortError, IntegrationError, isAbortError, StepFailure, throwIfAborted } from './errors';
import type { IntegrationProgress, IntegrationStats, StepRecord } from './progress';
import { type RkStepResult, rkStep } from './rk';
import type { ButcherTableau } from './tableaus';
import { type Awaitable, type OdeSystem, releaseAll, type VectorOps } from './vector';

export type { IntegrationProgress, IntegrationStats, StepRecord } from './progress';

/** The finished integration: the progress at T. `t === T`, `y` is the state at T. */
export type IntegrateResult<V> = IntegrationProgress<V>;

export interface IntegrateOptions<V> {
  tableau: ButcherTableau;
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
  /** Strictly increasing times in [t0, T] at which to save the state, hit exactly (default [t0, T]). */
  saveAt?: readonly number[];
  /** The first step size (default 20·(T − t0)·rtol, the paper's appendix D). */
  firstStep?: number;
  /** Most step attempts, accepted or not (default 100 000). */
  maxSteps?: number;
  /**
   * Wall-clock budget in seconds, checked before every attempt (default none): past it the
   * integration stops with an `IntegrationError` ('maxSeconds') that keeps what was reached.
   */
  maxSeconds?: number;
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
}

/** A clipped step may stretch by up to this fraction to land on a save time, avoiding a sliver. */
const STRETCH = 0.01;
/** Factor applied to h after a failed attempt. */
const FAILURE_SHRINK = 0.25;

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
  const { tableau, system, ops, y0, signal, beforeStep, onStep } = options;
  const t0 = options.t0 ?? 0;
  const T = options.T;
  const rtol = options.rtol;
  const atol = options.atol ?? 0;
  const maxSteps = options.maxSteps ?? 100_000;
  const maxRejections = options.maxRejections ?? 10;
  const reuse = options.fsal ?? true;
  if (!Number.isFinite(t0)) throw new RangeError(`t0 must be finite, got ${t0}`);
  if (!Number.isFinite(T) || T < t0) throw new RangeError(`T must be finite and ≥ t0 = ${t0}, got ${T}`);
  if (!(rtol > 0 && Number.isFinite(rtol))) throw new RangeError(`rtol must be a positive number, got ${rtol}`);
  if (!(atol >= 0 && Number.isFinite(atol))) throw new RangeError(`atol must be a non-negative number, got ${atol}`);
  if (!(maxSteps >= 0)) throw new RangeError(`maxSteps must be ≥ 0, got ${maxSteps}`);
  const maxSeconds = options.maxSeconds;
  if (maxSeconds !== undefined && !(maxSeconds > 0)) {
    throw new RangeError(`maxSeconds must be a positive number, got ${maxSeconds}`);
  }
  const deadline = maxSeconds === undefined ? Number.POSITIVE_INFINITY : performance.now() + 1000 * maxSeconds;
  if (!(Number.isInteger(maxRejections) && maxRejections >= 1)) {
    throw new RangeError(`maxRejections must be a positive integer, got ${maxRejections}`);
  }
  const saveAt = checkSaveAt(options.saveAt ?? (T > t0 ? [t0, T] : [t0]), t0, T);
  let h = options.firstStep ?? 20 * (T - t0) * rtol;
  if (T > t0 && !(h > 0 && Number.isFinite(h))) throw new RangeError(`firstStep must be a positive number, got ${h}`);
  throwIfAborted(signal);
  const errorScale = options.errorScale ?? rtol * (await ops.norm(y0)) + atol;
  if (!(errorScale > 0 && Number.isFinite(errorScale))) {
    throw new RangeError(
      `the error scale rtol·‖y0‖₂ + atol must be positive and finite, got ${errorScale} (give atol > 0 when y0 = 0)`,
    );
  }
  const controller = options.controller ?? adaptiveController(tableau.errorOrder);

  const stats: IntegrationStats = { steps: 0, rejectedSteps: 0, failedSteps: 0, derivativeEvaluations: 0 };
  const steps: StepRecord[] = [];
  const times: number[] = [];
  const states: V[] = [];
  const saved = new Set<V>();
  const counted: OdeSystem<V> = {
    derivative(t: number, y: V): Promise<V> {
      stats.derivativeEvaluations++;
      return system.derivative(t, y);
    },
  };
  const stage = system.stage;
  if (stage !== undefined) {
    counted.stage = (t, base, terms) => {
      stats.derivativeEvaluations++;
      return stage.call(system, t, base, terms);
    };
  }
  // Vectors to release, handed to the backend once per attempt (one call with `releaseMany`).
  const unused: V[] = [];
  const release = (v: V | undefined): void => {
    if (v !== undefined) unused.push(v);
  };
  const flush = (): void => releaseAll(ops, unused.splice(0));
  /** Releases a state the driver owns (not y0, not saved). */
  const dropState = (v: V): void => {
    if (v !== y0 && !saved.has(v)) release(v);
  };
  const save = (t: number, v: V): void => {
    times.push(t);
    states.push(v);
    saved.add(v);
  };

  let t = t0;
  let y = y0;
  let k1: V | undefined; // f(t, y), owned, finite
  let failures = 0;
  let attempts = 0;
  const progress = (): IntegrationProgress<V> => ({
    t,
    y,
    times: times.slice(),
    states: states.slice(),
    steps,
    stats: { ...stats },
    hNext: h,
    errorScale,
  });

  let saveIndex = 0;
  if (saveAt.length > 0 && saveAt[0] === t0) {
    save(t0, y0);
    saveIndex = 1;
  }
  try {
    // Stops: every remaining save time, then T.
    const stops = saveAt.slice(saveIndex);
    if (stops.length === 0 || stops[stops.length - 1] !== T) stops.push(T);
    for (const stop of stops) {
      while (t < stop) {
        throwIfAborted(signal);
        if (beforeStep !== undefined) {
          const replacement = await beforeStep(t, y);
          if (replacement !== undefined) {
            release(k1);
            k1 = undefined;
            if (replacement !== y) dropState(y);
            y = replacement;
          }
        }
        const remaining = stop - t;
        const lands = h * (1 + STRETCH) >= remaining;
        const hStep = lands ? remaining : h;
        if (!(hStep > 0) || t + hStep === t) {
          throw new IntegrationError('stepSize', `step size ${hStep} underflowed at t = ${t}`, progress());
        }
        if (attempts >= maxSteps) {
          throw new IntegrationError('maxSteps', `more than maxSteps = ${maxSteps} step attempts`, progress());
        }
        if (performance.now() > deadline) {
          throw new IntegrationError('maxSeconds', `the budget of maxSeconds = ${maxSeconds} s ran out`, progress());
        }
        attempts++;

        let result: RkStepResult<V>;
        try {
          result = await rkStep(tableau, counted, ops, t, y, hStep, { k1, errorScale, signal, release });
        } catch (e) {
          if (!(e instanceof StepFailure)) throw e;
          // A failed attempt: keep a valid k1 (same t, y) when reusing, shrink h.
          if (e.k1 !== undefined && e.k1 !== k1) {
            if (reuse) k1 = e.k1 as V;
            else release(e.k1 as V);
          }
          if (!reuse) {
            release(k1);
            k1 = undefined;
          }
          const record: StepRecord = { t, h: hStep, errNorm: Number.NaN, accepted: false, failure: e.reason };
          steps.push(record);
          stats.rejectedSteps++;
          stats.failedSteps++;
          failures++;
          h = hStep * FAILURE_SHRINK;
          flush();
          if (onStep !== undefined) await onStep(record);
          if (options.willRepeat?.(e as StepFailure<V>, t) === true) {
            throw new IntegrationError(
              'error',
              `${causeMessage(e)} (at t = ${t}; not retried: it would fail again)`,
              progress(),
              { cause: e },
            );
          }
          if (failures >= maxRejections) {
            throw new IntegrationError(
              'rejections',
              `${failures} consecutive failed steps at t = ${t} (last: ${e.message})`,
              progress(),
              { cause: e },
            );
          }
          continue;
        }

        const { y1, err, errNorm, kLast } = result;
        release(err);
        const decision = controller.decide(hStep, errNorm);
        const record: StepRecord = { t, h: hStep, errNorm, accepted: decision.accept };
        steps.push(record);
        if (decision.accept) {
          failures = 0;
          stats.steps++;
          if (result.k1 !== kLast) release(result.k1);
          dropState(y);
          y = y1;
          t = lands ? stop : t + hStep;
          if (reuse && tableau.fsal) {
            k1 = kLast;
          } else {
            release(kLast);
            k1 = undefined;
          }
          h = hStep < h ? Math.max(decision.hNext, h) : decision.hNext;
        } else {
          stats.rejectedSteps++;
          release(y1);
          if (result.k1 !== kLast) release(kLast);
          if (reuse) {
            k1 = result.k1;
          } else {
            release(result.k1);
            k1 = undefined;
          }
          h = decision.hNext;
        }
        flush();
        if (onStep !== undefined) await onStep(record);
      }
      if (saveIndex < saveAt.length && saveAt[saveIndex] === stop) {
        save(stop, y);
        saveIndex++;
      }
    }
  } catch (e) {
    release(k1);
    k1 = undefined;
    flush();
    if (e instanceof IntegrationError) throw e;
    if (isAbortError(e)) {
      throw new AbortError<V>('integration aborted', {
        cause: e instanceof AbortError && e.cause !== undefined ? e.cause : e,
        progress: progress(),
      });
    }
    const message = e instanceof Error ? e.message : String(e);
    throw new IntegrationError('error', `integration failed at t = ${t}: ${message}`, progress(), { cause: e });
  }
  release(k1);
  flush();
  return progress();
}

/** The message of the innermost cause of a step failure (the failure's own when it has none). */
function causeMessage(e: StepFailure): string {
  const root = innermostCause(e);
  return root instanceof Error ? root.message : String(root);
}

function checkSaveAt(saveAt: readonly number[], t0: number, T: number): number[] {
  if (!Array.isArray(saveAt)) throw new TypeError('saveAt must be an array of times');
  const out: number[] = [];
  for (let i = 0; i < saveAt.length; i++) {
    const s = saveAt[i];
    if (typeof s !== 'number' || !Number.isFinite(s) || s < t0 || s > T) {
      throw new RangeError(`saveAt[${i}] must be a time in [${t0}, ${T}], got ${String(s)}`);
    }
    if (i > 0 && !(s > saveAt[i - 1])) throw new RangeError(`saveAt must be strictly increasing (saveAt[${i}] = ${s})`);
    out.push(s);
  }
  return out;
}
