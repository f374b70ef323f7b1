/**
 * The options of `new NeuralIVP(options)` (docs/api.md §2): their public types and `resolveOptions`,
 * which runs in the constructor, before any native work, and throws a `SpecError` whose `path`
 * names the offending option (`linear.rank`, `integrator.method`, …). Each option's reader,
 * defaults, doc, flag and native mapping are declared once, in option-table.ts.
 */
import {
  type DistributedOptions,
  type Environment,
  type ResolvedDistributed,
  readDistributed,
} from '../distributed/options';
import { SpecError } from '../errors';
import type { MethodName } from '../integrate/methods';
import type { Activation, DType, NetworkOutput } from '../native-config';
import { everyAxis, someAxis } from '../problem/boundary';
import { isProblem, type Problem } from '../problem/define';
import { describe } from '../problem/expr';
import { type CompiledProblem, derivativeOrder } from '../problem/plan';
import { deepFreeze, expectNonNegative, expectObject, isPlainObject, rejectUnknownKeys } from '../problem/validate';
import { defaultGradientDirections, energyNormWeights } from './energy-norm';
import {
  decayFor,
  embeddingFor,
  fieldOffsets,
  fieldSizes,
  frequenciesFor,
  type InitialShape,
  isConcentrated,
  lazyInitialShape,
  MAX_DEFAULT_OCTAVE,
  outputFor,
} from './initial-shape';
import {
  choice,
  DEFAULT_IMPORTANCE,
  DENSE_KEYS,
  type Defaults,
  defaultsOf,
  FIT,
  type IMPORTANCE,
  INTEGRATOR,
  LINEAR,
  NETWORK,
  type OptionTable,
  PAPER_ADAM_STEPS,
  type Preset,
  RESTARTS,
  type Reader,
  type Resolved,
  readSection,
  SAMPLES,
  TOP,
  withHint,
} from './option-table';
import { sampledBox } from './session-config';
import { checkStart } from './start-checks';

export type { Activation, DType } from '../native-config';
/**
 * The integrator: 'rk45' (Dormand–Prince), 'rk23' (Bogacki–Shampine), or 'rkc' (second-order
 * Runge–Kutta–Chebyshev, whose stage count follows the dynamics' stiffness).
 */
export type IntegratorMethod = MethodName;
/** Where a session runs: 'auto' (CUDA when the loaded libtorch finds a device), 'cpu' or 'cuda'. */
export type DeviceOption = 'auto' | 'cpu' | 'cuda';
/**
 * How `linear.mu` is scaled: 'solution' — μ·mean(u²), the mean square of the network's values on
 * the step's samples (all fields), so that the regularisation follows the solution's magnitude and
 * the relative accuracy does not depend on its units; 'absolute' — μ as given (the paper's).
 */
export type MuScale = 'solution' | 'absolute';
/**
 * The norm of the step's error estimate: 'parameters' — ‖err_θ‖₂ ≤ rtol·‖θ₀‖₂ (the reference
 * implementation's); 'function' — ‖J·err_θ‖ ≤ rtol·‖u‖ on the step's samples, the error of u
 * relative to u.
 */
export type ErrorNorm = 'parameters' | 'function';

/** The network u(x, θ): one MLP per field after the sinusoidal embedding (section 3 of the paper). */
export interface NetworkOptions {
  /** Hidden units per layer (default 48; 'paper': 100). */
  width?: number;
  /** Hidden layers (default 3). */
  depth?: number;
  /** Nonlinearity (default 'swish'). */
  activation?: Activation;
  /**
   * Highest octave L of the sinusoidal embedding γ, eq. (5). Default: two octaves above u0's
   * finest scale, within [3, 5] (3 for a u0 made of the box's lowest modes, 5 for a narrow
   * feature; read from the closed form or from the values `initialValues` gives): octaves far
   * above the solution add no accuracy, but the projected ODE then carries functions of their
   * wavenumbers, at the rates the right-hand side gives them (ω² for a Schrödinger or heat
   * equation), which an explicit step must resolve, and M is worse conditioned (docs/accuracy.md,
   * "An oscillatory system"). The 'paper' preset: 5.
   */
  frequencies?: number;
  /**
   * α in eq. (5): octave k is damped by 2^(−αk). Default: the highest derivative order the
   * right-hand side reads, at least 1 (2 for heat, wave, Burgers, Fokker–Planck; 1 for transport),
   * so that no octave dominates L[u]: a derivative of order m multiplies octave k (frequency
   * ∝ 2^k) by 2^(mk), which α = m cancels. With the default preset a concentrated initial
   * condition gets less, down to 0 for a feature at the embedding's octave 2 or finer, since that
   * damping would hide the octaves that resolve it (initial-shape.ts). The 'paper' preset: 1.
   */
  decay?: number;
  /** Factor on γ before the MLP (default 1.5). */
  embeddingScale?: number;
  /**
   * Use the sinusoidal embedding; false: the MLP reads the point (mapped to [-1, 1]^D) itself.
   * Default: true, except for a density (a concentrated initial condition, under 5 % of the box,
   * positive, of one field whose equation cannot push it below zero: its right-hand side at u = 0
   * is nowhere negative) and for any other concentrated initial condition whose width holds fewer
   * than two of `samples.count` points along an axis (for a Gaussian, fewer than about 5^D points:
   * 6D and above at 4,000). A raw-coordinate MLP's tangent space holds the shifts, rotations and
   * dilations of its input that drift and transport apply to a density, and with the 'exp' output
   * a Gaussian is a quadratic; where samples are sparse, the octaves that would resolve a narrow
   * u0 are not pinned down between them, and the projection matches f on its samples and misses
   * it between them (initial-shape.ts, docs/accuracy.md). The 'paper' preset: true.
   */
  embedding?: boolean;
  /**
   * How each field comes from its MLP's output m (B the Dirichlet factor, 1 without a boundary):
   * 'linear', u = B·m, or 'exp', u = B·e^m, a positive field whose logarithm the MLP fits (a
   * Gaussian density's is a quadratic). Default: 'exp' for a density (see `embedding`) read at
   * the raw point that, with a Dirichlet boundary, is under 1e-3 of its peak on the faces: a
   * narrow bump's fit error has derivatives that would otherwise dominate the right-hand side;
   * 'linear' elsewhere. 'exp' needs a positive u0, and a field that would change sign cannot
   * follow it. The 'paper' preset: 'linear'.
   */
  output?: NetworkOutput;
  /**
   * c in u = c·B·m (c·B·e^m under 'exp'): the MLP fits u/c, so the fit's damping, the
   * projection's regularisation and the step control see a field of size 1 whatever its units,
   * and a u0 of 1e-8 or 1e8 fits and evolves as one of 1 does. A positive number for every field,
   * or an object by field name (fields not named: 1). Default: each field's largest |u0 − o| on
   * the sampled box, o its `outputOffset` (a field that starts at zero takes the largest other field's; 1 for a u0 that is
   * zero everywhere, and under `output: 'exp'`, where m's bias carries the size). The 'paper'
   * preset: 1, the paper's network.
   */
  outputScale?: number | Readonly<Record<string, number>>;
  /**
   * o in u = o + c·B·m: the MLP fits the variation u − o, and the fit's error (`FitReport`'s
   * relative error is ‖u − u0‖/‖u0 − o‖), μ's scale under `muScale: 'solution'`, the function
   * error norm and the importance sampling read u − o, so that a field that is a large constant
   * plus a small variation (a temperature in kelvin) is fitted and evolved as its variation is.
   * A finite number for every field, or an object by field name (fields not named: 0). Default:
   * a field's mean over u0 on the sampled box where that mean is at least twice u0's spread about
   * it, else 0; 0 under a Dirichlet boundary (which fixes u = 0 on the faces) and under
   * `output: 'exp'`, where a non-zero offset is a `SpecError`. The 'paper' preset: 0.
   */
  outputOffset?: number | Readonly<Record<string, number>>;
}

