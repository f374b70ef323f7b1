/**
 * The options of `new NeuralIVP(options)` (docs/api.md §2): validation and the paper's defaults
 * (appendix C). `resolveOptions` runs in the constructor, before any native work, and throws a
 * `SpecError` whose `path` names the offending option (`linear.rank`, `integrator.method`, …).
 */
import {
  type DistributedOptions,
  type Environment,
  type ResolvedDistributed,
  readDistributed,
} from '../distributed/options';
import { SpecError } from '../errors';
import type { Activation, DType } from '../native-config';
import { isProblem, type Problem } from '../problem/define';
import { describe } from '../problem/expr';
import {
  deepFreeze,
  expectFinite,
  expectInteger,
  expectNonNegative,
  expectObject,
  expectPositive,
  isPlainObject,
  rejectUnknownKeys,
} from '../problem/validate';

export type { Activation, DType } from '../native-config';
export type IntegratorMethod = 'rk23' | 'rk45';
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

export interface NetworkOptions {
  /** Hidden units per layer (default 100). */
  width?: number;
  /** Hidden layers (default 3). */
  depth?: number;
  /** Nonlinearity (default 'swish'). */
  activation?: Activation;
  /** Highest octave L of the sinusoidal embedding γ, eq. (5) (default 5). */
  frequencies?: number;
  /** α in eq. (5): octave k is damped by 2^(−αk) (default 1). */
  decay?: number;
  /** Factor on γ before the MLP (default 1.5). */
  embeddingScale?: number;
  /** Use the sinusoidal embedding (default true). */
  embedding?: boolean;
}

/** Preconditioned conjugate gradients with a rank-`rank` Nyström preconditioner (the default). */
export interface PcgOptions {
  method?: 'pcg';
  /** Relative residual tolerance of CG (default 1e-8). */
  tol?: number;
  /** CG iteration cap (default 1000). */
  maxIters?: number;
  /** Nyström preconditioner rank; 0 = plain CG (default 200). */
  rank?: number;
  /** Regularization μ in (M + μI) θ̇ = F, scaled as `muScale` says (default 1e-6). */
  mu?: number;
  /** 'solution': μ times the mean square of u on the samples; 'absolute' (default 'solution'). */
  muScale?: MuScale;
  /**
   * Mixed precision (float64 networks only): M·v — CG's products and the Nyström sketch — in
   * float32, while CG's vectors, F and the residual stay float64 (default false). Halves the
   * products' memory traffic (more on GPUs); θ̇ agrees with the float64 solve to 1e-3 relative and
   * reaches the same least-squares residual to 1e-5 (tested), so pair it with a CG tolerance of
   * 1e-5 or looser: float32 products cannot resolve 1e-8.
   */
  mixedPrecision?: boolean;
  /**
   * Keep each block's Nyström preconditioner for the later solves on the same samples — the
   * other stages of an RK step attempt, whose M differs only by θ's small move — instead of
   * sketching M for every solve (default false). θ̇ is the same either way (any SPD
   * preconditioner gives CG the same answer); a kept sketch trades the sketch for CG iterations,
   * and it is dropped once a solve with it needs rank/2 more iterations than the solve that made
   * it, and a solve that fails with it is redone with a fresh sketch. It speeds some problems up
   * and slows others down (docs/results.md), so try it per problem.
   */
  reusePreconditioner?: boolean;
}

/** A dense Cholesky solve of (M + μI) θ̇ = F (small networks only). */
export interface DenseOptions {
  method: 'dense';
  /** Regularization μ (default 1e-6), scaled as `muScale` says. */
  mu?: number;
  /** As for 'pcg' (default 'solution'). */
  muScale?: MuScale;
}

export type LinearOptions = PcgOptions | DenseOptions;

export interface IntegratorOptions {
  /** 'rk45' (Dormand–Prince, default) or 'rk23' (Bogacki–Shampine; the paper's wave maps). */
  method?: IntegratorMethod;
  /** ODE_TOL: a step is accepted when its error norm (`errorNorm`) is ≤ rtol (default 1e-4). */
  rtol?: number;
  /** 'parameters': ‖err_θ‖₂ ≤ rtol·‖θ₀‖₂; 'function': ‖J·err_θ‖ ≤ rtol·‖u‖ on the samples (default 'parameters'). */
  errorNorm?: ErrorNorm;
}

