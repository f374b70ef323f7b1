/**
 * The memory a run will need, estimated from the options before any native work, so that a run
 * that cannot fit is refused in a moment with a `SpecError` naming the option to change, instead
 * of growing until the machine swaps or libtorch fails an allocation.
 *
 * What it counts (bytes; s = 8 for float64, 4 for float32; n samples per process, k fields, D
 * dimensions, w width, L depth, F = 2(L_emb + 1)·D embedding features or D, p_a parameters per
 * field, p = k·p_a, P second-derivative pairs the plan reads, rows = n, or n(1 + 2D) with
 * gradient rows):
 * - one RK stage: the points (8nD); the jets (s·n·k(2 + D + P)); the Jacobian caches kept for the
 *   solve (s·rows·(F + k(2Lw + 1)), half again with mixed precision); the forward pass's chunk
 *   temporaries (4s(2 + D + P)·max(w, F) per row of a pass: 2048 rows on a CPU, the whole batch
 *   on CUDA; at most memoryBudget); θ-sized vectors (16 of them: the state, the RK stages and
 *   the CG vectors); and the linear solver: the Nyström preconditioners (3·s·k·p_a·rank), or a
 *   dense block's solve (native/solvers/dense.cc: s(rows·p_a + 4p_a² + 4(rows + p_a)) + 1 MiB).
 * - each step's held-out check (`samples.heldOut` points, after the solve): their points, jets and
 *   Jacobian caches, beside the samples' points and jets and the preconditioners.
 * - the initial fit: the same caches for its largest Gauss–Newton batch (fit.maxSamples points)
 *   or Adam batch, its Nyström sketch, head tuning's system, and a pool for `initialValues`.
 * Not counted: libtorch's and Node's own footprint (a few hundred MB) and allocator slack; the
 * estimate is a floor of what the run needs, so it refuses only what cannot fit.
 */
import os from 'node:os';
import { SpecError } from '../errors';
import { native } from '../native';
import type { DeviceName } from '../native-config';
import type { ResolvedOptions } from './options';
import { poolSize } from './sampler';
import type { SessionConfig } from './session';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
/** The native engine's rows per pass on a CPU (NetworkConfig::chunkRows). */
const CHUNK_ROWS = 2048;

/** One part of an estimate: its bytes, what it is, and the option that sets its size. */
export interface MemoryPart {
  bytes: number;
  what: string;
  option: string;
}

export interface MemoryEstimate {
  /** Peak bytes of one RK stage (an evolve step). */
  stage: number;
  /** Peak bytes of the initial fit (and of each restart's refit). */
  fit: number;
  /** The parts of the larger of the two, largest first. */
  parts: MemoryPart[];
}

/** The bytes a dense solve of one block needs (the native check's formula). */
export function denseSolveBytes(rows: number, p: number, elementSize: number): number {
  return elementSize * (rows * p + 4 * p * p + 4 * (rows + p)) + MiB;
}

/** Parameters of one field's MLP: F inputs, `depth` hidden layers of `width`, one output. */
export function fieldParameterCount(inputs: number, width: number, depth: number): number {
  return inputs * width + width + (depth - 1) * (width * width + width) + width + 1;
}

/** The memory budget in bytes: as given, or what 'auto' means (4 GiB on a CPU, half a GPU's free memory). */
function budgetBytes(budget: number | 'auto', device: DeviceName): number {
  if (budget !== 'auto') return budget;
  if (device === 'cuda') {
    const free = deviceMemory('cuda')?.free;
    if (typeof free === 'number') return Math.max(MiB, Math.floor(free / 2));
  }
  return 4 * GiB;
}