/**
 * Preconditioned conjugate gradients per field block (the default solver), with a rank-`rank`
 * preconditioner from M estimated on a sample of the points, or the paper's Nyström sketch of the
 * full M where that falls short (docs/performance.md).
 */
export interface PcgOptions {
  /** 'pcg' (the default when `linear` has no `method`). */
  method?: 'pcg';
  /** Relative residual tolerance of CG (default 1e-8). */
  tol?: number;
  /** CG iteration cap (default 1000). */
  maxIters?: number;
  /** Preconditioner rank per field block; 0 = plain CG (default 100; 'paper': 200). */
  rank?: number;
  /**
   * The rank a block's preconditioner may grow to, doubling, when its solves need many CG
   * iterations and the saving pays for the dearer preconditioner; at most `rank`: a fixed rank
   * (default 400; 'paper': 0).
   */
  maxRank?: number;
  /**
   * Regularization μ in (M + μI) θ̇ = F, scaled as `muScale` says (default 1e-6). A problem with no
   * damping (transport) carries every step's projection residual to T: use a smaller μ such as 1e-8
   * there, at more CG iterations, after an accurate (Gauss–Newton) fit (docs/accuracy.md). A
   * wave written as u_t = v, v_t = Δu is projected in its energy norm by default (`gradientWeight`,
   * below), which does more.
   */
  mu?: number;
  /** 'solution': μ times the mean square of u on the samples; 'absolute' (default 'solution'; 'paper': 'absolute'). */
  muScale?: MuScale;
  /**
   * Mixed precision (float64 networks only): M·v — CG's products and the full sketch's — in
   * float32, while CG's vectors, F and the residual stay float64 (default false). Halves the
   * products' memory traffic (more on GPUs); θ̇ agrees with the float64 solve to 1e-3 relative and
   * reaches the same least-squares residual to 1e-5 (tested), so pair it with a CG tolerance of
   * 1e-5 or looser: float32 products cannot resolve 1e-8.
   */
  mixedPrecision?: boolean;
  /**
   * Keep each block's preconditioner across RK stages and steps (new samples included) instead of
   * building one for every solve (default true; 'paper': false). θ̇ is the same either way (any
   * SPD preconditioner gives CG the same answer); a kept one trades its construction for CG
   * iterations, and a solve with it runs under a cap (the iterations of the solve that built it
   * plus a rebuild's cost) past which it continues with a fresh one, so a stale one costs at most
   * one rebuild (docs/performance.md; measured in docs/fitting-and-sampling.md).
   */
  reusePreconditioner?: boolean;
  /**
   * The projection's norm per field (docs/accuracy.md, "The projection's norm"): with weight β > 0
   * the field's θ̇ minimises ‖J θ̇ − f‖² + β·Σ_k ‖∂_k(J θ̇ − f)‖² on the samples instead of the
   * paper's ‖J θ̇ − f‖², so the step also matches the gradient of the field's time derivative and
   * the derivatives another field's equation reads stay controlled. For a wave written as
   * u_t = v, v_t = Δu, `{ u: 1 }` on [−1, 1]^D is its energy norm (H¹ for u, L² for v;
   * docs/accuracy.md weighs its gain against its cost). β is a squared length: a number applies
   * to every field, an object to the fields it names (others: 0). ∂_k is a central difference,
   * so such a block costs 1 + 2·dim times the rows (3 with `gradientDirections: 'sampled'`).
   * Default (the default preset): the energy norm where the right-hand side is a second-order
   * equation in time written as a system (u_t reads v and no spatial derivative, v_t reads u's
   * second derivatives: β = the domain's smallest half-width² on u, energy-norm.ts) in one or two
   * dimensions, 0 for every other field and problem (in 3D and up its solves cost several times
   * L²'s, more than a CPU-sized run affords: give the weight); 'paper': 0, the paper's L²
   * projection, which `gradientWeight: 0` also asks for.
   */
  gradientWeight?: GradientWeight;
  /**
   * The central differences of the gradient norm: along every axis ('axes', 1 + 2·dim rows per
   * point), or along one random direction per point ('sampled', 3 rows), ξ uniform on the sphere
   * of radius √dim so that E[(ξ·∇r)²] = ‖∇r‖²: the same norm on average, for more sampling noise.
   * Default: 'axes' in one and two dimensions, 'sampled' above; 'paper': 'axes'.
   */
  gradientDirections?: GradientDirections;
}

