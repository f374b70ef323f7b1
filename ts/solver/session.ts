// The native solver session as the TypeScript solver sees it (native/bindings/session_binding.cc).
// θ, the RK stages and the sample points stay in native memory; JavaScript holds integer handles
// and receives scalars (and arrays when a user asks for values). Every call that touches θ-sized
// or sample-sized data runs on libuv's worker pool and returns a promise; the synchronous ones
// move handles (release, alias) or copy data a caller asked for (write, read, evaluateSync).
//
// The config is trusted: TypeScript validates and normalises it (options.ts, session-config.ts,
// save-format.ts) and native code asserts only what memory safety needs.
import type { LaunchCounts, NativeNetworkConfig } from '../native-config';
import type { CompiledProblem } from '../problem/plan';
import type { FIT, IMPORTANCE, LINEAR, NativeValues } from './option-table';
import type { ErrorNorm } from './options';

export type Handle = number;

/** Σ cᵢ·vᵢ as [cᵢ, handle] pairs. */
export type HandleTerms = ReadonlyArray<readonly [number, Handle]>;

/** What the session receives of the 'pcg' options (each documented in option-table.ts). */
type NativeLinear = NativeValues<typeof LINEAR>;

/** β per field of the gradient rows (absent: the L² projection), with their stencil step h. */
interface GradientRows {
  readonly gradientWeights?: readonly number[];
  readonly stencilStep?: number;
  /** The gradient rows' differences along one sampled direction per point (absent: every axis). */
  readonly stencilDirections?: 'sampled';
}

/** Preconditioned CG per field block. */
export interface SessionPcgConfig extends Omit<NativeLinear, 'method'>, GradientRows {
  readonly method: 'pcg';
  /**
   * The bench's: the preconditioner from M estimated on this many samples; -1 (or absent): chosen
   * per block; 0: the randomized Nyström sketch of the full M (the paper's).
   */
  readonly sketchRows?: number;
}

/** A dense Cholesky solve per field block. */
export interface SessionDenseConfig extends Pick<NativeLinear, 'mu' | 'muScale'>, GradientRows {
  readonly method: 'dense';
}

export type SessionLinearConfig = SessionPcgConfig | SessionDenseConfig;

/** How the session draws Monte Carlo points (absent in configs made before it existed: uniform). */
export interface SessionSamplingConfig {
  readonly sequence: 'uniform' | 'sobol';
  /** Importance sampling ∝ |u|, or null for none. */
  readonly importance: NativeValues<typeof IMPORTANCE> | null;
}

export interface SessionConfig {
  readonly network: NativeNetworkConfig;
  readonly plan: CompiledProblem;
  readonly samples: number;
  /** Points drawn with each new sample set where the stage measures θ̇'s residual (absent: 0, none). */
  readonly heldOutSamples?: number;
  readonly sampling?: SessionSamplingConfig;
  readonly linear: SessionLinearConfig;
  readonly seed: number;
  /** Bytes the dense solve may allocate before it refuses (and chunk temporaries). */
  readonly memoryBudget: number;
  /**
   * Internal: which shares of every sample set this session draws (docs/distributed.md). A
   * one-process session drawing all `count` shares reproduces a `count`-process run on the union
   * of its points. Absent: one share.
   */
  readonly sampleShares?: { readonly count: number; readonly drawn: readonly number[] };
  /** A distributed CUDA run: the CUDA device of this process (its LOCAL_RANK). */
  readonly deviceIndex?: number;
  /**
   * Internal (the bench): each stage counts its ATen operator calls and host synchronisations
   * (`StageResult.launches`). Off by default: counting costs every operator call some time.
   */
  readonly countLaunches?: boolean;
}

/** What `join` sends: ts/distributed/run.ts makes it from the resolved `distributed` option. */
export interface SessionDistributedConfig {
  rank: number;
  worldSize: number;
  address: string;
  port: number;
  backend: 'gloo' | 'nccl';
  timeoutSeconds: number;
  /** What every process must agree on, compared at the rendezvous. */
  fingerprint: [string, string][];
}

/** What the session's collectives have cost so far (calls, bytes sent per process, seconds). */
export interface CollectiveStats {
  rank: number;
  worldSize: number;
  backend: string;
  calls: number;
  bytes: number;
  seconds: number;
}

