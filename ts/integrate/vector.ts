/**
 * The abstract vector space the integrator works in. A vector `V` is an opaque handle — a
 * `Float64Array` in tests, a native tensor handle in the solver — and only scalars cross back
 * into the engine, so states may live in native (or GPU) memory.
 *
 * Every method may return a promise. The engine never mutates a vector it is given, and never
 * hands a vector to `combine` after releasing it.
 */
export type Awaitable<T> = T | PromiseLike<T>;

export interface VectorOps<V> {
  /**
   * base + Σ cᵢ·vᵢ as a NEW vector (with `base` null: Σ cᵢ·vᵢ, which needs at least one term).
   * Must not mutate or return any of its inputs.
   */
  combine(base: V | null, terms: ReadonlyArray<readonly [number, V]>): Awaitable<V>;
  /**
   * The Euclidean norm ‖v‖₂ = sqrt(Σ vᵢ²). The integrator's error norm is built from it: see
   * `errorScale` in `integrate.ts` (‖err‖₂ / (rtol·‖y₀‖₂ + atol)).
   */
  norm(v: V): Awaitable<number>;
  /** True when every entry of v is finite. */
  isFinite(v: V): Awaitable<boolean>;
  /** Optional: frees a handle the engine no longer uses (it is never used again afterwards). */
  release?(v: V): void;
}

/** The right-hand side y' = f(t, y). `derivative` may reject (a failed step, see `integrate`). */
export interface OdeSystem<V> {
  derivative(t: number, y: V): Promise<V>;
}

/** `VectorOps` over plain `Float64Array`s (tests, small systems). */
export const arrayOps: VectorOps<Float64Array> = Object.freeze({
  combine(base: Float64Array | null, terms: ReadonlyArray<readonly [number, Float64Array]>): Float64Array {
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