/** A dense Cholesky solve of (M + μI) θ̇ = F (small networks only). */
export interface DenseOptions {
  /** 'dense' selects this solver. */
  method: 'dense';
  /** Regularization μ (default 1e-6), scaled as `muScale` says. */
  mu?: number;
  /** As for 'pcg' (default 'solution'). */
  muScale?: MuScale;
  /** As for 'pcg' (the same per-problem default). */
  gradientWeight?: GradientWeight;
  /** As for 'pcg'. */
  gradientDirections?: GradientDirections;
}

/** `linear.gradientDirections`: the directions of the gradient norm's differences. */
export type GradientDirections = 'axes' | 'sampled';

/** `linear.gradientWeight`: one β for every field, or β by field name. */
export type GradientWeight = number | Readonly<Record<string, number>>;

/** The linear solve of each RK stage, (M + μI) θ̇ = F: PCG (default) or a dense Cholesky solve. */
export type LinearOptions = PcgOptions | DenseOptions;

/** The adaptive Runge–Kutta integration of θ. */
export interface IntegratorOptions {
  /**
   * 'rk45' (Dormand–Prince, default), 'rk23' (Bogacki–Shampine; the paper's wave maps) or 'rkc'
   * (Runge–Kutta–Chebyshev: for a stiff problem, whose RK45 steps are held at its stability limit).
   */
  method?: IntegratorMethod;
  /** ODE_TOL: a step is accepted when its error norm (`errorNorm`) is ≤ rtol (default 1e-4). */
  rtol?: number;
  /**
   * 'parameters': ‖err_θ‖₂ ≤ rtol·‖θ₀‖₂; 'function': ‖J·err_θ‖ ≤ rtol·‖u‖ on the samples.
   * Default: 'function' under `network.output: 'exp'`, whose log-space parameters have no fixed
   * relation to u's error, so that the parameter norm lets a density's steps grow past its
   * accuracy (docs/accuracy.md, "A density in any dimension"); else 'parameters'. The 'paper'
   * preset: 'parameters'.
   */
  errorNorm?: ErrorNorm;
  /**
   * Gauss–Newton iterations after each accepted step toward the step's target in function space,
   * u(θ_n) + h·Σ b_i f(u(θ_i)) with θ_i the stage inputs: a step that may leave the tangent space
   * the projection confines it to (default 0: the paper's projected step alone). Each iteration
   * costs about one dynamics solve. The step history records each refinement's distance to the
   * target before and after (`StepHistoryRecord.refined`).
   */
  refine?: number;
  /**
   * With 'rk45': once its steps are held at its stability limit with more than 50 of them left to
   * T and the dynamics' fastest rate is mostly decay (a diffusion's or a fast reaction's), go on
   * with 'rkc' (default false: it pays only where the solution changes far more slowly than that
   * rate, docs/accuracy.md, "Stiff problems"). The run says what it found (`NIVP_STIFF`) either way.
   */
  stiffSwitch?: boolean;
}

/** How θ is fitted to the initial condition and at restarts: 'gauss-newton' (default) or 'adam'. */
export type FitMethod = 'gauss-newton' | 'adam';

/**
 * The fit of θ to the initial condition and of each restart's refit (docs/fitting-and-sampling.md).
 * It stops when the relative L2 error on held-out points is ≤ `tol`, or its budget
 * (`maxIterations`, `maxSeconds`, `steps`) is spent; missing the tolerance is reported
 * (`FitReport.stopped`), not an error, unless by far (`allowPoorFit`).
 */
export interface FitOptions {
  /**
   * 'gauss-newton' (default): Levenberg–Marquardt steps solved by Nyström-PCG on fresh points;
   * 'adam': the paper's Adam on fresh batches.
   */
  method?: FitMethod;
  /** Relative L2 error on held-out points to stop at; null: run to the budget (default 1e-5; 'paper': null). */
  tol?: number | null;
  /**
   * Iteration cap: Gauss–Newton iterations or Adam steps (default 200; 'paper': 50 000, its fit
   * being Adam's); with a method other than the preset's, 200 iterations or 50 000 steps.
   */
  maxIterations?: number;
  /** Wall-clock cap in seconds, head tuning excluded; null: none (default 60; 'paper': null). */
  maxSeconds?: number | null;
  /**
   * Caps the iterations whatever the method (null: no cap beyond `maxIterations`). 0 skips the
   * iterations: only head tuning runs.
   */
  steps?: number | null;
  /** Adam learning rate, for 'adam' and the warm-up (default 1e-3). */
  lr?: number;
  /** Points per Adam step, for 'adam' and the warm-up (default 2 000; 'paper': 10 000). */
  batch?: number;
  /** Gauss–Newton: fresh points per iteration at the start (default 2 000; 'paper': 10 000). */
  samples?: number;
  /**
   * Gauss–Newton: each time the held-out error stalls, the points per iteration double, up to this
   * many, and the fit goes on; a stall at this size ends it (default 16 000; 'paper': 80 000; ≤ `samples`: no growth).
   */
  maxSamples?: number;
  /** Gauss–Newton: Nyström preconditioner rank per field block; 0 = plain CG (default 100; 'paper': 200). */
  rank?: number;
  /** Gauss–Newton: Adam steps before the first Gauss–Newton iteration (default 0). */
  warmupSteps?: number;
  /** Refit the last layer by least squares at the end, kept when it lowers the error (default true). */
  headTuning?: boolean;
  /** Points of the head least-squares fit (default 20 000; 'paper': 50 000). */
  headSamples?: number;
  /**
   * A field whose u0 is zero everywhere (a wave's velocity from rest) gets a network fitted to its
   * initial rate f(u0), then a zero last layer: u0 is met exactly and the first steps' tangent
   * space holds the rate, where a network fitted to zero holds random features only. It adds a
   * second fit of at most half `maxSeconds`, reported as `FitReport.rateFeatures` (default true;
   * 'paper': false).
   */
  rateFeatures?: boolean;
  /**
   * Evolve from an initial fit whose held-out error exceeds `POOR_FIT_FACTOR` × `tol`; by default
   * `evolve` refuses such a fit with a `PoorFitError` before any step (default false).
   */
  allowPoorFit?: boolean;
}

