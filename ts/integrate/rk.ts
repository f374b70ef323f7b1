import { isAbortError, StepFailure, throwIfAborted } from './errors';
import type { ButcherTableau } from './tableaus';
import { type OdeSystem, releaseAll, type StageOutput, type Terms, type VectorOps } from './vector';

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
  /**
   * Every stage k_1 … k_s. Those other than k1 and kLast were handed to `release`: they stay
   * valid only while the caller defers releasing them (as the driver does until the attempt ends).
   */
  stages: readonly V[];
  /**
   * h·ρ, ρ the tableau's estimate of the largest rate of f's Jacobian along the step
   * (`ButcherTableau.stiffnessStages`); undefined for a tableau without one or a step whose error
   * fails its test (errNorm > 1), NaN where the two stage inputs coincide.
   */
  stiffness?: number;
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
  const pending: V[] = [];
  const release = options.release ?? ((v: V) => pending.push(v));
  try {
    return await new RkAttempt(tableau, system, ops, t, y, h, options, release).run();
  } finally {
    releaseAll(ops, pending.splice(0));
  }
}

/** One step's stages and its end, holding what it owns so that a failure can release it. */
class RkAttempt<V> {
  private readonly ks: V[] = [];
  /** The current stage input (owned) until released or kept as y1. */
  private stageInput: V | undefined;
  private y1: V | undefined;
  private err: V | undefined;

  constructor(
    private readonly tableau: ButcherTableau,
    private readonly system: OdeSystem<V>,
    private readonly ops: VectorOps<V>,
    private readonly t: number,
    private readonly y: V,
    private readonly h: number,
    private readonly options: RkStepOptions<V>,
    private readonly dispose: (v: V) => void,
  ) {}

  async run(): Promise<RkStepResult<V>> {
    const { ks } = this;
    const s = this.tableau.c.length;
    try {
      await this.stages();
      const errNorm = await this.finish();
      // Only a step that passes its error test needs the estimate (the controller accepts iff ≤ 1).
      const stiffness = errNorm <= 1 ? await this.stiffness() : undefined;
      for (let i = 1; i < s - 1; i++) this.release(ks[i]);
      const result = { y1: this.y1 as V, err: this.err, errNorm, k1: ks[0], kLast: ks[s - 1], stages: ks.slice() };
      return stiffness === undefined ? result : { ...result, stiffness };
    } catch (e) {
      throw this.failed(e);
    }
  }

  /** k_1 … k_s; an FSAL tableau's last stage input is y1. */
  private async stages(): Promise<void> {
    const { tableau, ks, h, t } = this;
    const s = tableau.c.length;
    ks.push(this.options.k1 !== undefined ? this.options.k1 : await this.evaluate(0, t, []));
    for (let i = 1; i < s; i++) {
      ks.push(await this.evaluate(i, t + tableau.c[i] * h, stageTerms(tableau, i, h, ks)));
      if (tableau.fsal && i === s - 1 && this.stageInput !== undefined) {
        this.y1 = this.stageInput; // the last stage input is y + h·Σ b_j k_j = y1
      } else {
        this.release(this.stageInput);
      }
      this.stageInput = undefined;
    }
  }

  /** Stage i at time ti and input y + Σ terms; a composed input is kept (an FSAL y1). */
  private async evaluate(i: number, ti: number, terms: Terms<V>): Promise<V> {
    throwIfAborted(this.options.signal);
    return checkedStage(this.system, this.ops, i, ti, this.y, terms, {
      release: (v) => this.release(v),
      keepInput: (input) => {
        this.stageInput = input;
      },
      signal: this.options.signal,
    });
  }

  /** y1 (unless the stages gave it) and ‖err‖₂ / errorScale, finite. */
  private async finish(): Promise<number> {
    const { tableau, ops, y, h, ks } = this;
    const s = tableau.c.length;
    const errorScale = this.options.errorScale ?? 1;
    let errNorm: number;
    if (ops.finishStep !== undefined && this.y1 === undefined) {
      const end = await ops.finishStep(y, weighted(tableau.b, h, ks), weighted(tableau.bError, h, ks));
      this.y1 = end.y1;
      if (!end.finite) throw new StepFailure('nonfinite', s);
      errNorm = end.errorNorm / errorScale;
    } else {
      if (this.y1 === undefined) {
        this.y1 = await ops.combine(y, weighted(tableau.b, h, ks));
        if (!(await ops.isFinite(this.y1))) throw new StepFailure('nonfinite', s);
      }
      this.err = await ops.combine(null, weighted(tableau.bError, h, ks));
      errNorm = (await ops.norm(this.err)) / errorScale;
    }
    if (!Number.isFinite(errNorm)) throw new StepFailure('nonfinite', s);
    return errNorm;
  }

