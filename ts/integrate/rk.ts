import { isAbortError, StepFailure, throwIfAborted } from './errors';
import type { ButcherTableau } from './tableaus';
import { type OdeSystem, releaseAll, type Terms, type VectorOps } from './vector';

export interface RkStepOptions<V> {
  /** f(t, y), already evaluated and finite (FSAL or a retry from the same point): saves a stage. */
  k1?: V;
  /** errNorm = ‖err‖₂ / errorScale (default 1: the plain norm). See `integrate`. */
  errorScale?: number;
  /** Checked before every stage. */
  signal?: AbortSignal;
  /**
   * Where the step's temporaries go once it no longer needs them (default: released when the step
   * returns or throws). The driver collects them to release once per attempt.
   */
  release?: (v: V) => void;
}

export interface RkStepResult<V> {
  /** The propagated solution at t + h. */
  y1: V;
  /** The local error estimate h·Σ bError_i k_i; undefined when `ops.finishStep` computed its norm. */
  err: V | undefined;
  /** ‖err‖₂ / errorScale, finite. */
  errNorm: number;
  /** The first stage f(t, y): the given k1 or a newly computed one. */
  k1: V;
  /** The last stage; for an FSAL tableau it is f(t + h, y1). */
  kLast: V;
}

/**
 * One explicit Runge–Kutta step of any tableau: y1 = y + h·Σ b_i k_i, err = h·Σ bError_i k_i.
 *
 * With `system.stage` each stage is one call (stage input, f and its finiteness); without it the
 * stage input is `ops.combine`d, f evaluated and checked with `ops.isFinite`. With
 * `ops.finishStep` y1 and ‖err‖₂ come from one call; without it from `combine`, `isFinite` and
 * `norm`. The arithmetic is the same either way.
 *
 * Ownership: `y` and a given `k1` are borrowed and never released. Every returned vector is owned
 * by the caller (`k1` is the given handle when one was given; `kLast` may equal `k1` only for a
 * one-stage tableau). All intermediate stages and stage inputs are released.
 *
 * Throws `StepFailure` when a derivative rejects or a stage, y1 or err is not finite (after
 * releasing its temporaries; a finite k1 rides along on the failure, owned by the caller), an
 * `AbortError` when `signal` is aborted before a stage or a derivative rejects with one, and
 * passes any error of `ops` through (both after releasing everything it computed, k1 included
 * unless it was given).
 */
export async function rkStep<V>(
  tableau: ButcherTableau,
  system: OdeSystem<V>,
  ops: VectorOps<V>,
  t: number,
  y: V,
  h: number,
  options: RkStepOptions<V> = {},
): Promise<RkStepResult<V>> {
  const { signal, errorScale = 1 } = options;
  const s = tableau.c.length;
  const pending: V[] = [];
  const dispose = options.release ?? ((v: V) => pending.push(v));
  const release = (v: V | undefined): void => {
    if (v !== undefined) dispose(v);
  };
  const ks: V[] = [];
  const givenK1 = options.k1 !== undefined;
  let stageInput: V | undefined; // the current stage input (owned) until released or kept as y1
  let y1: V | undefined;
  let err: V | undefined;

  /** Stage i at time ti and input y + Σ terms (y itself for no terms). */
  const evaluate = async (i: number, ti: number, terms: Terms<V>): Promise<V> => {
    throwIfAborted(signal);
    let k: V;
    let finite: boolean;
    if (system.stage !== undefined) {
      try {
        ({ k, finite } = await system.stage(ti, y, terms));
      } catch (e) {
        if (isAbortError(e)) throw e;
        throw new StepFailure('derivative', i, { cause: e });
      }
    } else {
      const input = terms.length === 0 ? y : await ops.combine(y, terms);
      if (input !== y) stageInput = input;
      try {
        k = await system.derivative(ti, input);
      } catch (e) {
        if (isAbortError(e)) throw e;
        throw new StepFailure('derivative', i, { cause: e });
      }
      finite = await ops.isFinite(k);
    }
    if (!finite) {
      release(k);
      throw new StepFailure('nonfinite', i);
    }
    return k;
  };

  try {
    try {
      ks.push(options.k1 !== undefined ? options.k1 : await evaluate(0, t, []));
      for (let i = 1; i < s; i++) {
        const k = await evaluate(i, t + tableau.c[i] * h, weighted(tableau.a[i], h, ks));
        ks.push(k);
        if (tableau.fsal && i === s - 1 && stageInput !== undefined) {
          y1 = stageInput; // FSAL: the last stage input is y + h·Σ b_j k_j = y1
        } else {
          release(stageInput);
        }
        stageInput = undefined;
      }
      let errNorm: number;
      if (ops.finishStep !== undefined && y1 === undefined) {
        const end = await ops.finishStep(y, weighted(tableau.b, h, ks), weighted(tableau.bError, h, ks));
        y1 = end.y1;
        if (!end.finite) throw new StepFailure('nonfinite', s);
        errNorm = end.errorNorm / errorScale;
      } else {
        if (y1 === undefined) {
          y1 = await ops.combine(y, weighted(tableau.b, h, ks));
          if (!(await ops.isFinite(y1))) throw new StepFailure('nonfinite', s);
        }
        err = await ops.combine(null, weighted(tableau.bError, h, ks));
        errNorm = (await ops.norm(err)) / errorScale;
      }
      if (!Number.isFinite(errNorm)) throw new StepFailure('nonfinite', s);
      const k1 = ks[0];
      const kLast = ks[s - 1];
      for (let i = 1; i < s - 1; i++) release(ks[i]);
      return { y1, err, errNorm, k1, kLast };
    } catch (e) {
      release(stageInput);
      release(y1);
      release(err);
      for (let i = 1; i < ks.length; i++) release(ks[i]);
      if (e instanceof StepFailure && ks.length > 0) {
        throw new StepFailure<V>(e.reason, e.stage, { cause: e.cause, k1: ks[0] });
      }
      if (!givenK1 && ks.length > 0) release(ks[0]);
      throw e;
    }
  } finally {
    releaseAll(ops, pending.splice(0));
  }
}

/** [h·w_j, k_j] for the non-zero weights w_j (at least one term, so `combine(null, …)` has a length). */
function weighted<V>(w: readonly number[], h: number, ks: readonly V[]): [number, V][] {
  const terms: [number, V][] = [];
  for (let j = 0; j < ks.length && j < w.length; j++) if (w[j] !== 0) terms.push([h * w[j], ks[j]]);
  if (terms.length === 0) terms.push([0, ks[0]]);
  return terms;
}