/**
 * Importance sampling: points from the mixture of the uniform density (share `uniformShare`) and
 * `kernels` Gaussian kernels around points drawn ∝ |u| from `pilot` points, weighted by p/q so
 * that M and F estimate the same integrals (docs/fitting-and-sampling.md).
 */
export interface ImportanceOptions {
  /** The uniform share α of the proposal, in (0, 1]: weights are at most 1/α (default 0.2). */
  uniformShare?: number;
  /** Gaussian kernels of the proposal (default 256). */
  kernels?: number;
  /** Pilot points the kernel centres are drawn from (default 4 096). */
  pilot?: number;
  /**
   * The share of the kernels, in [0, 1), placed at the embedding's images: a drawn centre moved by
   * half the box's width along a random non-empty set of axes, where the network's periodic
   * features put spurious copies of a narrow solution (default 0.5; 0 for a network without the
   * embedding, which has no images, and for a problem with a periodic axis).
   */
  imageShare?: number;
}

/** How the Monte Carlo points are drawn, for the fit and every dynamics sample set. */
export interface SampleOptions {
  /** Points per dynamics evaluation, n (default 4 000; 'paper': 10 000). */
  count?: number;
  /**
   * Points of a second set drawn with each step's samples, from the same distribution, where the
   * step's θ̇ is checked (`StepHistoryRecord.heldOutResidual`); 0: none (default 1 000; 'paper': 0).
   */
  heldOut?: number;
  /**
   * 'sobol': scrambled Sobol points, a fresh scramble per set; 'uniform': independent draws
   * (default 'sobol'; 'paper': 'uniform').
   */
  sequence?: PointSequence;
  /**
   * Importance sampling ∝ |u| (true = the default settings). Default false, except with the
   * default preset for an initial condition occupying under 5 % of the box (initial-shape.ts).
   */
  importance?: boolean | ImportanceOptions;
}

/** How points are drawn: 'sobol' (scrambled, a fresh scramble per set) or 'uniform'. */
export type PointSequence = 'uniform' | 'sobol';

export type { Preset } from './option-table';

/**
 * When to restart (refit θ by SGD to the current solution, section 4.2). Either or both:
 * - `timeFraction` f: the reference implementation's wall-clock budget (Finzi's
 *   `LogTimer(timeFrac=f)`): refit before a step once the wall time since the last fit ended
 *   exceeds (average fit duration) / f, so fits take a bounded share of the run (default null;
 *   'paper': 0.5).
 * - `cgIterations` c: a conditioning policy — refit once a linear solve needed more than c CG
 *   iterations (default 500; 'paper': null).
 * `null` switches a policy off; `restarts: false` switches restarts off. `fitSteps` caps the
 * iterations of a restart's refit (default null: the fit's own caps); a refit starts from a fresh
 * initialisation.
 */
export interface RestartOptions {
  /** The wall-clock policy's share f: refit once the time since the last fit exceeds (mean fit time) / f. */
  timeFraction?: number | null;
  /** The conditioning policy: refit once a solve needed more than this many CG iterations. */
  cgIterations?: number | null;
  /** A cap on a restart's refit iterations, whatever the fit method (default null: the fit's own caps). */
  fitSteps?: number | null;
}

/** The options of `new NeuralIVP(options)`; every one but `problem` has a default (docs/api.md §2). */
export interface NeuralIVPOptions {
  /** The problem to solve, from `defineProblem` or the `problems` catalogue. */
  problem: Problem;
  /** Where the defaults of every other option come from (default 'default'). */
  preset?: Preset;
  /** The network's size, activation and embedding. */
  network?: NetworkOptions;
  /** Monte Carlo points per dynamics evaluation (at least 16), or how to draw them. */
  samples?: number | SampleOptions;
  /**
   * Boundary 'none' only: the network is fitted and evolved on the domain grown by this fraction
   * of each axis's half-width on both sides of every axis with boundary 'none' (default 0.5 where
   * some axis has 'none' and the right-hand side reads a spatial derivative; 0 for one that reads
   * none, whose points each follow their own ODE, and, where it must be 0, when no axis has
   * 'none'). Without a constraint on the faces, what flows into the domain during a solve comes
   * from outside it, where an unsampled network only extrapolates: the margin must cover the
   * domain of dependence, (largest speed)·T, for the solution inside to be right.
   */
  margin?: number;
  /** The linear solve of each RK stage. */
  linear?: LinearOptions;
  /** The Runge–Kutta method and its tolerance. */
  integrator?: IntegratorOptions;
  /** The fit of θ to the initial condition (and the restarts' refits). */
  fit?: FitOptions;
  /**
   * Restart policy, or false for none (default { cgIterations: 500 }; 'paper': { timeFraction: 0.5 });
   * true = the preset's policy.
   */
  restarts?: RestartOptions | boolean;
  /** Floating point type of the network and solves (default 'float64'). */
  dtype?: DType;
  /** 'auto' picks CUDA when available (default 'auto'). */
  device?: DeviceOption;
  /** Seed of the network initialization and the samples (default 0). */
  seed?: number;
  /**
   * Bytes that native temporaries and a dense solve may use, at least 1 MiB; 'auto' (default):
   * 4 GiB on a CPU, half the CUDA device's free memory on a GPU (read when the session starts).
   */
  memoryBudget?: number | 'auto';
  /**
   * A sample-parallel run over several processes (docs/distributed.md); absent: the torchrun
   * environment (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`) when set, else one process.
   * `false` (or null): one process whatever the environment.
   */
  distributed?: DistributedOptions | false | null;
}

/** What `new NeuralIVP(…)` accepts: a problem (shorthand for `{ problem }`) or the options. */
export type NeuralIVPInput = Problem | NeuralIVPOptions;

/** The resolved network section. */
export interface ResolvedNetwork extends Omit<Resolved<typeof NETWORK>, 'outputScale' | 'outputOffset'> {
  /** c by field name, every field. */
  readonly outputScale: Readonly<Record<string, number>>;
  /** o by field name, every field. */
  readonly outputOffset: Readonly<Record<string, number>>;
}