  /**
   * h·‖k_j − k_i‖/‖Y_j − Y_i‖ for the tableau's stiffness stages, whose inputs differ by
   * Y_j − Y_i = h·Σ_m (a_jm − a_im)·k_m.
   */
  private async stiffness(): Promise<number | undefined> {
    const { tableau, ops, h, ks } = this;
    if (tableau.stiffnessStages === undefined) return undefined;
    const [i, j] = tableau.stiffnessStages;
    const inputs = nonZeroTerms(
      tableau.a[j].map((a, m) => a - (tableau.a[i][m] ?? 0)),
      h,
      ks,
    );
    if (inputs.length === 0) return Number.NaN;
    const norm = async (terms: [number, V][]): Promise<number> => {
      const v = await ops.combine(null, terms);
      try {
        return await ops.norm(v);
      } finally {
        this.release(v);
      }
    };
    const rates = await norm([
      [1, ks[j]],
      [-1, ks[i]],
    ]);
    return (h * rates) / (await norm(inputs));
  }

  /** Releases what the step computed; a finite k1 rides along on a `StepFailure`. */
  private failed(e: unknown): unknown {
    const { ks } = this;
    this.release(this.stageInput);
    this.release(this.y1);
    this.release(this.err);
    for (let i = 1; i < ks.length; i++) this.release(ks[i]);
    if (e instanceof StepFailure && ks.length > 0) {
      return new StepFailure<V>(e.reason, e.stage, { cause: e.cause, k1: ks[0] });
    }
    if (this.options.k1 === undefined && ks.length > 0) this.release(ks[0]);
    return e;
  }

  private release(v: V | undefined): void {
    if (v !== undefined) this.dispose(v);
  }
}

/**
 * f at stage i's input y + Σ terms (y itself for none), checked finite: one `system.stage` call,
 * or the input combined, f evaluated and its finiteness checked. A rejecting derivative is a
 * `StepFailure('derivative', i)` and a non-finite f (released) a `StepFailure('nonfinite', i)`; an
 * abort and the errors of `ops` pass through. A combined input goes to `keepInput` as soon as it
 * exists, else it is released once f is evaluated.
 */
export async function checkedStage<V>(
  system: OdeSystem<V>,
  ops: VectorOps<V>,
  i: number,
  t: number,
  y: V,
  terms: Terms<V>,
  handles: { release: (v: V) => void; keepInput?: (input: V) => void; signal?: AbortSignal },
): Promise<V> {
  let out: StageOutput<V>;
  const stage = system.stage;
  if (stage !== undefined) {
    out = await failsAs(i, () => stage.call(system, t, y, terms));
  } else {
    const input = terms.length === 0 ? y : await ops.combine(y, terms);
    const owned = input !== y && handles.keepInput === undefined;
    if (input !== y) handles.keepInput?.(input);
    try {
      throwIfAborted(handles.signal);
      const k = await failsAs(i, () => system.derivative(t, input));
      out = { k, finite: await ops.isFinite(k) };
    } finally {
      if (owned) handles.release(input);
    }
  }
  if (!out.finite) {
    handles.release(out.k);
    throw new StepFailure('nonfinite', i);
  }
  return out.k;
}

/** A derivative of stage i: its rejection is the step's failure (an abort passes through). */
async function failsAs<T>(i: number, evaluate: () => Promise<T>): Promise<T> {
  try {
    return await evaluate();
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw new StepFailure('derivative', i, { cause: e });
  }
}

/**
 * Stage i's input y + h·Σ_{j<i} a_ij·k_j as terms on y: [h·a_ij, k_j] for the non-zero a_ij (none
 * for the first stage). `ks` holds at least the stages before i.
 */
export function stageTerms<V>(tableau: ButcherTableau, i: number, h: number, ks: readonly V[]): [number, V][] {
  return nonZeroTerms(tableau.a[i].slice(0, i), h, ks);
}

/** [h·w_j, k_j] for the non-zero weights w_j (at least one term, so `combine(null, …)` has a length). */
function weighted<V>(w: readonly number[], h: number, ks: readonly V[]): [number, V][] {
  const terms = nonZeroTerms(w, h, ks);
  if (terms.length === 0) terms.push([0, ks[0]]);
  return terms;
}

/** [h·w_j, k_j] for the non-zero weights w_j, j below both lengths. */
function nonZeroTerms<V>(w: readonly number[], h: number, ks: readonly V[]): [number, V][] {
  const terms: [number, V][] = [];
  for (let j = 0; j < ks.length && j < w.length; j++) if (w[j] !== 0) terms.push([h * w[j], ks[j]]);
  return terms;
}
