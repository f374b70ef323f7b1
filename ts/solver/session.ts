// The native solver session as the TypeScript solver sees it. θ, the RK stages and the sample
// points stay in native memory; JavaScript holds integer handles and receives only scalars
// (and arrays when a user asks for values). Implemented by native/bindings/session_binding.cc.
import type { NativeNetworkConfig } from '../native';
import type { CompiledProblem } from '../problem/plan';

export type Handle = number;

export interface SessionLinearConfig {
  method: 'pcg' | 'dense';
  tol: number;
  maxIters: number;
  rank: number;
  mu: number;
  /** PCG: float32 products with float64 CG vectors (absent in files written before it existed: false). */
  mixedPrecision?: boolean;
  /** PCG: keep Nyström sketches across the solves on one sample set (absent: false). */
  reusePreconditioner?: boolean;
}

export interface SessionConfig {
  network: NativeNetworkConfig;
  plan: CompiledProblem;
  samples: number;
  linear: SessionLinearConfig;
  seed: number;
  /** Bytes the dense solve may allocate before it refuses (and chunk temporaries). */
  memoryBudget: number;
}

export interface DynamicsResult {
  /** θ̇, a new handle. */
  handle: Handle;
  /** CG iterations summed over the fields' blocks (0 for dense). */
  cgIterations: number;
  /** sqrt(Σ(Jθ̇ − f)² / Σ f²) on the current samples. */
  residual: number;
  converged: boolean;
}

export interface FitConfig {
  steps: number;
  lr: number;
  batch: number;
  headTuning: boolean;
  headSamples: number;
}

export interface FitResult {
  /** The fitted θ, a new handle. */
  theta: Handle;
  /** Relative L2 error against the target on fresh points. */
  relativeError: number;
  seconds: number;
}

export interface FitProgress {
  step: number;
  loss: number;
}

export interface NativeSession {
  readonly parameterCount: number;
  write(values: Float64Array): Handle;
  read(handle: Handle): Float64Array;
  /** base + Σ c_i·v_i (base may be null); a new handle. */
  combine(base: Handle | null, terms: ReadonlyArray<readonly [number, Handle]>): Handle;
  norm(handle: Handle): number;
  isFinite(handle: Handle): boolean;
  release(handle: Handle): void;
  /** Draws the next step's Monte Carlo points (a seeded stream). */
  resample(): void;
  dynamics(theta: Handle, t: number): Promise<DynamicsResult>;
  /** Fits the initial condition (the plan's `initial`, or `pool` values from initialValues). */
  fitInitial(
    config: FitConfig,
    pool: { points: Float64Array; values: Float64Array } | null,
    onProgress?: (p: FitProgress) => void,
  ): Promise<FitResult>;
  /** A restart: fits a fresh initialisation to the network's own prediction at θ. */
  refit(theta: Handle, config: FitConfig, onProgress?: (p: FitProgress) => void): Promise<FitResult>;
  /** Values n×k at points n×D. */
  evaluate(theta: Handle, points: Float64Array): Promise<Float64Array>;
  /** The same on the calling thread (for Solution.evaluate, which is synchronous). */
  evaluateSync?(theta: Handle, points: Float64Array): Float64Array;
  /** Live vector handles (for leak checks). */
  storedVectors?(): number;
  /** Relative PDE residual at time t on `samples` fresh points. */
  residual(theta: Handle, t: number, samples: number): Promise<number>;
  /** Relative L2 error against the plan's `exact` at time t on `samples` fresh points. */
  error(theta: Handle, t: number, samples: number): Promise<number>;
  /** Asks running native loops (fit, CG) to stop; they reject with an AbortError-like error. */
  cancel(): void;
}
