/**
 * The abstract vector space the integrator works in. A vector `V` is an opaque handle — a
 * `Float64Array` in tests, a native tensor handle in the solver — and only scalars cross back
 * into the engine, so states may live in native (or GPU) memory.
 *
 * Every method may return a promise. The engine never mutates a vector it is given, and never
 * hands a vector to any method after releasing it.
 *
 * Capabilities. Beyond the basic operations a backend may offer fused ones that do the same work
 * in fewer calls (one call per RK stage and one per step attempt, each on a worker thread, is what
 * the native session does). The engine uses them when present and composes the basic operations
 * when absent; both give the same step.
 */
export type Awaitable<T> = T | PromiseLike<T>;

/** Σ cᵢ·vᵢ as data: [cᵢ, vᵢ] pairs. */
export type Terms<V> = ReadonlyArray<readonly [number, V]>;

/** What `VectorOps.finishStep` returns. */
export interface StepEnd<V> {
  /** y + Σ bᵢ·kᵢ, a new vector. */
  readonly y1: V;
  /** ‖Σ eᵢ·kᵢ‖₂, the unscaled norm of the error estimate (which is not kept). */
  readonly errorNorm: number;
  /** True when every entry of y1 is finite. */
  readonly finite: boolean;
}

export interface VectorOps<V> {
  /**
   * base + Σ cᵢ·vᵢ as a NEW vector (with `base` null: Σ cᵢ·vᵢ, which needs at least one term).
   * Must not mutate or return any of its inputs.
   */
  combine(base: V | null, terms: Terms<V>): Awaitable<V>;
  /**
   * The Euclidean norm ‖v‖₂ = sqrt(Σ vᵢ²). The integrator's error norm is built from it: see
   * `errorScale` in `integrate.ts` (‖err‖₂ / (rtol·‖y₀‖₂ + atol)).
   */
  norm(v: V): Awaitable<number>;
  /** True when every entry of v is finite. */
  isFinite(v: V): Awaitable<boolean>;
  /** Optional: frees a handle the engine no longer uses (it is never used again afterwards). */
  release?(v: V): void;
  /** Optional capability: frees several handles at once (else `release` is called for each). */
  releaseMany?(vs: readonly V[]): void;
  /**
   * Optional capability: the end of a step in one call — y1 = combine(y, solution), the norm of
   * combine(null, error) and y1's finiteness — with the same arithmetic as those calls.
   */
  finishStep?(y: V, solution: Terms<V>, error: Terms<V>): Awaitable<StepEnd<V>>;
}

/** What `OdeSystem.stage` returns. */
export interface StageOutput<V> {
  /** f(t, base + Σ cᵢ·vᵢ), a new vector. */
  readonly k: V;
  /** True when every entry of k is finite. */
  readonly finite: boolean;
}

/** The right-hand side y' = f(t, y). `derivative` may reject (a failed step, see `integrate`). */
export interface OdeSystem<V> {
  derivative(t: number, y: V): Promise<V>;
  /**
   * Optional capability: one RK stage in one call — the stage input base + Σ cᵢ·vᵢ (`base` itself
   * for no terms; the input is not kept), f there and its finiteness. Rejects as `derivative` does.
   */
  stage?(t: number, base: V, terms: Terms<V>): Promise<StageOutput<V>>;
  /**
   * Optional capability: stops the evaluations in flight, which then reject with an AbortError.
   * `integrate` calls it when its `maxSeconds` budget runs out during an attempt, so that a long
   * evaluation does not hold the run past its budget.
   */
  cancel?(): void;
}

/** Releases `vs` with `releaseMany` when the backend has it, else one by one (or not at all). */
export function releaseAll<V>(ops: VectorOps<V>, vs: readonly V[]): void {
  if (vs.length === 0) return;
  if (ops.releaseMany !== undefined) ops.releaseMany(vs);
  else if (ops.release !== undefined) for (const v of vs) ops.release(v);
}

/** `VectorOps` over plain `Float64Array`s (tests, small systems). */
export const arrayOps: VectorOps<Float64Array> = Object.freeze({
  combine(base: Float64Array | null, terms: Terms<Float64Array>): Float64Array {
    const n = base !== null ? base.length : terms.length > 0 ? terms[0][1].length : -1;
    if (n < 0) throw new RangeError('combine: needs a base vector or at least one term');
    const out = base !== null ? Float64Array.from(base) : new Float64Array(n);
    for (const [c, v] of terms) {
      if (v.length !== n) throw new RangeError(`combine: length ${v.length} does not match ${n}`);
      if (c === 0) continue;
      for (let i = 0; i < n; i++) out[i] += c * v[i];
    }
    return out;
  },
  norm(v: Float64Array): number {
    // Scaled sum of squares: no overflow for entries up to ~1e308.
    let scale = 0;
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      if (!(a <= scale)) scale = a; // also picks up NaN
    }
    if (scale === 0 || !Number.isFinite(scale)) return scale;
    let s = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i] / scale;
      s += x * x;
    }
    return scale * Math.sqrt(s);
  },
  isFinite(v: Float64Array): boolean {
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
    return true;
  },
});
