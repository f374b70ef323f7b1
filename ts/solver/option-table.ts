/**
 * Every option of `new NeuralIVP(options)` declared once: how a given value is read (and judged:
 * a `SpecError` naming the option), its default under each preset, a one-line doc, the `run`
 * flag that sets it, whether the native session receives it under its own name, and how that
 * value is read back from a solution file. options.ts derives the presets, the resolved types and
 * the validation from these tables, session-config.ts the native config, save-format.ts the
 * session's checks, and the CLI its flag names.
 *
 * The public option interfaces (options.ts) carry the full TSDoc; a compile-time check there
 * keeps their keys equal to these tables'.
 */
import { SpecError } from '../errors';
import type { MethodName } from '../integrate/methods';
import type { Activation, DType, NetworkOutput } from '../native-config';
import { describe } from '../problem/expr';
import {
  expectFinite,
  expectInteger,
  expectNonNegative,
  expectPositive,
  isPlainObject,
  rejectUnknownKeys,
} from '../problem/validate';

/** 'default': the package's CPU-sized defaults; 'paper': the paper's GPU configuration (appendix C). */
export type Preset = 'default' | 'paper';

/** Reads a given value (never `undefined`: that takes the default), or throws a `SpecError` at `path`. */
export type Reader<T> = (path: string, v: unknown) => T;

/** How the native value is checked when a solution file is read back (absent in older files: `legacy`). */
export type SavedForm =
  | { readonly type: 'positive' | 'nonNegative' }
  /** A number in (0, 1]. */
  | { readonly type: 'share' }
  /** A number in [0, 1). */
  | { readonly type: 'partShare'; readonly legacy?: number }
  | { readonly type: 'count'; readonly min?: number; readonly legacy?: number }
  | { readonly type: 'boolean'; readonly legacy?: boolean }
  | { readonly type: 'choice'; readonly choices: readonly string[]; readonly legacy?: string };

export interface OptionSpec<T, Default = T> {
  /** One line: what the option sets. */
  readonly doc: string;
  /** The value an absent option takes under each preset. */
  readonly defaults: Readonly<Record<Preset, Default>>;
  readonly read: Reader<T>;
  /** The `neural-ivp run` flag that sets it. */
  readonly flag?: string;
  /** The native session config receives the resolved value under the option's own name. */
  readonly native?: true;
  /** How a solution file's session config is checked for it (native code trusts that config). */
  readonly saved?: SavedForm;
}

/** A section's options by name. */
// biome-ignore lint/suspicious/noExplicitAny: a table holds options of every value type
export type OptionTable = Readonly<Record<string, OptionSpec<any, any>>>;

/** A section's resolved values: each option's read type. */
export type Resolved<Table extends OptionTable> = {
  readonly [K in keyof Table]: Table[K] extends OptionSpec<infer T, infer _D> ? T : never;
};

/** The options of a table that the native session receives under their own names. */
export type NativeKeys<Table extends OptionTable> = {
  [K in keyof Table]: Table[K] extends { readonly native: true } ? K : never;
}[keyof Table];

/** What the native session receives of a resolved section. */
export type NativeValues<Table extends OptionTable> = Pick<Resolved<Table>, NativeKeys<Table>>;

/** A section's defaults under one preset. */
export type Defaults<Table extends OptionTable> = {
  readonly [K in keyof Table]: Table[K] extends OptionSpec<infer _T, infer D> ? D : never;
};

const both = <T>(value: T): Readonly<Record<Preset, T>> => ({ default: value, paper: value });

// ---------------------------------------------------------------------------------------------
// Readers: the checks of problem/validate.ts, with a hint appended to the message.

/** Largest count option (samples, batch, …): 2^31 − 1. */
export const MAX_COUNT = 2 ** 31 - 1;
/** Fewest points of a Monte Carlo set (a step's samples, a fit's batch, a measurement). */
export const MIN_POINTS = 16;
const MiB = 2 ** 20;