type ResolvedLinearTable = Resolved<typeof LINEAR>;

export interface ResolvedPcg extends Omit<ResolvedLinearTable, 'method' | 'gradientWeight' | 'gradientDirections'> {
  readonly method: 'pcg';
  /** β by field name, every field (all 0: the L² projection). */
  readonly gradientWeight: Readonly<Record<string, number>>;
  readonly gradientDirections: GradientDirections;
}

export interface ResolvedDense extends Pick<ResolvedLinearTable, 'mu' | 'muScale'> {
  readonly method: 'dense';
  readonly gradientWeight: Readonly<Record<string, number>>;
  readonly gradientDirections: GradientDirections;
}

export type ResolvedLinear = ResolvedPcg | ResolvedDense;

export type ResolvedIntegrator = Resolved<typeof INTEGRATOR>;

export type ResolvedFit = Resolved<typeof FIT>;

export type { ResolvedImportance } from './option-table';

export type ResolvedSamples = Resolved<typeof SAMPLES>;

/** At least one policy is non-null; a null `fitSteps`: the refit uses `fit.steps`. */
export type ResolvedRestarts = Resolved<typeof RESTARTS>;

/** Every option filled in; deeply frozen. Feeding it back to `resolveOptions` gives an equal result. */
export interface ResolvedOptions extends Resolved<typeof TOP> {
  readonly problem: Problem;
  readonly preset: Preset;
  readonly network: ResolvedNetwork;
  readonly samples: ResolvedSamples;
  /** The sampled box is the domain grown by margin·(upper − lower)/2 on both sides of each 'none' axis. */
  readonly margin: number;
  readonly linear: ResolvedLinear;
  readonly integrator: ResolvedIntegrator;
  readonly fit: ResolvedFit;
  readonly restarts: ResolvedRestarts | false;
  /** null: one process. */
  readonly distributed: ResolvedDistributed | null;
}

// The public interfaces name the same options as the tables (a missing or extra key fails here).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
const sameKeys: [
  SameKeys<Required<NetworkOptions>, typeof NETWORK>,
  SameKeys<Required<PcgOptions>, typeof LINEAR>,
  SameKeys<Required<DenseOptions>, Pick<typeof LINEAR, (typeof DENSE_KEYS)[number]>>,
  SameKeys<Required<IntegratorOptions>, typeof INTEGRATOR>,
  SameKeys<Required<FitOptions>, typeof FIT>,
  SameKeys<Required<SampleOptions>, typeof SAMPLES>,
  SameKeys<Required<ImportanceOptions>, typeof IMPORTANCE>,
  SameKeys<Required<RestartOptions>, typeof RESTARTS>,
  SameKeys<Pick<NeuralIVPOptions, keyof typeof TOP>, typeof TOP>,
] = [true, true, true, true, true, true, true, true, true];
void sameKeys;

/** The default `margin` of a problem with boundary 'none'. */
export const DEFAULT_MARGIN = 0.5;

/** Every option's default under one preset (the problem aside). */
export type PresetDefaults = Defaults<typeof TOP> & {
  readonly samples: Defaults<typeof SAMPLES>;
  /** `errorNorm: 'output'`: resolved from the network's output (see `IntegratorOptions`). */
  readonly integrator: Defaults<typeof INTEGRATOR>;
  readonly fit: Defaults<typeof FIT>;
  /**
   * `decay: 'derivativeOrder'`, `frequencies: 'finestScale'`, `embedding: 'sampleSpacing'` and
   * `output: 'density'`: resolved per problem (see `NetworkOptions`).
   */
  readonly network: Defaults<typeof NETWORK>;
  /** `gradientWeight` and `gradientDirections` are per problem (energy-norm.ts; L² under 'paper'). */
  readonly linear: Omit<ResolvedPcg, 'gradientWeight' | 'gradientDirections'>;
  readonly dense: Omit<ResolvedDense, 'gradientWeight' | 'gradientDirections'>;
  readonly restarts: ResolvedRestarts;
  /** `fit.maxIterations` when `fit.method` is 'adam'. */
  readonly adamIterations: number;
};

/** One preset's defaults, from the tables. */
function presetDefaults(preset: Preset): PresetDefaults {
  const { gradientWeight: _perProblem, gradientDirections: _perDimension, ...linear } = defaultsOf(LINEAR, preset);
  return deepFreeze({
    network: defaultsOf(NETWORK, preset),
    samples: defaultsOf(SAMPLES, preset),
    linear: { ...linear, method: 'pcg' as const },
    dense: { method: 'dense' as const, mu: linear.mu, muScale: linear.muScale },
    integrator: defaultsOf(INTEGRATOR, preset),
    fit: defaultsOf(FIT, preset),
    adamIterations: PAPER_ADAM_STEPS,
    restarts: defaultsOf(RESTARTS, preset),
    ...defaultsOf(TOP, preset),
  });
}

/**
 * The package's defaults ('default' preset): sized so that a 2D catalogue problem finishes in
 * about two minutes on a 2-core CPU (measured figures in docs/fitting-and-sampling.md).
 */
export const DEFAULT_OPTIONS: PresetDefaults = presetDefaults('default');

/** The paper's hyperparameters (appendix C), the 'paper' preset: a GPU's budget. */
export const PAPER_OPTIONS: PresetDefaults = presetDefaults('paper');

/** The defaults of each preset. */
export const PRESETS: Readonly<Record<Preset, PresetDefaults>> = Object.freeze({
  default: DEFAULT_OPTIONS,
  paper: PAPER_OPTIONS,
});

export { DEFAULT_IMPORTANCE } from './option-table';

const TOP_KEYS = [
  'problem',
  'preset',
  'network',
  'samples',
  'margin',
  'linear',
  'integrator',
  'fit',
  'restarts',
  'dtype',
  'device',
  'seed',
  'memoryBudget',
  'distributed',
] as const;

