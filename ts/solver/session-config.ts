// The native session's config from the validated options: the one place that maps options to
// what native code receives (which trusts it). An option the table (option-table.ts) marks
// `native` goes under its own name; the rest of this file is what needs more than a copy.
import type { DeviceName } from '../native-config';
import { axisFlags, boundaryAlong } from '../problem/boundary';
import type { BoundarySpec } from '../problem/plan';
import { memoryBudgetFor } from './device-budget';
import { DENSE_KEYS, FIT, IMPORTANCE, LINEAR, type NativeValues, NETWORK, nativeValues, TOP } from './option-table';
import type { GradientDirections, ResolvedLinear, ResolvedOptions, ResolvedSamples } from './options';
import type { FitConfig, SessionConfig, SessionLinearConfig, SessionSamplingConfig } from './session';

export function sessionConfigFor(options: ResolvedOptions, device: DeviceName): SessionConfig {
  const { problem, network: n } = options;
  const memoryBudget = memoryBudgetFor(options.memoryBudget, device);
  return {
    network: {
      dim: problem.dim,
      fields: problem.fields.length,
      ...(nativeValues(NETWORK, n) as NativeValues<typeof NETWORK>),
      outputScale: problem.fields.map((name) => n.outputScale[name]),
      outputOffset: problem.fields.map((name) => n.outputOffset[name]),
      dirichlet: axisFlags(problem.boundary, 'dirichlet'),
      periodic: axisFlags(problem.boundary, 'periodic'),
      ...sampledBox(problem, options.margin),
      dtype: options.dtype,
      device,
      memoryBudget,
    },
    plan: problem.plan,
    samples: options.samples.count,
    heldOutSamples: options.samples.heldOut,
    sampling: samplingConfig(options.samples),
    linear: linearConfig(options.linear, problem),
    ...(nativeValues(TOP, options) as NativeValues<typeof TOP>),
    memoryBudget,
  };
}

/**
 * The box the network is scaled to, fitted and evolved on: the domain grown by
 * margin·(upper − lower)/2 on both sides of every axis with boundary 'none' (a Dirichlet factor
 * and a periodic network sit on the domain's own faces). Residuals and errors are measured on the
 * domain itself (the plan's lower/upper).
 */
export function sampledBox(
  problem: { readonly lower: readonly number[]; readonly upper: readonly number[]; readonly boundary: BoundarySpec },
  margin: number,
): { lower: number[]; upper: number[] } {
  const { lower, upper, boundary } = problem;
  const grow = (i: number): number =>
    boundaryAlong(boundary, i) === 'none' ? (margin * (upper[i] - lower[i])) / 2 : 0;
  return { lower: lower.map((l, i) => l - grow(i)), upper: upper.map((u, i) => u + grow(i)) };
}

/** The solver's own fields only: a dense solve carries no CG settings. */
export function linearConfig(
  linear: ResolvedLinear,
  problem: { readonly fields: readonly string[]; readonly lower: readonly number[]; readonly upper: readonly number[] },
): SessionLinearConfig {
  const weights = problem.fields.map((name) => linear.gradientWeight[name] ?? 0);
  const graded = gradientRows(weights, linear.gradientDirections, problem.lower, problem.upper);
  const keys = linear.method === 'dense' ? DENSE_KEYS : undefined;
  return { ...nativeValues(LINEAR, linear, keys), ...graded } as SessionLinearConfig;
}

/** Relative to the domain's smallest half-width: float64 differences lose about 1e-16/h to rounding. */
const STENCIL_STEP = 1e-4;

/**
 * The gradient rows' weights and stencil step, or nothing for the L² projection, whose config then
 * carries no gradient-row keys at all. h is small against every feature the network can
 * represent on the domain, and large enough that the differences keep ~12 digits.
 */
function gradientRows(
  weights: readonly number[],
  directions: GradientDirections,
  lower: readonly number[],
  upper: readonly number[],
): { gradientWeights?: readonly number[]; stencilStep?: number; stencilDirections?: 'sampled' } {
  if (!weights.some((w) => w > 0)) return {};
  return {
    gradientWeights: [...weights],
    stencilStep: STENCIL_STEP * smallestHalfWidth(lower, upper),
    // Absent: every axis, as in files written before sampled directions existed.
    ...(directions === 'sampled' ? { stencilDirections: directions } : {}),
  };
}

/** The smallest half-width over the axes of the box [lower, upper]: the length gradient rows scale with. */
export function smallestHalfWidth(lower: readonly number[], upper: readonly number[]): number {
  return Math.min(...lower.map((l, i) => (upper[i] - l) / 2));
}

/** How the points are drawn: the sequence, and importance sampling or null. */
export function samplingConfig(samples: ResolvedSamples): SessionSamplingConfig {
  const { sequence, importance } = samples;
  return {
    sequence,
    importance: importance === false ? null : (nativeValues(IMPORTANCE, importance) as NativeValues<typeof IMPORTANCE>),
  };
}

/**
 * The initial fit's config; `cap` (a restart's `fitSteps`) caps the iterations further, as `steps`
 * does. No tolerance or time limit reach native code as 0.
 */
export function fitConfigFor(options: ResolvedOptions, cap?: number | null): FitConfig {
  const f = options.fit;
  const none = Number.POSITIVE_INFINITY;
  return {
    ...(nativeValues(FIT, f) as NativeValues<typeof FIT>),
    maxIterations: Math.min(f.maxIterations, f.steps ?? none, cap ?? none),
    tol: f.tol ?? 0,
    maxSeconds: f.maxSeconds ?? 0,
    warmupSteps: f.method === 'adam' ? 0 : f.warmupSteps,
  };
}