export function withHint<T>(hint: string | undefined, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (hint !== undefined && e instanceof SpecError) throw new SpecError(e.path, `${e.detail} (${hint})`);
    throw e;
  }
}

export const integer =
  (min: number, max: number, hint?: string): Reader<number> =>
  (path, v) =>
    withHint(hint, () => expectInteger(path, v, min, max));

export const count = (min: number, hint?: string): Reader<number> => integer(min, MAX_COUNT, hint);

export const positive =
  (hint?: string): Reader<number> =>
  (path, v) =>
    withHint(hint, () => expectPositive(path, v));

export const finite =
  (hint: string): Reader<number> =>
  (path, v) =>
    withHint(hint, () => expectFinite(path, v));

export const nonNegative =
  (hint: string): Reader<number> =>
  (path, v) =>
    withHint(hint, () => expectNonNegative(path, v));

/** A number in (0, 1). */
export const fraction =
  (hint: string): Reader<number> =>
  (path, v) => {
    const x = withHint(hint, () => expectPositive(path, v));
    if (x >= 1) throw new SpecError(path, `expected a number in (0, 1), got ${x} (${hint})`);
    return x;
  };

export const boolean: Reader<boolean> = (path, v) => {
  if (typeof v !== 'boolean') throw new SpecError(path, `expected true or false, got ${describe(v)}`);
  return v;
};

/** One of `choices` (which the reader carries, for the CLI's help). */
export function choice<const C extends string>(choices: readonly C[]): Reader<C> & { readonly choices: readonly C[] } {
  const read: Reader<C> = (path, v) => {
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      throw new SpecError(path, `expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(v)}`);
    }
    return v as C;
  };
  return Object.assign(read, { choices });
}

/** `null` means "none"; anything else is read. */
export const nullable =
  <T>(read: Reader<T>): Reader<T | null> =>
  (path, v) =>
    v === null ? null : read(path, v);

// ---------------------------------------------------------------------------------------------
// The tables, one per section of the options.

/** Adam steps of the paper's fit (appendix C). */
export const PAPER_ADAM_STEPS = 50_000;

const MU_HINT = 'the regularization μ of (M + μI)';

export const NETWORK = {
  width: {
    doc: 'hidden units per layer',
    defaults: { default: 48, paper: 100 },
    read: integer(1, 65_536, 'hidden units per layer'),
    flag: '--width',
    native: true,
  },
  depth: {
    doc: 'hidden layers',
    defaults: both(3),
    read: integer(1, 64, 'hidden layers'),
    flag: '--depth',
    native: true,
  },
  activation: {
    doc: 'the nonlinearity',
    defaults: both<Activation>('swish'),
    read: choice<Activation>(['swish', 'tanh']),
    native: true,
  },
  frequencies: {
    doc: "the highest octave L of the sinusoidal embedding ('finestScale': two above u0's finest, in [3, 5])",
    // Resolved per problem by options.ts (initial-shape.ts, frequenciesFor).
    defaults: { default: 'finestScale', paper: 5 } as Record<Preset, number | 'finestScale'>,
    read: integer(0, 30, 'highest embedding octave L'),
    native: true,
  },
  decay: {
    doc: "α: octave k of the embedding is damped by 2^(−αk) ('derivativeOrder': per problem)",
    defaults: { default: 'derivativeOrder', paper: 1 } as Record<Preset, number | 'derivativeOrder'>,
    read: nonNegative('a damping: 0 weighs every octave alike'),
    native: true,
  },
  embeddingScale: {
    doc: 'the factor on the embedding before the MLP',
    defaults: both(1.5),
    read: positive(),
    native: true,
  },
  embedding: {
    doc: "use the sinusoidal embedding ('sampleSpacing': unless u0 is a density, or concentrated with fewer than two samples per axis across its width)",
    // Resolved per problem by options.ts (initial-shape.ts, embeddingFor).
    defaults: { default: 'sampleSpacing', paper: true } as Record<Preset, boolean | 'sampleSpacing'>,
    read: boolean,
    native: true,
  },
  output: {
    doc: "the field from the MLP's output m: 'linear' u = B·m, or 'exp' u = B·e^m, a positive field whose log the MLP fits ('density': 'exp' for a density read at the raw point, small on Dirichlet faces)",
    // Resolved per problem by options.ts (initial-shape.ts, outputFor).
    defaults: { default: 'density', paper: 'linear' } as Record<Preset, NetworkOutput | 'density'>,
    read: choice<NetworkOutput>(['linear', 'exp']),
    native: true,
  },
  outputScale: {
    doc: "c in u = c·B·m (c·B·e^m), so the MLP fits u/c, of size 1 in any units (a number, or by field; 'initialSize': each field's largest |u0 − outputOffset|, 1 under 'exp')",
    // Resolved per problem, for every field, by options.ts (initial-shape.ts, fieldSizes); sent
    // in field order (session-config.ts).
    defaults: { default: 'initialSize', paper: 1 } as Record<Preset, number | 'initialSize'>,
    read: positive('a field size'),
  },
  outputOffset: {
    doc: "o in u = o + c·B·m, so the MLP fits the variation u − o, which the fit's error, μ's scale and the sampling read (a number, or by field; 'initialMean': a field's mean over u0 where it is at least twice u0's spread about it, else 0; 0 under a Dirichlet boundary or 'exp')",
    // Resolved per problem, for every field, by options.ts (initial-shape.ts, fieldOffsets); sent
    // in field order (session-config.ts).
    defaults: { default: 'initialMean', paper: 0 } as Record<Preset, number | 'initialMean'>,
    read: finite('a constant in the units of u'),
  },
} satisfies OptionTable;