export interface FitOptions {
  /** Adam iterations on the initial condition (default 50 000). */
  steps?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Points per Adam iteration (default 10 000). */
  batch?: number;
  /** Refit the last layer by least squares after Adam (default true). */
  headTuning?: boolean;
  /** Points of the head least-squares fit (default 50 000). */
  headSamples?: number;
}

/**
 * When to restart (refit θ by SGD to the current solution, section 4.2). Either or both:
 * - `timeFraction` f: the reference implementation's wall-clock budget (Finzi's
 *   `LogTimer(timeFrac=f)`): refit before a step once the wall time since the last fit ended
 *   exceeds (average fit duration) / f, so fits take a bounded share of the run (default 0.5).
 * - `cgIterations` c: a conditioning policy — refit once a linear solve needed more than c CG
 *   iterations.
 * `null` switches a policy off; `restarts: false` switches restarts off. `fitSteps` sets the Adam
 * steps of a restart's refit (default: `fit.steps`); a refit starts from a fresh initialisation.
 */
export interface RestartOptions {
  timeFraction?: number | null;
  cgIterations?: number | null;
  fitSteps?: number | null;
}

export interface NeuralIVPOptions {
  problem: Problem;
  network?: NetworkOptions;
  /** Monte Carlo points per dynamics evaluation, n (default 10 000, at least 16). */
  samples?: number;
  /**
   * Boundary 'none' only: the network is fitted and evolved on the domain grown by this fraction
   * of each axis's half-width on every side (default 0.5 for 'none', 0 for 'dirichlet', where it
   * must be 0). Without a constraint on the faces, what flows into the domain during a solve
   * comes from outside it, where an unsampled network only extrapolates: the margin must cover
   * the domain of dependence, (largest speed)·T, for the solution inside to be right.
   */
  margin?: number;
  linear?: LinearOptions;
  integrator?: IntegratorOptions;
  fit?: FitOptions;
  /** Restart policy, or false for none (default { timeFraction: 0.5 }); true = the default. */
  restarts?: RestartOptions | boolean;
  /** Floating point type of the network and solves (default 'float64'). */
  dtype?: DType;
  /** 'auto' picks CUDA when available (default 'auto'). */
  device?: DeviceOption;
  /** Seed of the network initialization and the samples (default 0). */
  seed?: number;
  /** Bytes that native temporaries may use (default 4 GiB). */
  memoryBudget?: number;
  /**
   * A sample-parallel run over several processes (docs/distributed.md); absent: the torchrun
   * environment (`RANK`, `WORLD_SIZE`, `MASTER_ADDR`, `MASTER_PORT`) when set, else one process.
   * `false` (or null): one process whatever the environment.
   */
  distributed?: DistributedOptions | false | null;
}

/** What `new NeuralIVP(…)` accepts: a problem (shorthand for `{ problem }`) or the options. */
export type NeuralIVPInput = Problem | NeuralIVPOptions;

export interface ResolvedNetwork {
  readonly width: number;
  readonly depth: number;
  readonly activation: Activation;
  readonly frequencies: number;
  readonly decay: number;
  readonly embeddingScale: number;
  readonly embedding: boolean;
}

export interface ResolvedPcg {
  readonly method: 'pcg';
  readonly tol: number;
  readonly maxIters: number;
  readonly rank: number;
  readonly mu: number;
  readonly muScale: MuScale;
  readonly mixedPrecision: boolean;
  readonly reusePreconditioner: boolean;
}

export interface ResolvedDense {
  readonly method: 'dense';
  readonly mu: number;
  readonly muScale: MuScale;
}

export type ResolvedLinear = ResolvedPcg | ResolvedDense;

export interface ResolvedIntegrator {
  readonly method: IntegratorMethod;
  readonly rtol: number;
  readonly errorNorm: ErrorNorm;
}

export interface ResolvedFit {
  readonly steps: number;
  readonly lr: number;
  readonly batch: number;
  readonly headTuning: boolean;
  readonly headSamples: number;
}

/** At least one policy is non-null. */
export interface ResolvedRestarts {
  readonly timeFraction: number | null;
  readonly cgIterations: number | null;
  /** null: the refit uses `fit.steps`. */
  readonly fitSteps: number | null;
}