/** {free, total} of the device as the addon reports it, or undefined when it cannot. */
function deviceMemory(device: DeviceName): { free: number | null; total: number | null } | undefined {
  try {
    const addon = native() as unknown as {
      deviceMemory?: (d: DeviceName) => { free: number | null; total: number | null };
    };
    return typeof addon.deviceMemory === 'function' ? addon.deviceMemory(device) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes free where the run computes: the machine's available memory, or the CUDA device's. */
export function freeMemory(device: DeviceName): number | null {
  if (device === 'cuda') {
    const free = deviceMemory('cuda')?.free;
    return typeof free === 'number' ? free : null;
  }
  return os.freemem();
}

/** The network's input features: the embedding's 2(L + 1)·D, or the D coordinates without it. */
function inputFeatures(embedding: boolean, frequencies: number, D: number): number {
  return embedding ? 2 * (frequencies + 1) * D : D;
}

/** Bytes a sweep keeps per point: the coordinates and the k fields' jets (value, time, D firsts, P pairs). */
function pointBytes(D: number, k: number, P: number, s: number): number {
  return 8 * D + s * k * (2 + D + P);
}

/** Bytes of the Jacobian caches a solve keeps per row: the features and each field's 2L layer caches and output. */
function cacheRowBytes(F: number, k: number, L: number, w: number, s: number): number {
  return s * (F + k * (2 * L * w + 1));
}

/** The estimate for `options` on `device`, with `processes` sharing the samples. */
export function estimateMemory(options: ResolvedOptions, device: DeviceName, processes = 1): MemoryEstimate {
  const { problem, network, linear, fit } = options;
  const s = options.dtype === 'float32' ? 4 : 8;
  const D = problem.dim;
  const k = problem.fields.length;
  const w = network.width;
  const L = network.depth;
  const F = inputFeatures(network.embedding, network.frequencies, D);
  const pa = fieldParameterCount(F, w, L);
  const p = k * pa;
  const P = problem.plan.jets.pairs.length;
  const budget = budgetBytes(options.memoryBudget, device);
  const graded = Object.values(linear.gradientWeight).some((b) => b > 0);
  const rowsPerPoint = graded ? 1 + 2 * D : 1;
  const n = Math.ceil(options.samples.count / processes);
  const mixed = linear.method === 'pcg' && linear.mixedPrecision ? 1.5 : 1;
  const cachePerRow = cacheRowBytes(F, k, L, w, s);
  const perPoint = pointBytes(D, k, P, s);
  // A pass's rows: on a CPU at most CHUNK_ROWS (cache-sized passes), on CUDA the whole batch; both
  // within memoryBudget.
  const passRows = (points: number): number => (device === 'cuda' ? points : Math.min(points, CHUNK_ROWS));
  const temporaries = (points: number): number =>
    Math.min(budget, passRows(points) * (2 + D + P) * Math.max(w, F) * 4 * s);
  const vectors: MemoryPart = {
    bytes: 16 * p * 8,
    what: `θ-sized vectors (p = ${p} parameters)`,
    option: 'network.width',
  };

  const rank = linear.method === 'dense' ? 0 : linear.rank;
  const preconditioners: MemoryPart = {
    bytes: 3 * s * k * pa * rank,
    what: `rank-${rank} Nyström preconditioners of p = ${p} parameters`,
    option: 'network.width',
  };

  const stageParts: MemoryPart[] = [
    {
      bytes: n * perPoint + cachePerRow * n * rowsPerPoint * mixed,
      what: `the points, jets and Jacobian caches of ${n} samples`,
      option: 'samples',
    },
    { bytes: temporaries(n), what: 'the forward pass’s chunk temporaries', option: 'memoryBudget' },
    vectors,
    linear.method === 'dense'
      ? {
          bytes: denseSolveBytes(n * rowsPerPoint, pa, s),
          what: `a dense solve of ${n * rowsPerPoint} rows × ${pa} parameters`,
          option: 'linear.method',
        }
      : preconditioners,
  ];

  // Each step's held-out check sweeps its own points after the solve, whose caches are freed by
  // then: a phase of its own beside the solve, with the solve's points and preconditioners kept
  // (a dense solve keeps nothing).
  const h = options.samples.heldOut >= processes ? Math.ceil(options.samples.heldOut / processes) : 0;
  const heldOutParts: MemoryPart[] = [
    {
      bytes: h * (perPoint + cachePerRow),
      what: `the points, jets and Jacobian caches of ${h} held-out points`,
      option: 'samples.heldOut',
    },
    { bytes: temporaries(h), what: 'the forward pass’s chunk temporaries', option: 'memoryBudget' },
    { bytes: n * perPoint, what: `the points and jets of ${n} samples`, option: 'samples' },
    vectors,
    preconditioners,
  ];

  const fitPoints = fit.method === 'adam' ? fit.batch : Math.max(fit.maxSamples, fit.samples, fit.batch);
  const fitParts: MemoryPart[] = [
    {
      bytes: fitPoints * (8 * D + s * k + cachePerRow),
      what: `the Jacobian caches of the fit's ${fitPoints}-point batch`,
      option: fit.method === 'adam' ? 'fit.batch' : 'fit.maxSamples',
    },
    { bytes: temporaries(fitPoints), what: 'the forward pass’s chunk temporaries', option: 'memoryBudget' },
    vectors,
    {
      bytes: 3 * s * pa * fit.rank,
      what: `the fit's rank-${fit.rank} Nyström sketch of ${pa} parameters per field`,
      option: 'network.width',
    },
    {
      bytes: fit.headTuning ? s * (fit.headSamples * (w + k) + w * w) : 0,
      what: 'head tuning',
      option: 'fit.headSamples',
    },
    {
      // The rate features fit a pool only where a field starts at zero; not knowing that here, the
      // estimate counts it whenever they are on (points and values, a few MB).
      bytes: problem.initialValues !== undefined || fit.rateFeatures ? poolSize(fit) * (D + k) * 8 : 0,
      what: "the pool of points of a fit to values (initialValues, a field's rate features)",
      option: 'fit.headSamples',
    },
  ];
  const total = (parts: MemoryPart[]): number => parts.reduce((sum, part) => sum + part.bytes, 0);
  const solve = total(stageParts);
  const check = h > 0 ? total(heldOutParts) : 0;
  const stage = Math.max(solve, check);
  const fitBytes = total(fitParts);
  const peakParts = stage < fitBytes ? fitParts : solve >= check ? stageParts : heldOutParts;
  const parts = peakParts.slice().sort((a, b) => b.bytes - a.bytes);
  return { stage, fit: fitBytes, parts };
}

/**
 * Peak bytes of a saved solution's measurement on n fresh points (`Solution.residual`: a stage's
 * solve on them; `Solution.error`: the network and the exact solution there), or null when the
 * session's network does not say its size.
 */
export function measurementBytes(session: SessionConfig, n: number, kind: 'residual' | 'error'): number | null {
  const { network, plan, linear } = session;
  const { width: w, depth: L, fields: k = plan.fields.length } = network;
  if (w === undefined || L === undefined) return null;
  const s = network.dtype === 'float32' ? 4 : 8;
  const D = network.dim;
  // Points, the truth and the misfit (which the proposal follows), and one pass's temporaries.
  if (kind === 'error') return 8 * D * n + 3 * 8 * k * n + Math.min(n, CHUNK_ROWS) * 4 * s * w;
  const F = inputFeatures(network.embedding !== false, network.frequencies ?? 0, D);
  const rows = (linear.gradientWeights ?? []).some((b) => b > 0) ? n * (1 + 2 * D) : n;
  const solve = linear.method === 'dense' ? denseSolveBytes(rows, fieldParameterCount(F, w, L), s) : 0;
  return n * pointBytes(D, k, plan.jets.pairs.length, s) + cacheRowBytes(F, k, L, w, s) * rows + solve;
}

/** "12.3 GB" (decimal units, as the native messages). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export interface MemoryLimits {
  /** Bytes free on the machine or device (null: unknown, not checked). */
  free: number | null;
  device: DeviceName;
}

/**
 * Throws a `SpecError` when the run cannot fit: a dense block's solve over `memoryBudget` (as the
 * native solver would refuse, but before the fit), or a stage or the fit over the free memory. The
 * error's path is the option whose part of the estimate is largest.
 */
export function checkMemory(options: ResolvedOptions, limits: MemoryLimits, processes = 1): MemoryEstimate {
  const estimate = estimateMemory(options, limits.device, processes);
  const budget = budgetBytes(options.memoryBudget, limits.device);
  const dense = estimate.parts.find((part) => part.option === 'linear.method');
  if (dense !== undefined && dense.bytes > budget) {
    throw new SpecError(
      'linear.method',
      `${dense.what} needs about ${formatBytes(dense.bytes)}, over memoryBudget = ${formatBytes(budget)}; use linear.method 'pcg', fewer samples or a smaller network, or raise memoryBudget`,
    );
  }
  const peak = Math.max(estimate.stage, estimate.fit);
  if (limits.free !== null && peak > limits.free) {
    const largest = estimate.parts[0];
    const where = limits.device === 'cuda' ? 'free on the CUDA device' : 'free on this machine';
    throw new SpecError(
      largest.option,
      `the run needs about ${formatBytes(peak)} (${estimate.stage >= estimate.fit ? 'each solver step' : 'the initial fit'}; the largest part: ${largest.what}, ${formatBytes(largest.bytes)}) but only ${formatBytes(limits.free)} is ${where}; lower ${largest.option}`,
    );
  }
  return estimate;
}