/** The linear solve: every key of 'pcg'; 'dense' takes those in `DENSE_KEYS`. */
export const LINEAR = {
  method: {
    doc: 'the linear solver of (M + μI)θ̇ = F: preconditioned CG, or dense Cholesky for small networks',
    defaults: both<'pcg' | 'dense'>('pcg'),
    read: choice(['pcg', 'dense']),
    flag: '--linear',
    native: true,
  },
  tol: {
    doc: 'the relative residual tolerance of CG',
    defaults: both(1e-8),
    read: fraction('the relative CG residual tolerance'),
    native: true,
    saved: { type: 'positive' },
  },
  maxIters: {
    doc: 'the CG iteration cap',
    defaults: both(1000),
    read: count(1, 'the CG iteration cap'),
    native: true,
    saved: { type: 'count' },
  },
  rank: {
    doc: 'the preconditioner rank per field block; 0 = plain CG',
    defaults: { default: 100, paper: 200 },
    read: integer(0, 100_000, 'Nyström preconditioner rank; 0 = no preconditioner'),
    flag: '--rank',
    native: true,
    saved: { type: 'count' },
  },
  maxRank: {
    doc: "the rank a block's preconditioner may grow to when its solves need many CG iterations; ≤ rank: fixed",
    defaults: { default: 400, paper: 0 },
    read: integer(0, 100_000, 'the largest Nyström rank a block may grow to; at most rank: a fixed rank'),
    native: true,
    // Files written before the option existed were solved at a fixed rank.
    saved: { type: 'count', legacy: 0 },
  },
  mu: {
    doc: 'the regularization μ, scaled as muScale says',
    defaults: both(1e-6),
    read: nonNegative(MU_HINT),
    native: true,
    saved: { type: 'nonNegative' },
  },
  muScale: {
    doc: "μ times the mean square of u on the samples ('solution'), or μ as given ('absolute')",
    defaults: { default: 'solution', paper: 'absolute' } as Record<Preset, 'solution' | 'absolute'>,
    read: choice(['solution', 'absolute']),
    native: true,
    // Files written before the option existed were solved with μ as given.
    saved: { type: 'choice', choices: ['solution', 'absolute'], legacy: 'absolute' },
  },
  mixedPrecision: {
    doc: 'M·v in float32 while CG runs in float64 (float64 networks only)',
    defaults: both(false),
    read: boolean,
    native: true,
    saved: { type: 'boolean', legacy: false },
  },
  reusePreconditioner: {
    doc: "keep each block's preconditioner across RK stages and steps, under an iteration cap",
    defaults: { default: true, paper: false },
    read: boolean,
    native: true,
    saved: { type: 'boolean', legacy: false },
  },
  gradientWeight: {
    doc: "β: project a field's step in ‖·‖² + β‖∇·‖² instead of L² (a number, or by field; 'energyNorm': per problem)",
    // Resolved per problem (β for every field) by options.ts (energy-norm.ts); sent as gradient
    // rows (session-config.ts).
    defaults: { default: 'energyNorm', paper: 0 } as Record<Preset, number | 'energyNorm'>,
    read: nonNegative('a squared length'),
    flag: '--gradient-weight',
  },
  gradientDirections: {
    doc: "the gradient norm's differences: along every axis ('axes', 1 + 2D rows per point) or one random direction per point ('sampled', 3 rows; unbiased)",
    // Resolved per problem by options.ts; sent with the gradient rows (session-config.ts).
    defaults: { default: 'dimension', paper: 'axes' } as Record<Preset, 'axes' | 'sampled' | 'dimension'>,
    read: choice(['axes', 'sampled']),
    flag: '--gradient-directions',
  },
} satisfies OptionTable;