/** Every option filled in; deeply frozen. Feeding it back to `resolveOptions` gives an equal result. */
export interface ResolvedOptions {
  readonly problem: Problem;
  readonly network: ResolvedNetwork;
  readonly samples: number;
  /** The sampled box is the domain grown by margin·(upper − lower)/2 on every side. */
  readonly margin: number;
  readonly linear: ResolvedLinear;
  readonly integrator: ResolvedIntegrator;
  readonly fit: ResolvedFit;
  readonly restarts: ResolvedRestarts | false;
  readonly dtype: DType;
  readonly device: DeviceOption;
  readonly seed: number;
  readonly memoryBudget: number;
  /** null: one process. */
  readonly distributed: ResolvedDistributed | null;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;
/** The default `margin` of a problem with boundary 'none'. */
export const DEFAULT_MARGIN = 0.5;
/** Largest count option (samples, batch, …): 2^31 − 1. */
const MAX_COUNT = 2 ** 31 - 1;

/** The paper's hyperparameters (appendix C), the defaults of every option. */
export const DEFAULT_OPTIONS: Readonly<
  Omit<ResolvedOptions, 'problem' | 'linear' | 'restarts' | 'distributed' | 'margin'>
> & {
  readonly linear: ResolvedPcg;
  readonly dense: ResolvedDense;
  readonly restarts: ResolvedRestarts;
} = deepFreeze({
  network: {
    width: 100,
    depth: 3,
    activation: 'swish',
    frequencies: 5,
    decay: 1,
    embeddingScale: 1.5,
    embedding: true,
  },
  samples: 10_000,
  linear: {
    method: 'pcg',
    tol: 1e-8,
    maxIters: 1000,
    rank: 200,
    mu: 1e-6,
    muScale: 'solution',
    mixedPrecision: false,
    reusePreconditioner: false,
  },
  dense: { method: 'dense', mu: 1e-6, muScale: 'solution' },
  integrator: { method: 'rk45', rtol: 1e-4, errorNorm: 'parameters' },
  fit: { steps: 50_000, lr: 1e-3, batch: 10_000, headTuning: true, headSamples: 50_000 },
  restarts: { timeFraction: 0.5, cgIterations: null, fitSteps: null },
  dtype: 'float64',
  device: 'auto',
  seed: 0,
  memoryBudget: 4 * GiB,
});

const TOP_KEYS = [
  'problem',
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
const NETWORK_KEYS = ['width', 'depth', 'activation', 'frequencies', 'decay', 'embeddingScale', 'embedding'];
const PCG_KEYS = ['method', 'tol', 'maxIters', 'rank', 'mu', 'muScale', 'mixedPrecision', 'reusePreconditioner'];
const DENSE_KEYS = ['method', 'mu', 'muScale'];
const INTEGRATOR_KEYS = ['method', 'rtol', 'errorNorm'];
const FIT_KEYS = ['steps', 'lr', 'batch', 'headTuning', 'headSamples'];
const RESTART_KEYS = ['timeFraction', 'cgIterations', 'fitSteps'];

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
  const D = DEFAULT_OPTIONS;
  const linear = readLinear(raw.linear);
  const dtype = readChoice('dtype', raw.dtype, D.dtype, ['float64', 'float32'] as const);
  if (linear.method === 'pcg' && linear.mixedPrecision && dtype !== 'float64') {
    throw new SpecError(
      'linear.mixedPrecision',
      "needs dtype 'float64': a float32 network already runs its products in float32",
    );
  }
  const samples = readCount('samples', raw.samples, D.samples, 16, 'Monte Carlo points per dynamics evaluation');
  const fit = readFit(raw.fit);
  const device = readChoice('device', raw.device, D.device, ['auto', 'cpu', 'cuda'] as const);
  const distributed = readDistributed(raw.distributed, env);
  if (distributed !== null) checkDistributed(distributed, samples, fit, device);
  return deepFreeze({
    problem: raw.problem,
    network: readNetwork(raw.network),
    samples,
    margin: readMargin(raw.margin, raw.problem.boundary),
    linear,
    integrator: readIntegrator(raw.integrator),
    fit,
    restarts: readRestarts(raw.restarts),
    dtype,
    device,
    distributed,
    seed: readInteger('seed', raw.seed, D.seed, 0, MAX_COUNT),
    memoryBudget: readInteger(
      'memoryBudget',
      raw.memoryBudget,
      D.memoryBudget,
      MiB,
      Number.MAX_SAFE_INTEGER,
      'bytes, at least 1 MiB',
    ),
  }) as ResolvedOptions;
}

/** What a run over `worldSize` processes needs of the other options. */
function checkDistributed(d: ResolvedDistributed, samples: number, fit: ResolvedFit, device: DeviceOption): void {
  const counts: [string, number][] = [
    ['samples', samples],
    ['fit.batch', fit.batch],
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
// Sections

function section(path: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (v === undefined) return {};
  const o = expectObject(path, v);
  rejectUnknownKeys(path, o, keys);
  return o;
}

function readNetwork(v: unknown): ResolvedNetwork {
  const o = section('network', v, NETWORK_KEYS);
  const d = DEFAULT_OPTIONS.network;
  return {
    width: readInteger('network.width', o.width, d.width, 1, 65_536, 'hidden units per layer'),
    depth: readInteger('network.depth', o.depth, d.depth, 1, 64, 'hidden layers'),
    activation: readChoice('network.activation', o.activation, d.activation, ['swish', 'tanh'] as const),
    frequencies: readInteger('network.frequencies', o.frequencies, d.frequencies, 0, 30, 'highest embedding octave L'),
    decay: o.decay === undefined ? d.decay : expectFinite('network.decay', o.decay),
    embeddingScale: readPositive('network.embeddingScale', o.embeddingScale, d.embeddingScale),
    embedding: readBoolean('network.embedding', o.embedding, d.embedding),
  };
}

function readLinear(v: unknown): ResolvedLinear {
  if (v !== undefined) expectObject('linear', v);
  const method = readChoice('linear.method', (v as Record<string, unknown> | undefined)?.method, 'pcg', [
    'pcg',
    'dense',
  ] as const);
  if (method === 'dense') {
    const o = section('linear', v, DENSE_KEYS);
    const d = DEFAULT_OPTIONS.dense;
    return { method, mu: readNonNegative('linear.mu', o.mu, d.mu), muScale: readMuScale(o.muScale, d.muScale) };
  }
  const o = section('linear', v, PCG_KEYS);
  const d = DEFAULT_OPTIONS.linear;
  return {
    method,
    tol: readFraction('linear.tol', o.tol, d.tol, 'the relative CG residual tolerance'),
    maxIters: readCount('linear.maxIters', o.maxIters, d.maxIters, 1, 'the CG iteration cap'),
    rank: readInteger('linear.rank', o.rank, d.rank, 0, 100_000, 'Nyström preconditioner rank; 0 = no preconditioner'),
    mu: readNonNegative('linear.mu', o.mu, d.mu),
    muScale: readMuScale(o.muScale, d.muScale),
    mixedPrecision: readBoolean('linear.mixedPrecision', o.mixedPrecision, d.mixedPrecision),
    reusePreconditioner: readBoolean('linear.reusePreconditioner', o.reusePreconditioner, d.reusePreconditioner),
  };
}

function readIntegrator(v: unknown): ResolvedIntegrator {
  const o = section('integrator', v, INTEGRATOR_KEYS);
  const d = DEFAULT_OPTIONS.integrator;
  return {
    method: readChoice('integrator.method', o.method, d.method, ['rk23', 'rk45'] as const),
    rtol: readFraction('integrator.rtol', o.rtol, d.rtol, 'the relative step tolerance ODE_TOL'),
    errorNorm: readChoice('integrator.errorNorm', o.errorNorm, d.errorNorm, ['parameters', 'function'] as const),
  };
}

function readMuScale(v: unknown, def: MuScale): MuScale {
  return readChoice('linear.muScale', v, def, ['solution', 'absolute'] as const);
}

/** Largest margin: the sampled box at most 9 times the domain's width per axis. */
const MAX_MARGIN = 8;

/** The default margin follows the boundary: 0.5 for 'none', 0 for 'dirichlet' (where only 0 is valid). */
function readMargin(v: unknown, boundary: 'dirichlet' | 'none'): number {
  const def = boundary === 'none' ? DEFAULT_MARGIN : 0;
  if (v === undefined) return def;
  const m = withHint("a fraction of each axis's half-width", () => expectNonNegative('margin', v));
  if (m > MAX_MARGIN) throw new SpecError('margin', `expected at most ${MAX_MARGIN}, got ${m}`);
  if (m > 0 && boundary === 'dirichlet') {
    throw new SpecError(
      'margin',
      `must be 0 for a 'dirichlet' problem (the boundary factor sits on the domain's faces), got ${m}`,
    );
  }
  return m;
}

function readFit(v: unknown): ResolvedFit {
  const o = section('fit', v, FIT_KEYS);
  const d = DEFAULT_OPTIONS.fit;
  return {
    steps: readInteger('fit.steps', o.steps, d.steps, 0, MAX_COUNT, 'Adam iterations; 0 skips Adam'),
    lr: readPositive('fit.lr', o.lr, d.lr),
    batch: readCount('fit.batch', o.batch, d.batch, 1, 'points per Adam iteration'),
    headTuning: readBoolean('fit.headTuning', o.headTuning, d.headTuning),
    headSamples: readCount('fit.headSamples', o.headSamples, d.headSamples, 16, 'points of the head least-squares fit'),
  };
}

function readRestarts(v: unknown): ResolvedRestarts | false {
  if (v === false) return false;
  if (v === undefined || v === true) return DEFAULT_OPTIONS.restarts;
  if (!isPlainObject(v)) {
    throw new SpecError('restarts', `expected false, true or { timeFraction?, cgIterations? }, got ${describe(v)}`);
  }
  rejectUnknownKeys('restarts', v, RESTART_KEYS);
  const noPolicy = v.timeFraction === undefined && v.cgIterations === undefined;
  const timeFraction = noPolicy
    ? DEFAULT_OPTIONS.restarts.timeFraction
    : v.timeFraction === undefined || v.timeFraction === null
      ? null
      : readPositive('restarts.timeFraction', v.timeFraction, 0, 'the share of wall time that refits may take');
  const cgIterations =
    v.cgIterations === undefined || v.cgIterations === null
      ? null
      : readCount(
          'restarts.cgIterations',
          v.cgIterations,
          0,
          1,
          'refit once a solve needs more CG iterations than this',
        );
  if (timeFraction === null && cgIterations === null) {
    throw new SpecError('restarts', 'both policies are null: give timeFraction or cgIterations, or restarts: false');
  }
  const fitSteps =
    v.fitSteps === undefined || v.fitSteps === null
      ? null
      : readCount('restarts.fitSteps', v.fitSteps, 0, 1, 'the Adam steps of a restart refit');
  return { timeFraction, cgIterations, fitSteps };
}

// ---------------------------------------------------------------------------------------------
// Fields: `undefined` takes the default; the checks of problem/validate.ts, with a hint appended.

function withHint<T>(hint: string | undefined, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (hint !== undefined && e instanceof SpecError) throw new SpecError(e.path, `${e.detail} (${hint})`);
    throw e;
  }
}

function readInteger(path: string, v: unknown, def: number, min: number, max: number, hint?: string): number {
  return v === undefined ? def : withHint(hint, () => expectInteger(path, v, min, max));
}

function readCount(path: string, v: unknown, def: number, min: number, hint?: string): number {
  return readInteger(path, v, def, min, MAX_COUNT, hint);
}

function readPositive(path: string, v: unknown, def: number, hint?: string): number {
  return v === undefined ? def : withHint(hint, () => expectPositive(path, v));
}

function readNonNegative(path: string, v: unknown, def: number): number {
  return v === undefined ? def : withHint('the regularization μ of (M + μI)', () => expectNonNegative(path, v));
}

/** A number in (0, 1). */
function readFraction(path: string, v: unknown, def: number, hint: string): number {
  if (v === undefined) return def;
  const x = withHint(hint, () => expectPositive(path, v));
  if (x >= 1) throw new SpecError(path, `expected a number in (0, 1), got ${x} (${hint})`);
  return x;
}

function readBoolean(path: string, v: unknown, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new SpecError(path, `expected true or false, got ${describe(v)}`);
  return v;
}

function readChoice<const C extends string>(path: string, v: unknown, def: C, choices: readonly C[]): C {
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new SpecError(path, `expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as C;
}