/**
 * Validates `new NeuralIVP(input)`'s argument and fills in the defaults. A `Problem` is shorthand
 * for `{ problem }`. Every bad value — wrong type, out of range, unknown key — throws a
 * `SpecError` whose path names the option (`network.width`, `linear.rank`, `restarts.timeFraction`,
 * or the unknown key itself). The result is deeply frozen (the problem is already).
 */
export function resolveOptions(input: NeuralIVPInput, env: Environment = process.env): ResolvedOptions {
  const raw: unknown = input;
  if (isProblem(raw)) return resolveOptions({ problem: raw }, env);
  if (!isPlainObject(raw)) {
    throw new SpecError(
      '',
      `expected a problem from defineProblem or an options object { problem, … }, got ${describe(raw)}`,
    );
  }
  rejectUnknownKeys('', raw, TOP_KEYS);
  if (!isProblem(raw.problem)) {
    throw new SpecError(
      'problem',
      raw.problem === undefined
        ? 'missing: give the problem from defineProblem (or a catalogue problem such as problems.heat())'
        : `expected a problem from defineProblem, got ${describe(raw.problem)}`,
    );
  }
  const preset = raw.preset === undefined ? 'default' : choice<Preset>(['default', 'paper'])('preset', raw.preset);
  const D = PRESETS[preset];
  const linear = readLinear(raw.linear, D, raw.problem.plan, preset);
  const dtype = readTop('dtype', raw.dtype, D);
  if (linear.method === 'pcg' && linear.mixedPrecision && dtype !== 'float64') {
    throw new SpecError(
      'linear.mixedPrecision',
      "needs dtype 'float64': a float32 network already runs its products in float32",
    );
  }
  const margin = readMargin(raw.margin, raw.problem);
  checkStart(raw.problem, margin);
  // The default preset reads the initial condition's shape for the sampling and the decay it
  // leaves unset; the paper preset keeps the paper's fixed choices.
  const shape = preset === 'default' ? lazyInitialShape(raw.problem, margin) : null;
  const samples = readSamples(raw.samples, D, raw.problem, shape);
  const fit = readFit(raw.fit, D);
  const device = readTop('device', raw.device, D);
  const distributed = readDistributed(raw.distributed, env);
  if (distributed !== null) checkDistributed(distributed, samples, fit, device);
  const network = readNetwork(raw.network, D, raw.problem, shape, samples.count, margin);
  return deepFreeze({
    problem: raw.problem,
    preset,
    network,
    samples:
      network.embedding && !someAxis(raw.problem.boundary, 'periodic') ? samples : withoutImages(samples, raw.samples),
    margin,
    linear,
    integrator: readIntegrator(raw.integrator, D, network),
    fit,
    restarts: readRestarts(raw.restarts, D),
    dtype,
    device,
    distributed,
    seed: readTop('seed', raw.seed, D),
    memoryBudget: readTop('memoryBudget', raw.memoryBudget, D),
  });
}

/** The integrator; its error norm's default follows the network's output. */
function readIntegrator(v: unknown, D: PresetDefaults, network: ResolvedNetwork): ResolvedIntegrator {
  const norm = D.integrator.errorNorm;
  const errorNorm = norm !== 'output' ? norm : network.output === 'exp' ? 'function' : 'parameters';
  return readSection('integrator', INTEGRATOR, section('integrator', v, INTEGRATOR), { ...D.integrator, errorNorm });
}

/** A top-level option: its default when absent, else read. */
function readTop<K extends keyof typeof TOP>(key: K, v: unknown, D: PresetDefaults): Resolved<typeof TOP>[K] {
  return (v === undefined ? D[key] : TOP[key].read(key, v)) as Resolved<typeof TOP>[K];
}

/** What a run over `worldSize` processes needs of the other options. */
function checkDistributed(
  d: ResolvedDistributed,
  samples: ResolvedSamples,
  fit: ResolvedFit,
  device: DeviceOption,
): void {
  const counts: [string, number][] = [
    ['samples', samples.count],
    ...(samples.heldOut > 0 ? ([['samples.heldOut', samples.heldOut]] as [string, number][]) : []),
    ['fit.batch', fit.batch],
    ['fit.samples', fit.samples],
    ['fit.headSamples', fit.headSamples],
  ];
  for (const [name, n] of counts) {
    if (n < d.worldSize) {
      throw new SpecError(
        'distributed.worldSize',
        `${d.worldSize} processes but ${name} is ${n}: every process needs at least one point of each sample set`,
      );
    }
  }
  if (d.backend === 'nccl' && device === 'cpu') {
    throw new SpecError('distributed.backend', "'nccl' all-reduces CUDA tensors: it needs device 'cuda' or 'auto'");
  }
}

// ---------------------------------------------------------------------------------------------
// Sections: the tables' readers, and what depends on the problem or another option

/** A section's object (absent: empty), with no key its table lacks. */
function section(path: string, v: unknown, table: OptionTable | readonly string[]): Record<string, unknown> {
  if (v === undefined) return {};
  const o = expectObject(path, v);
  rejectUnknownKeys(path, o, Array.isArray(table) ? table : Object.keys(table));
  return o;
}