/** The options a dense solve takes. */
export const DENSE_KEYS = [
  'method',
  'mu',
  'muScale',
  'gradientWeight',
  'gradientDirections',
] as const satisfies readonly (keyof typeof LINEAR)[];

export const INTEGRATOR = {
  method: {
    doc: "the integrator: 'rk45' (Dormand–Prince), 'rk23' (Bogacki–Shampine) or 'rkc' (Runge–Kutta–Chebyshev, for stiff problems)",
    defaults: both<MethodName>('rk45'),
    read: choice(['rk23', 'rk45', 'rkc']),
    flag: '--method',
  },
  rtol: {
    doc: "the step tolerance: accept a step when its error norm is ≤ rtol (the paper's ODE_TOL)",
    defaults: both(1e-4),
    read: fraction('the relative step tolerance ODE_TOL'),
    flag: '--rtol',
  },
  errorNorm: {
    doc: "the step's error norm: of θ relative to ‖θ₀‖ ('parameters'), or of u relative to ‖u‖ ('function'); ('output': 'function' under network.output 'exp', else 'parameters')",
    // Resolved per problem by options.ts (readIntegrator).
    defaults: { default: 'output', paper: 'parameters' } as Record<Preset, 'parameters' | 'function' | 'output'>,
    read: choice(['parameters', 'function']),
  },
  stiffSwitch: {
    doc: "with 'rk45': go on with 'rkc' once the steps are held at the stability limit by a decay, with over 50 left",
    defaults: both(false),
    read: boolean,
  },
  refine: {
    doc: 'Gauss–Newton iterations after each step toward its function-space target (0: the projected step alone)',
    defaults: both(0),
    read: integer(0, 100, 'Gauss–Newton iterations per step; 0 turns refinement off'),
    flag: '--refine',
  },
} satisfies OptionTable;

/**
 * The fit. `tol`, `maxSeconds`, `maxIterations`, `steps` and `warmupSteps` reach native code
 * through `fitConfigFor` (session-config.ts), which turns null into 0 and folds in the method.
 */