/** One RK stage: θ̇ at the stage input and the solve's scalars. */
export interface StageResult {
  /** θ̇, a new handle. */
  handle: Handle;
  /** Every entry of θ̇ is finite (checked natively once). */
  finite: boolean;
  /** CG iterations summed over the fields' blocks (0 for dense). */
  cgIterations: number;
  /** sqrt(Σ(Jθ̇ − f)² / Σ f²) on the current samples. */
  residual: number;
  /** The same θ̇'s residual on the held-out points drawn with the samples (NaN: not measured by this stage). */
  heldOutResidual: number;
  /** Every block's CG met its tolerance (dense: true unless f or θ is not finite). */
  converged: boolean;
  /** Where the stage's time went (native steady clock; see native/engine/dynamics.h). */
  seconds: StageSeconds;
  /** PCG: the largest rank and the oldest age (solves served since it was built) of the blocks' preconditioners. */
  preconditionerRank: number;
  preconditionerAge: number;
  /** PCG: preconditioners this stage built (0 when kept ones served every block). */
  preconditionersBuilt: number;
  /** With `countLaunches`: the stage's operator calls and host syncs, in all and inside CG. */
  launches?: LaunchCounts;
  cgLaunches?: LaunchCounts;
}

/** Seconds of one stage by part; `total` is their sum. */
export interface StageSeconds {
  /** Drawing new samples (the first stage of an attempt). */
  sampling: number;
  /** The forward sweep for the jets, which also fills the Jacobian caches. */
  jets: number;
  /** The right-hand side's plan on the jets. */
  plan: number;
  /** The Jacobian caches when no jets are read; the float32 copy for mixed precision. */
  linearization: number;
  /** Building preconditioners (0 when kept ones served). */
  preconditioner: number;
  /** CG, F = Jᵀf/n and the residual. */
  cg: number;
  /** The residual on the held-out points (the first stage of an attempt). */
  heldOut: number;
  total: number;
}

/** The end of an RK step. */
export interface StepEndResult {
  /** y + Σ cᵢ·kᵢ, a new handle. */
  y1: Handle;
  /**
   * The norm of err = Σ eᵢ·kᵢ (which is not kept): ‖err‖₂, or with the 'function' norm
   * ‖J(y)·err‖ / ‖u(y)‖ on the current samples.
   */
  errorNorm: number;
  /** Every entry of y1 is finite. */
  finite: boolean;
}

/** One fit's settings, resolved (`fitConfigFor`); 0 for tol/maxSeconds means none. */
export interface FitConfig extends NativeValues<typeof FIT> {
  /** The iteration cap (GN iterations or Adam steps), `steps` already folded in. */
  readonly maxIterations: number;
  readonly tol: number;
  readonly maxSeconds: number;
  /** 0 for Adam. */
  readonly warmupSteps: number;
}

export interface FitResult {
  /** The fitted θ, a new handle. */
  theta: Handle;
  /** Every entry of θ is finite. */
  finite: boolean;
  /** Relative L2 error against the target on held-out points. */
  relativeError: number;
  /** GN iterations or Adam steps. */
  iterations: number;
  /** 'tol' | 'budget' | 'steps' | 'stalled'. */
  stopped: string;
  message: string;
  /** GN: damped solves rejected. */
  rejected: number;
  /** GN: CG iterations over every damped solve. */
  cgIterations: number;
  /** GN: points per iteration at the end, grown from `samples` on stalls (0 for Adam). */
  samples: number;
  headTuned: boolean;
  /** Adam: the last batch loss (0 for Gauss–Newton). */
  loss: number;
  seconds: number;
  /** `refineStep` only: the held-out error of the θ the fit started from. */
  initialError?: number;
}

/** One stage of an accepted RK step for `refineStep`: its input y + Σ terms, its time and weight h·b_i. */
export interface StepStageInput {
  t: number;
  weight: number;
  terms: HandleTerms;
}

/**
 * Fit progress: `loss` (an Adam step's batch loss) or `error` (a Gauss–Newton iteration's
 * held-out relative error), every so many iterations.
 */