function readNetwork(
  v: unknown,
  D: PresetDefaults,
  problem: Problem,
  shape: (() => InitialShape) | null,
  sampleCount: number,
  margin: number,
): ResolvedNetwork {
  const d = D.network;
  const order = Math.max(1, derivativeOrder(problem.plan.jets));
  const dirichlet = someAxis(problem.boundary, 'dirichlet');
  const periodic = someAxis(problem.boundary, 'periodic');
  const defaultDecay = () =>
    d.decay !== 'derivativeOrder' ? d.decay : shape === null ? order : decayFor(shape(), order);
  const openFrequencies = () =>
    d.frequencies !== 'finestScale' ? d.frequencies : shape === null ? MAX_DEFAULT_OCTAVE : frequenciesFor(shape());
  // A periodic network's octave k is the open box's octave k + 1: the same highest frequency is one
  // octave fewer. Where only some axes are periodic, the others keep theirs.
  const defaultFrequencies = () => Math.max(0, openFrequencies() - (everyAxis(problem.boundary, 'periodic') ? 1 : 0));
  const defaultEmbedding = () =>
    periodic ||
    (d.embedding !== 'sampleSpacing'
      ? d.embedding
      : shape === null || embeddingFor(shape(), problem.dim, sampleCount, dirichlet));
  const o = section('network', v, NETWORK);
  const embedding =
    o.embedding === undefined ? defaultEmbedding() : NETWORK.embedding.read('network.embedding', o.embedding);
  if (periodic && !embedding) {
    throw new SpecError(
      'network.embedding',
      "must be true for a 'periodic' problem: the network repeats with the domain through its embedding alone (along every periodic axis)",
    );
  }
  const defaultOutput = () =>
    d.output !== 'density' ? d.output : shape === null ? 'linear' : outputFor(shape(), { embedding, dirichlet });
  const output = o.output === undefined ? defaultOutput() : readOutput(o.output, shape);
  const box = sampledBox(problem, margin);
  // An offset needs u free on the faces and free in sign.
  const offsetAllowed = !dirichlet && output === 'linear';
  const defaultOutputOffset = () => {
    if (d.outputOffset !== 'initialMean') return d.outputOffset;
    if (!offsetAllowed) return 0;
    const means = fieldOffsets(problem, box.lower, box.upper);
    return Object.fromEntries(problem.fields.map((name, a) => [name, means[a]]));
  };
  const outputOffset = readOutputOffset(o.outputOffset ?? defaultOutputOffset(), problem.fields);
  if (!offsetAllowed && Object.values(outputOffset).some((v) => v !== 0)) {
    const why = dirichlet
      ? "u is 0 on the faces of a 'dirichlet' boundary"
      : "under output 'exp' u = B·e^m has no offset";
    throw new SpecError('network.outputOffset', `must be 0: ${why}`);
  }
  // Under 'exp' a field's size is the bias of m (u = B·e^m at any size has the same Jacobian up to
  // u itself), so the default leaves c at 1 there.
  const defaultOutputScale = () => {
    if (d.outputScale !== 'initialSize') return d.outputScale;
    if (output === 'exp') return 1;
    const sizes = fieldSizes(
      problem,
      box.lower,
      box.upper,
      problem.fields.map((name) => outputOffset[name]),
    );
    return Object.fromEntries(problem.fields.map((name, a) => [name, sizes[a]]));
  };
  return readSection<typeof NETWORK, ResolvedNetwork>('network', NETWORK, o, d, {
    embedding: () => embedding,
    output: () => output,
    decay: (x) => (x === undefined ? defaultDecay() : NETWORK.decay.read('network.decay', x)),
    frequencies: (x) => (x === undefined ? defaultFrequencies() : NETWORK.frequencies.read('network.frequencies', x)),
    outputScale: (x) => readOutputScale(x ?? defaultOutputScale(), problem.fields),
    outputOffset: () => outputOffset,
  });
}

/** `network.outputOffset` as o by field name for every field: a number for all, or an object (others 0). */
function readOutputOffset(v: unknown, fields: readonly string[]): Record<string, number> {
  return readByField('network.outputOffset', v, fields, NETWORK.outputOffset.read, 0);
}

/** `network.outputScale` as c by field name for every field: a number for all, or an object (others 1). */
function readOutputScale(v: unknown, fields: readonly string[]): Record<string, number> {
  return readByField('network.outputScale', v, fields, NETWORK.outputScale.read, 1);
}

function readLinear(v: unknown, D: PresetDefaults, plan: CompiledProblem, preset: Preset): ResolvedLinear {
  if (v !== undefined) expectObject('linear', v);
  const given = (v as Record<string, unknown> | undefined)?.method;
  const method = given === undefined ? 'pcg' : LINEAR.method.read('linear.method', given);
  const weightDefault = LINEAR.gradientWeight.defaults[preset];
  const gradientWeight = (x: unknown) =>
    x === undefined && weightDefault === 'energyNorm'
      ? energyNormWeights(plan)
      : readGradientWeight(x ?? weightDefault, plan.fields);
  const directionsDefault = LINEAR.gradientDirections.defaults[preset];
  const gradientDirections = (x: unknown) =>
    x !== undefined
      ? LINEAR.gradientDirections.read('linear.gradientDirections', x)
      : directionsDefault === 'dimension'
        ? defaultGradientDirections(plan.dim)
        : directionsDefault;
  if (method === 'dense') {
    const { mu, muScale } = LINEAR;
    const o = section('linear', v, DENSE_KEYS);
    return readSection(
      'linear',
      {
        method: LINEAR.method,
        mu,
        muScale,
        gradientWeight: LINEAR.gradientWeight,
        gradientDirections: LINEAR.gradientDirections,
      },
      o,
      {
        ...D.dense,
        gradientWeight: 0,
        gradientDirections: 'axes',
      },
      { method: () => method, gradientWeight, gradientDirections },
    );
  }
  return readSection(
    'linear',
    LINEAR,
    section('linear', v, LINEAR),
    { ...D.linear, gradientWeight: 0, gradientDirections: 'axes' },
    {
      method: () => method,
      gradientWeight,
      gradientDirections,
    },
  );
}

/** `linear.gradientWeight` as β by field name for every field: a number for all, or an object. */
function readGradientWeight(v: unknown, fields: readonly string[]): Record<string, number> {
  if (v === undefined) return Object.fromEntries(fields.map((name) => [name, 0]));
  return readByField('linear.gradientWeight', v, fields, LINEAR.gradientWeight.read, 0);
}

/**
 * A number for every field, or an object of numbers by field name (fields not named: `absent`),
 * each read by `read`; by field name for every field.
 */
function readByField(
  path: string,
  v: unknown,
  fields: readonly string[],
  read: Reader<number>,
  absent: number,
): Record<string, number> {
  if (typeof v === 'number') {
    const x = read(path, v);
    return Object.fromEntries(fields.map((name) => [name, x]));
  }
  if (!isPlainObject(v)) {
    throw new SpecError(path, `expected a number or an object of numbers by field name, got ${describe(v)}`);
  }
  rejectUnknownKeys(path, v, fields);
  return Object.fromEntries(
    fields.map((name) => [name, v[name] === undefined ? absent : read(`${path}.${name}`, v[name])]),
  );
}