export const FIT = {
  method: {
    doc: "the fit of the initial condition and of each restart: 'gauss-newton' or 'adam'",
    defaults: { default: 'gauss-newton', paper: 'adam' } as Record<Preset, 'gauss-newton' | 'adam'>,
    read: choice(['gauss-newton', 'adam']),
    flag: '--fit-method',
    native: true,
  },
  tol: {
    doc: 'the relative L2 error on held-out points, of each field against its own size, at which the fit stops',
    defaults: { default: 1e-5, paper: null } as Record<Preset, number | null>,
    read: nullable(positive('a relative L2 error to stop at; null for none')),
    flag: '--fit-tol',
  },
  maxIterations: {
    doc: "the iteration cap: Gauss–Newton iterations, or Adam steps with 'adam'",
    // With a method other than the preset's, the default is that method's (options.ts).
    defaults: { default: 200, paper: PAPER_ADAM_STEPS },
    read: count(1),
  },
  maxSeconds: {
    doc: 'the wall-clock budget of each fit in seconds, head tuning excluded',
    defaults: { default: 60, paper: null } as Record<Preset, number | null>,
    read: nullable(positive('seconds; null for no time limit')),
    flag: '--fit-seconds',
  },
  steps: {
    doc: 'a cap on the iterations whatever the method; 0 runs head tuning only',
    defaults: both<number | null>(null),
    read: nullable(integer(0, MAX_COUNT, 'caps the iterations; 0 runs head tuning only')),
    flag: '--fit-steps',
  },
  lr: { doc: 'the Adam learning rate', defaults: both(1e-3), read: positive(), native: true },
  batch: {
    doc: 'points per Adam step',
    defaults: { default: 2000, paper: 10_000 },
    read: count(1, 'points per Adam step'),
    flag: '--fit-batch',
    native: true,
  },
  samples: {
    doc: 'Gauss–Newton: fresh points per iteration at the start',
    defaults: { default: 2000, paper: 10_000 },
    read: count(MIN_POINTS, 'points per Gauss–Newton iteration'),
    native: true,
  },
  maxSamples: {
    doc: 'Gauss–Newton: the most points per iteration, doubled to on each stall',
    defaults: { default: 16_000, paper: 80_000 },
    read: count(MIN_POINTS, 'the most points per Gauss–Newton iteration the batch grows to'),
    native: true,
  },
  rank: {
    doc: 'Gauss–Newton: the Nyström preconditioner rank per field block; 0 = plain CG',
    defaults: { default: 100, paper: 200 },
    read: integer(0, 100_000, 'Nyström rank of the Gauss–Newton solves; 0 = plain CG'),
    native: true,
  },
  warmupSteps: {
    doc: 'Gauss–Newton: Adam steps before the first iteration',
    defaults: both(0),
    read: integer(0, MAX_COUNT, 'Adam steps before Gauss–Newton'),
  },
  headTuning: {
    doc: 'refit the last layer by least squares at the end, kept when it lowers the error',
    defaults: both(true),
    read: boolean,
    native: true,
  },
  headSamples: {
    doc: 'points of the head least-squares fit',
    defaults: { default: 20_000, paper: 50_000 },
    read: count(MIN_POINTS, 'points of the head least-squares fit'),
    native: true,
  },
  rateFeatures: {
    doc: "a field whose u0 is zero everywhere (a wave's velocity from rest): fit its network to its initial rate f(u0), then zero its last layer, so the first steps' tangent space holds that rate",
    defaults: { default: true, paper: false },
    read: boolean,
  },
  allowPoorFit: {
    doc: 'evolve from an initial fit above POOR_FIT_FACTOR × tol instead of refusing it',
    defaults: both(false),
    read: boolean,
    flag: '--allow-poor-fit',
  },
} satisfies OptionTable;

/**
 * Importance sampling's proposal: a mixture of uniform points and Gaussian kernels around points
 * drawn ∝ |u|. The session receives it as `sampling.importance`.
 */