/** A fit's progress: after each Adam step its batch loss, after each Gauss–Newton iteration its held-out error. */
export interface FitProgress {
  /** Adam steps and Gauss–Newton iterations so far. */
  step: number;
  /** Adam: the batch loss. */
  loss?: number;
  /** Gauss–Newton: the relative L2 error on held-out points. */
  error?: number;
}

export interface NativeSession {
  readonly parameterCount: number;
  /** Copies θ-sized values in: a new handle. */
  write(values: Float64Array): Handle;
  /** Copies a vector out. */
  read(handle: Handle): Float64Array;
  /** A second handle to the same vector (stored vectors are never modified). */
  alias(handle: Handle): Handle;
  /** base + Σ cᵢ·vᵢ (base may be null); a new handle. */
  combine(base: Handle | null, terms: HandleTerms): Promise<Handle>;
  norm(handle: Handle): Promise<number>;
  isFinite(handle: Handle): Promise<boolean>;
  release(handle: Handle): void;
  releaseMany(handles: readonly Handle[]): void;
  /**
   * One RK stage in one worker call: draws the next Monte Carlo points first when `resample`
   * (importance-sampled ∝ |u| at the stage's θ when configured), then θ̇ at base + Σ cᵢ·vᵢ (base
   * itself for no terms) and time t.
   */
  stage(t: number, base: Handle, terms: HandleTerms, resample: boolean): Promise<StageResult>;
  /**
   * y1 = y + Σ solution, the error's norm (`norm`, default 'parameters') and y1's finiteness in
   * one worker call. The 'function' norm linearises at y on the samples the attempt's stages drew.
   */
  finishStep(y: Handle, solution: HandleTerms, error: HandleTerms, norm?: ErrorNorm): Promise<StepEndResult>;
  /** Fits the initial condition (the plan's `initial`, or `pool` values from initialValues). */
  fitInitial(
    config: FitConfig,
    pool: { points: Float64Array; values: Float64Array } | null,
    onProgress?: (p: FitProgress) => void,
  ): Promise<FitResult>;
  /** A restart: fits a fresh initialisation to the network's own prediction at θ. */
  refit(theta: Handle, config: FitConfig, onProgress?: (p: FitProgress) => void): Promise<FitResult>;
  /**
   * A step that leaves the tangent space: Gauss–Newton from y1 toward the step's function-space
   * target u(y) + Σ weight_i·f(t_i, u(y + Σ terms_i)); the result's `initialError` is y1's distance
   * from it.
   */
  refineStep(
    y: Handle,
    stages: readonly StepStageInput[],
    y1: Handle,
    config: FitConfig,
    onProgress?: (p: FitProgress) => void,
  ): Promise<FitResult>;
  /** Values n×k at points n×D. */
  evaluate(theta: Handle, points: Float64Array): Promise<Float64Array>;
  /** The same on the calling thread (for Solution.evaluate, which is synchronous). */
  evaluateSync?(theta: Handle, points: Float64Array): Float64Array;
  /** Live vector handles (for leak checks). */
  storedVectors?(): number;
  /**
   * Opens a measurement: its own random streams, seeded as a new session's, so that measuring
   * neither moves the streams a solve draws from nor depends on them.
   */
  openMeasurement(): number;
  closeMeasurement(measurement: number): void;
  /** Relative PDE residual at time t on `samples` points drawn from the measurement's streams. */
  residual(theta: Handle, t: number, samples: number, measurement: number): Promise<number>;
  /** Relative L2 error against the plan's `exact` at time t, likewise. */
  error(theta: Handle, t: number, samples: number, measurement: number): Promise<number>;
  /** Asks running native loops (fit, CG) to stop; they reject with an AbortError-like error. */
  cancel(): void;
  /**
   * Joins a sample-parallel run (rendezvous and configuration check); from then on the session
   * draws its rank's share of each sample set and all-reduces every sum over points.
   */
  join?(config: SessionDistributedConfig): Promise<void>;
  /**
   * Rejects unless θ and t are identical in every process of the run; resolves to the largest
   * `vote` (an integer ≥ 0) of the processes, for decisions taken on a process's own clock.
   */
  checkReplicated?(theta: Handle, t: number, what: string, vote: number): Promise<number>;
  collectiveStats?(): CollectiveStats;
}