/** Largest margin: the sampled box at most 9 times the domain's width per axis. */
export const MAX_MARGIN = 8;

/**
 * The default margin follows the boundary: 0.5 where some axis has 'none' (it grows those axes
 * only), else 0 (where only 0 is valid). A right-hand side that reads no spatial derivative moves
 * nothing across the faces (each point's u follows its own ODE), so it needs none either: 0.
 */
function readMargin(v: unknown, problem: Problem): number {
  const { boundary } = problem;
  const open = someAxis(boundary, 'none');
  const def = open && derivativeOrder(problem.plan.jets) > 0 ? DEFAULT_MARGIN : 0;
  if (v === undefined) return def;
  const m = withHint("a fraction of each axis's half-width", () => expectNonNegative('margin', v));
  if (m > MAX_MARGIN) throw new SpecError('margin', `expected at most ${MAX_MARGIN}, got ${m}`);
  if (m > 0 && !open) {
    const why =
      boundary === 'dirichlet'
        ? "the boundary factor sits on the domain's faces"
        : boundary === 'periodic'
          ? 'the network repeats with the domain'
          : "no axis has boundary 'none', the only one a margin grows";
    const named = typeof boundary === 'string' ? `a '${boundary}' problem` : 'this problem';
    throw new SpecError('margin', `must be 0 for ${named} (${why}), got ${m}`);
  }
  return m;
}

/** The fit; `maxIterations` defaults to the chosen method's (the preset's, or the other preset's). */
function readFit(v: unknown, D: PresetDefaults): ResolvedFit {
  const o = section('fit', v, FIT);
  const d = D.fit;
  const method = o.method === undefined ? d.method : FIT.method.read('fit.method', o.method);
  const adam = method === 'adam';
  const maxIterations = (x: unknown): number => {
    if (x === undefined) {
      return method === d.method ? d.maxIterations : adam ? D.adamIterations : DEFAULT_OPTIONS.fit.maxIterations;
    }
    const hint = adam ? 'Adam steps, at least 1' : 'Gauss–Newton iterations, at least 1';
    return withHint(hint, () => FIT.maxIterations.read('fit.maxIterations', x));
  };
  return readSection('fit', FIT, o, d, { method: () => method, maxIterations });
}

function readSamples(
  v: unknown,
  D: PresetDefaults,
  problem: Problem,
  shape: (() => InitialShape) | null,
): ResolvedSamples {
  // A concentrated initial condition gets importance sampling unless the user chose.
  const d =
    shape !== null && isConcentrated(shape()) && (!isPlainObject(v) || v.importance === undefined)
      ? { ...D.samples, importance: DEFAULT_IMPORTANCE }
      : D.samples;
  if (v === undefined) return d;
  if (typeof v === 'number') return { ...d, count: SAMPLES.count.read('samples', v) };
  if (!isPlainObject(v)) {
    throw new SpecError(
      'samples',
      `expected a count or { count?, heldOut?, sequence?, importance? }, got ${describe(v)}`,
    );
  }
  rejectUnknownKeys('samples', v, Object.keys(SAMPLES));
  const importance =
    v.importance === undefined ? d.importance : SAMPLES.importance.read('samples.importance', v.importance);
  if (importance !== false && isZeroInitialCondition(problem)) {
    throw new SpecError(
      'samples.importance',
      'the sampling density |u| is zero everywhere: the initial condition is identically zero',
    );
  }
  return readSection('samples', SAMPLES, v, d, { importance: () => importance });
}

/** A given `network.output`: 'exp' only for a u0 positive at every pilot point (or of unknown shape). */
function readOutput(v: unknown, shape: (() => InitialShape) | null): NetworkOutput {
  const output = NETWORK.output.read('network.output', v);
  if (output === 'exp' && shape !== null) {
    const s = shape();
    if (!Number.isNaN(s.occupiedFraction) && !s.positive) {
      throw new SpecError(
        'network.output',
        "'exp' makes every field positive, but the initial condition is zero or negative at some points: use 'linear'",
      );
    }
  }
  return output;
}

/**
 * A network without the embedding has no images of a narrow solution to sample, and along a
 * periodic axis it has them outside the box only (its lowest octave repeats with the whole box,
 * not half of it): with any periodic axis the importance kernels all go where |u| is, unless the
 * user set `imageShare`.
 */
function withoutImages(samples: ResolvedSamples, given: unknown): ResolvedSamples {
  const importance = samples.importance;
  if (importance === false) return samples;
  const own = isPlainObject(given) && isPlainObject(given.importance) ? given.importance.imageShare : undefined;
  return own === undefined ? { ...samples, importance: { ...importance, imageShare: 0 } } : samples;
}

/** True when every output of the compiled initial condition is the constant 0. */
function isZeroInitialCondition(problem: Problem): boolean {
  const initial = problem.plan.initial;
  if (initial === null) return false;
  return initial.outputs.every((i) => {
    const node = initial.nodes[i];
    return node.op === 'const' && node.value === 0;
  });
}

/** Either policy or both; neither given takes the preset's policies, both null is no policy. */
function readRestarts(v: unknown, D: PresetDefaults): ResolvedRestarts | false {
  if (v === false) return false;
  if (v === undefined || v === true) return D.restarts;
  if (!isPlainObject(v)) {
    throw new SpecError(
      'restarts',
      `expected false, true or { timeFraction?, cgIterations?, fitSteps? }, got ${describe(v)}`,
    );
  }
  rejectUnknownKeys('restarts', v, Object.keys(RESTARTS));
  const noPolicy = v.timeFraction === undefined && v.cgIterations === undefined;
  // A policy given switches the other off unless it is given too.
  const none = { timeFraction: null, cgIterations: null, fitSteps: null };
  const restarts = readSection('restarts', RESTARTS, v, noPolicy ? D.restarts : none);
  if (restarts.timeFraction === null && restarts.cgIterations === null) {
    throw new SpecError('restarts', 'both policies are null: give timeFraction or cgIterations, or restarts: false');
  }
  return restarts;
}