export const IMPORTANCE = {
  uniformShare: {
    doc: 'the uniform share α of the proposal, in (0, 1]: weights are at most 1/α',
    defaults: both(0.2),
    read: (path: string, v: unknown): number => {
      const share = positive('the uniform share of the proposal density, in (0, 1]')(path, v);
      if (share > 1) throw new SpecError(path, `expected a number in (0, 1], got ${share}`);
      return share;
    },
    native: true,
    saved: { type: 'share' },
  },
  kernels: {
    doc: 'Gaussian kernels of the proposal',
    defaults: both(256),
    read: integer(1, 100_000, 'Gaussian kernels'),
    native: true,
    saved: { type: 'count', min: 1 },
  },
  pilot: {
    doc: 'pilot points the kernel centres are drawn from',
    defaults: both(4096),
    read: count(MIN_POINTS, 'pilot points the kernels are drawn from'),
    native: true,
    saved: { type: 'count', min: 1 },
  },
  imageShare: {
    doc: "the share of the kernels at the embedding's images: half a box from a drawn centre, in [0, 1)",
    defaults: both(0.5),
    read: (path: string, v: unknown): number => {
      const share = nonNegative('the share of the kernels placed at images, in [0, 1)')(path, v);
      if (share >= 1) throw new SpecError(path, `expected a number in [0, 1), got ${share}`);
      return share;
    },
    native: true,
    // Files written before the option existed drew no kernels at images.
    saved: { type: 'partShare', legacy: 0 },
  },
} satisfies OptionTable;

export type ResolvedImportance = Resolved<typeof IMPORTANCE>;

/** The importance-sampling settings `importance: true` stands for. */
export const DEFAULT_IMPORTANCE: ResolvedImportance = Object.freeze(defaultsOf(IMPORTANCE, 'default'));

/** How the Monte Carlo points are drawn (`samples` may also be the count alone). */
export const SAMPLES = {
  count: {
    doc: 'Monte Carlo points per dynamics evaluation',
    defaults: { default: 4000, paper: 10_000 },
    read: count(MIN_POINTS, 'Monte Carlo points per dynamics evaluation'),
    flag: '--samples',
  },
  heldOut: {
    doc: "points of a second set drawn with each step's samples, where the step's θ̇ residual is measured; 0: none",
    defaults: { default: 1000, paper: 0 },
    read: integer(0, MAX_COUNT, "points where each step's residual is measured apart from its samples"),
    flag: '--held-out',
  },
  sequence: {
    doc: 'scrambled Sobol points, a fresh scramble per set, or independent uniform draws',
    defaults: { default: 'sobol', paper: 'uniform' } as Record<Preset, 'uniform' | 'sobol'>,
    read: choice(['uniform', 'sobol']),
    flag: '--sequence',
  },
  importance: {
    doc: 'importance sampling ∝ |u| (true: the default settings)',
    // The default preset turns it on for a concentrated initial condition (options.ts).
    defaults: both<ResolvedImportance | false>(false),
    read: (path: string, v: unknown): ResolvedImportance | false => {
      if (v === false) return false;
      if (v === true) return DEFAULT_IMPORTANCE;
      if (!isPlainObject(v)) {
        throw new SpecError(
          path,
          `expected a boolean or { uniformShare?, kernels?, pilot?, imageShare? }, got ${describe(v)}`,
        );
      }
      rejectUnknownKeys(path, v, Object.keys(IMPORTANCE));
      return readSection(path, IMPORTANCE, v, DEFAULT_IMPORTANCE);
    },
    flag: '--importance',
  },
} satisfies OptionTable;

/** The restart policies; reading them (either policy, or neither) is options.ts's `readRestarts`. */
export const RESTARTS = {
  timeFraction: {
    doc: 'refit once the time since the last fit exceeds (mean fit time) / f',
    defaults: { default: null, paper: 0.5 } as Record<Preset, number | null>,
    read: nullable(positive('the share of wall time that refits may take')),
  },
  cgIterations: {
    doc: 'refit once a solve needed more than this many CG iterations',
    defaults: { default: 500, paper: null } as Record<Preset, number | null>,
    read: nullable(count(1, 'refit once a solve needs more CG iterations than this')),
  },
  fitSteps: {
    doc: "a cap on a restart's refit iterations; null: the fit's own caps",
    defaults: both<number | null>(null),
    read: nullable(count(1, 'caps the iterations of a restart refit')),
  },
} satisfies OptionTable;

/**
 * The options outside a section; `problem`, `preset`, `samples`, `margin`, `restarts` and
 * `distributed` are read on their own (options.ts, distributed/options.ts).
 */
export const TOP = {
  dtype: {
    doc: 'the floating point type of the network and solves',
    defaults: both<DType>('float64'),
    read: choice<DType>(['float64', 'float32']),
    flag: '--dtype',
  },
  device: {
    doc: 'where to compute; auto picks CUDA when available',
    defaults: both<'auto' | 'cpu' | 'cuda'>('auto'),
    read: choice(['auto', 'cpu', 'cuda']),
    flag: '--device',
  },
  seed: {
    doc: 'the seed of the network initialization and the samples',
    defaults: both(0),
    read: integer(0, MAX_COUNT),
    flag: '--seed',
    native: true,
    saved: { type: 'count' },
  },
  memoryBudget: {
    doc: "bytes that native temporaries and a dense solve may use, at least 1 MiB, or 'auto'",
    defaults: both<number | 'auto'>('auto'),
    read: (path: string, v: unknown): number | 'auto' =>
      v === 'auto'
        ? 'auto'
        : withHint("bytes, at least 1 MiB, or 'auto'", () => expectInteger(path, v, MiB, Number.MAX_SAFE_INTEGER)),
  },
} satisfies OptionTable;

// ---------------------------------------------------------------------------------------------
// What the tables give

/** Every section's table by the option path that prefixes its options ('' for the top level). */
export const SECTIONS = {
  network: NETWORK,
  linear: LINEAR,
  integrator: INTEGRATOR,
  fit: FIT,
  samples: SAMPLES,
  'samples.importance': IMPORTANCE,
  restarts: RESTARTS,
  '': TOP,
} as const;

/** A table's defaults under `preset`. */
export function defaultsOf<Table extends OptionTable>(table: Table, preset: Preset): Defaults<Table> {
  return Object.fromEntries(
    Object.entries(table).map(([key, spec]) => [key, spec.defaults[preset]]),
  ) as Defaults<Table>;
}

/**
 * The options of `table` read from the section object `o` at `path`: each one given is read,
 * each one absent takes `defaults`; `special` reads the options whose default or check depends on
 * more than the value (the problem, another option).
 */
export function readSection<Table extends OptionTable, R = Resolved<Table>>(
  path: string,
  table: Table,
  o: Record<string, unknown>,
  defaults: Defaults<Table>,
  special: { readonly [K in keyof Table]?: (v: unknown) => unknown } = {},
): R {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const own = special[key];
    const v = o[key];
    out[key] = own !== undefined ? own(v) : v === undefined ? defaults[key] : spec.read(`${path}.${key}`, v);
  }
  return out as R;
}

/** The values the native session receives from a resolved section, under the options' own names. */
export function nativeValues<Table extends OptionTable>(
  table: Table,
  values: object,
  keys: readonly (keyof Table & string)[] = Object.keys(table),
): Record<string, unknown> {
  const v = values as Readonly<Record<string, unknown>>;
  return Object.fromEntries(keys.filter((key) => table[key].native === true).map((key) => [key, v[key]]));
}

/** The `run` flag that sets each option path. */
export function flagsOfPaths(): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const [section, table] of Object.entries(SECTIONS)) {
    for (const [key, spec] of Object.entries(table as OptionTable)) {
      if (spec.flag !== undefined) flags[section === '' ? key : `${section}.${key}`] = spec.flag;
    }
  }
  return flags;
}

/** The option at `path` ('fit.tol', 'seed'), or undefined. */
export function optionAt(path: string): OptionSpec<unknown> | undefined {
  const dot = path.lastIndexOf('.');
  const table: OptionTable | undefined = (SECTIONS as Record<string, OptionTable>)[dot < 0 ? '' : path.slice(0, dot)];
  const key = path.slice(dot + 1);
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
