/**
 * How the initial condition sits in the sampled box, estimated from u0 at pilot points: the share
 * of the box it occupies and the scale of its finest features. The defaults read it to choose the
 * sampling measure (importance sampling for a concentrated u0, where uniform points put only a
 * few dozen of thousands on the solution) and the embedding's damping (the octaves that resolve a
 * narrow feature are not damped away).
 */
import type { Problem } from '../problem/define';
import { evaluateProgram, type FieldJets } from '../problem/evaluate';
import { onFace } from '../util/columns';
import { mulberry32 } from '../util/random';
import { sampledBox } from './session-config';

export interface InitialShape {
  /**
   * (mean s)² / mean s² of s = Σ_fields |u0| over the box: 1 for a constant, about the occupied
   * share of the box for a bump (a Gaussian of width σ per axis on a box of half-width h:
   * ≈ (σ√π/h)^d). NaN when u0 is zero at every pilot point.
   */
  readonly occupiedFraction: number;
  /**
   * The octave of u0's finest scale: log2(2/(πℓ)) with ℓ = min over axes of
   * √(mean s² / mean (∂_i s)²) in the network's coordinates (the box mapped to [-1, 1]^d), so
   * octave k of the embedding (frequency 2^k·π/2) has period comparable to the feature. 0 or below
   * for the box's own lowest modes; NaN when u0 is zero everywhere.
   */
  readonly finestOctave: number;
  /** Every field of u0 is finite and above 0 at every pilot point (false where u0 is unknown). */
  readonly positive: boolean;
  /**
   * The largest s = Σ_fields |u0| on the box's faces over its largest in the box (each found by a
   * compass search from the best pilot point): e^{−h²/2σ²} for a Gaussian of width σ whose centre
   * is h from the nearest face. NaN when unknown.
   */
  readonly faceShare: number;
  /**
   * The equation keeps a positive solution positive: one field, whose right-hand side at u = 0
   * (every jet zero) is ≥ 0 at every pilot point at t = 0. For a second-order scalar equation
   * (the most the DSL writes) this is the comparison principle's condition: where u reaches zero
   * it cannot be pushed below. False for a system (a wave's or a Schrödinger equation's fields
   * change sign whatever their start), for a negative source, and where u0 is unknown.
   */
  readonly keepsPositive: boolean;
}

/** Pilot points of the estimate: enough for a share of 1e-3 of the box to hold a few of them. */
export const SHAPE_PILOT_POINTS = 4096;

/**
 * A u0 is concentrated when it occupies under this share of the box: uniform points then put
 * fewer than one in twenty where the solution is.
 */
export const CONCENTRATED_FRACTION = 0.05;

/** u0's fields at n points (row-major n×D), one column per field. */
export type InitialFields = (x: Float64Array, n: number) => Float64Array[];

/**
 * u0 as columns: the closed form's plan, or the values the problem's `initialValues` gives
 * (row-major n×k, already checked for shape and finiteness by `defineProblem`'s wrapper).
 */
export function initialFields(problem: Problem): InitialFields {
  const initial = problem.plan.initial;
  if (initial !== null) return (x, n) => evaluateProgram(initial, { n, x, t: 0 });
  const values = problem.initialValues;
  if (values === undefined) throw new Error('initialFields: the problem has neither initial nor initialValues');
  const k = problem.fields.length;
  return (x, n) => {
    const rows = values(x, n);
    return Array.from({ length: k }, (_, a) => Float64Array.from({ length: n }, (_, i) => rows[i * k + a]));
  };
}

/** Σ_fields |u_a| at each of n points, from the fields' values there. */
function magnitudeOf(fields: readonly ArrayLike<number>[], n: number, offsets?: readonly number[]): Float64Array {
  const s = new Float64Array(n);
  for (const [a, f] of fields.entries()) {
    const o = offsets?.[a] ?? 0;
    for (let i = 0; i < n; i++) s[i] += Math.abs(f[i] - o);
  }
  return s;
}

/** Σ_fields |u0 − o| at n points (row-major n×D) (o: 0 by default). */
function magnitude(u0: InitialFields, x: Float64Array, n: number, offsets?: readonly number[]): Float64Array {
  return magnitudeOf(u0(x, n), n, offsets);
}

/** Halvings of the compass search's step: from half the box to about 1e-6 of it. */
const COMPASS_HALVINGS = 20;

/**
 * A local maximum of Σ_fields |u0 − o| by compass search from `start`, moving along `axes` only and
 * staying in the box: each round tries ±step along every axis, moves to the best point if it is
 * higher and halves the step otherwise.
 */
function compassMaximum(
  u0: InitialFields,
  start: Float64Array,
  axes: readonly number[],
  bounds: { lower: readonly number[]; upper: readonly number[] },
  offsets?: readonly number[],
): number {
  const { lower, upper } = bounds;
  const D = lower.length;
  const x = Float64Array.from(start);
  let best = magnitude(u0, x, 1, offsets)[0];
  let step = 0.5;
  for (let halvings = 0; halvings < COMPASS_HALVINGS; ) {
    const trial = new Float64Array(2 * axes.length * D);
    axes.forEach((axis, k) => {
      for (const [side, sign] of [
        [0, 1],
        [1, -1],
      ]) {
        const row = (2 * k + side) * D;
        trial.set(x, row);
        const width = upper[axis] - lower[axis];
        trial[row + axis] = Math.min(upper[axis], Math.max(lower[axis], x[axis] + sign * step * width));
      }
    });
    const values = magnitude(u0, trial, 2 * axes.length, offsets);
    let arg = -1;
    for (let r = 0; r < values.length; r++) if (values[r] > best) [best, arg] = [values[r], r];
    if (arg < 0) {
      step /= 2;
      halvings++;
    } else {
      x.set(trial.subarray(arg * D, (arg + 1) * D));
    }
  }
  return best;
}

/** A compass search along `axes` from the row of `points` (n×D) where `values` is largest. */
function climbFromBest(
  u0: InitialFields,
  points: Float64Array,
  values: Float64Array,
  axes: readonly number[],
  bounds: { lower: readonly number[]; upper: readonly number[] },
  offsets?: readonly number[],
): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  const D = bounds.lower.length;
  if (axes.length === 0) return values[best];
  return compassMaximum(u0, points.subarray(best * D, (best + 1) * D), axes, bounds, offsets);
}

/** The largest of some values (0 for none). */
const largestOf = (values: Float64Array): number => values.reduce((a, b) => Math.max(a, b), 0);

/**
 * Below this share of u0's largest pilot value, a face's values are rounding: a u0 built to vanish
 * there (sin πx on [0, 1], cos(πx/2) on [−1, 1]) leaves about 1e-16 of its size.
 */
const ROUNDING_SHARE = 1e-13;

/**
 * The largest Σ_fields |u0| on the box's faces: on each face, a compass search along the other axes
 * from the pilot point of largest value there once moved onto that face. A face where every pilot
 * point is at rounding level (`ROUNDING_SHARE` of `scale`) is not searched: a search there follows
 * rounding noise, at 2(D − 1) evaluations a round on each of the 2D faces.
 */
function largestOnFaces(
  u0: InitialFields,
  x: Float64Array,
  bounds: { lower: readonly number[]; upper: readonly number[] },
  scale: number,
): number {
  const D = bounds.lower.length;
  const n = x.length / D;
  let largest = 0;
  for (let axis = 0; axis < D; axis++) {
    for (const face of [bounds.lower[axis], bounds.upper[axis]]) {
      const moved = onFace(x, D, axis, face);
      const values = magnitude(u0, moved, n);
      const pilotLargest = largestOf(values);
      if (pilotLargest <= ROUNDING_SHARE * scale) {
        largest = Math.max(largest, pilotLargest);
        continue;
      }
      const others = Array.from({ length: D }, (_, j) => j).filter((j) => j !== axis);
      largest = Math.max(largest, climbFromBest(u0, moved, values, others, bounds));
    }
  }
  return largest;
}

/** `SHAPE_PILOT_POINTS` uniform points of the box, row-major, from a fixed stream (never the run's seed). */
export function pilotPoints(lower: readonly number[], upper: readonly number[]): Float64Array {
  const D = lower.length;
  const random = mulberry32(0x5eed + D);
  const x = new Float64Array(SHAPE_PILOT_POINTS * D);
  for (let i = 0; i < SHAPE_PILOT_POINTS; i++) {
    for (let j = 0; j < D; j++) x[i * D + j] = lower[j] + (upper[j] - lower[j]) * random();
  }
  return x;
}

/** The pilot points of a box, u0's fields there and Σ_fields |u0| at each (read, never written). */
interface PilotValues {
  readonly box: string;
  readonly x: Float64Array;
  readonly fields: Float64Array[];
  readonly s: Float64Array;
}

/**
 * Each problem's last pilot evaluation: the shape, the offsets and the sizes read u0 at the same
 * points of the same box while one set of options resolves, and a u0 given by `initialValues` is
 * the user's function, called once for the three.
 */
const lastPilot = new WeakMap<Problem, PilotValues>();

/** The pilot points of the box, u0's fields there and Σ_fields |u0| at each. */
function atPilotPoints(problem: Problem, lower: readonly number[], upper: readonly number[]): PilotValues {
  const box = `${lower.join(',')}|${upper.join(',')}`;
  const last = lastPilot.get(problem);
  if (last?.box === box) return last;
  const x = pilotPoints(lower, upper);
  const fields = initialFields(problem)(x, SHAPE_PILOT_POINTS);
  const pilot = { box, x, fields, s: magnitudeOf(fields, SHAPE_PILOT_POINTS) };
  lastPilot.set(problem, pilot);
  return pilot;
}

/** Where u0 is NaN or infinite among the pilot points of the box: the first such field and point. */
export function nonFiniteInitial(
  problem: Problem,
  lower: readonly number[],
  upper: readonly number[],
): { field: string; point: number[]; value: number } | null {
  const initial = problem.plan.initial;
  if (initial === null) return null;
  const D = problem.dim;
  const x = pilotPoints(lower, upper);
  const fields = evaluateProgram(initial, { n: SHAPE_PILOT_POINTS, x, t: 0 });
  for (const [k, values] of fields.entries()) {
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0)
      return { field: problem.fields[k], point: Array.from(x.subarray(i * D, (i + 1) * D)), value: values[i] };
  }
  return null;
}

/** The mean and mean square of a sample. */
function moments(s: Float64Array): { mean: number; square: number } {
  let mean = 0;
  let square = 0;
  for (const v of s) {
    mean += v / s.length;
    square += (v * v) / s.length;
  }
  return { mean, square };
}

/**
 * The embedding octave of the finest scale of a magnitude g on the box: sqrt(mean g² / mean |∇g|²)
 * by central differences in the network's coordinates (half-width 1 per axis), whose step of 1e-4
 * of the half-width resolves features far narrower than the embedding's highest octave.
 */
function finestOctaveOf(
  g: (points: Float64Array) => Float64Array,
  x: Float64Array,
  square: number,
  lower: readonly number[],
  upper: readonly number[],
): number {
  const D = lower.length;
  const n = x.length / D;
  const step = 1e-4;
  let finest = Number.POSITIVE_INFINITY;
  for (let j = 0; j < D; j++) {
    const halfWidth = (upper[j] - lower[j]) / 2;
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    for (let i = 0; i < n; i++) {
      plus[i * D + j] += step * halfWidth;
      minus[i * D + j] -= step * halfWidth;
    }
    const up = g(plus);
    const down = g(minus);
    let gradient = 0;
    for (let i = 0; i < n; i++) gradient += ((up[i] - down[i]) / (2 * step)) ** 2 / n;
    if (gradient > 0) finest = Math.min(finest, Math.sqrt(square / gradient));
  }
  return Number.isFinite(finest) ? Math.log2(2 / (Math.PI * finest)) : Number.NEGATIVE_INFINITY;
}

/** The right-hand side at u = 0 (every jet term zero) on n points: the source alone. */
function rhsAtZero(problem: Problem, x: Float64Array, n: number): Float64Array[] {
  const D = problem.dim;
  const zero = new Float64Array(n);
  const d2 = new Map<string, Float64Array>();
  for (let i = 0; i < D; i++) for (let j = i; j < D; j++) d2.set(`${i},${j}`, zero);
  const jet: FieldJets = { value: zero, d: Array.from({ length: D }, () => zero), d2, lap: zero };
  return evaluateProgram(problem.plan.rhs, { n, x, t: 0, jets: problem.fields.map(() => jet) });
}

/**
 * The shape of u0 on the box [lower, upper] (the sampled box: the domain grown by the margin),
 * from `SHAPE_PILOT_POINTS` uniform points and central differences of |u0| along each axis: of
 * the closed form, or of the values `initialValues` gives there.
 */
export function initialShape(problem: Problem, lower: readonly number[], upper: readonly number[]): InitialShape {
  const unknown = {
    occupiedFraction: Number.NaN,
    finestOctave: Number.NaN,
    positive: false,
    faceShare: Number.NaN,
    keepsPositive: false,
  };
  const u0 = initialFields(problem);
  const n = SHAPE_PILOT_POINTS;
  const { x, fields, s } = atPilotPoints(problem, lower, upper);
  const { mean, square } = moments(s);
  if (square === 0) {
    // u0 = 0 at every pilot point: the solution starts as t·f(u0), so its first scale is the
    // right-hand side's at u = 0 (a source). Nothing else is read from it: a zero u0 is neither
    // concentrated nor positive, and importance sampling ∝ |u| has nothing to follow at t = 0.
    const tendency = (points: Float64Array) => magnitudeOf(rhsAtZero(problem, points, n), n);
    const start = moments(tendency(x));
    if (!(start.square > 0) || !Number.isFinite(start.square)) return unknown;
    return { ...unknown, finestOctave: finestOctaveOf(tendency, x, start.square, lower, upper) };
  }
  if (!Number.isFinite(square)) return unknown;
  const finestOctave = finestOctaveOf((points) => magnitude(u0, points, n), x, square, lower, upper);
  return {
    occupiedFraction: (mean * mean) / square,
    finestOctave,
    positive: fields.every((f) => f.every((v) => v > 0 && Number.isFinite(v))),
    faceShare:
      largestOnFaces(u0, x, { lower, upper }, largestOf(s)) /
      climbFromBest(
        u0,
        x,
        s,
        Array.from({ length: problem.dim }, (_, j) => j),
        { lower, upper },
      ),
    keepsPositive: problem.fields.length === 1 && rhsAtZero(problem, x, n)[0].every((v) => v >= 0),
  };
}

/**
 * How many times its spread about the mean a field's mean over u0 must be to be taken as its
 * offset: below it the offset would tighten the fit's relative error by over √(1 + 2²) on a field
 * that is mostly variation (a bump on a small background).
 */
export const OFFSET_DOMINANCE = 2;

/**
 * Each field's default output offset: its mean over the pilot points where that mean is at least
 * `OFFSET_DOMINANCE` times u0's standard deviation about it (300 K + a variation of a few kelvin),
 * else 0; 0 for a field constant over the box.
 */
export function fieldOffsets(problem: Problem, lower: readonly number[], upper: readonly number[]): number[] {
  return atPilotPoints(problem, lower, upper).fields.map((f) => {
    const { mean, square } = moments(f);
    const variance = Math.max(0, square - mean * mean);
    return variance > 0 && mean * mean >= OFFSET_DOMINANCE ** 2 * variance ? mean : 0;
  });
}

/**
 * Each field's size in u0 less its offset o: its largest |u0 − o| among the pilot points, times
 * the factor by which the pilot points missed the peak of Σ_fields |u0 − o| (a compass search from
 * the best of them), so that a narrow bump counts at its height, on a background or not. A
 * field that is zero at every pilot point takes the largest other field's size (a wave from rest
 * moves at its displacement's scale), and a u0 that is zero everywhere has size 1 in every field.
 */
export function fieldSizes(
  problem: Problem,
  lower: readonly number[],
  upper: readonly number[],
  offsets: readonly number[] = problem.fields.map(() => 0),
): number[] {
  const ones = problem.fields.map(() => 1);
  const u0 = initialFields(problem);
  const { x, fields } = atPilotPoints(problem, lower, upper);
  const s = magnitudeOf(fields, SHAPE_PILOT_POINTS, offsets);
  const pilotPeak = largestOf(s);
  if (!(pilotPeak > 0) || !Number.isFinite(pilotPeak)) return ones;
  const axes = Array.from({ length: problem.dim }, (_, j) => j);
  const missed = Math.max(1, climbFromBest(u0, x, s, axes, { lower, upper }, offsets) / pilotPeak);
  const sizes = fields.map((f, a) => largestOf(Float64Array.from(f, (v) => Math.abs(v - offsets[a]))) * missed);
  const largest = Math.max(...sizes);
  return sizes.map((size) => (size > 0 ? size : largest));
}

/** True when u0 occupies under `CONCENTRATED_FRACTION` of the box. */
export function isConcentrated(shape: InitialShape): boolean {
  return shape.occupiedFraction < CONCENTRATED_FRACTION;
}

/**
 * The octaves of u0's finest scale k* over which the derivative-order decay falls to none: over
 * `[0, 2]` for a concentrated u0 (ℓ below 8 % of the box's width at 2, a Gaussian of σ under 6 %
 * of it), over `[2.5, 3.5]` for a broad one, whose low octaves carry most of it: a smooth u0 (k*
 * up to 2.5, ℓ above 4 % of the box's width) keeps the full decay, a fine one (a narrow pulse or
 * a fine carrier under a broad envelope, k* ≥ 3.5) none.
 */
export const DECAY_FALLS_OVER = { concentrated: [0, 2], broad: [2.5, 3.5] } as const;

/**
 * The embedding's decay α: the derivative-order decay m damps octave k by 2^(−mk), which keeps the
 * derivatives of the low octaves that carry a smooth solution balanced but hides the octaves that
 * resolve a fine one (a narrow bump, or a fine carrier under a broad envelope). From the octave k*
 * of u0's finest scale the decay falls linearly, m at the start of `DECAY_FALLS_OVER`'s range to
 * none at its end; an unknown scale keeps m.
 */
export function decayFor(shape: InitialShape, derivativeOrder: number): number {
  if (!Number.isFinite(shape.finestOctave)) return derivativeOrder;
  const [from, to] = isConcentrated(shape) ? DECAY_FALLS_OVER.concentrated : DECAY_FALLS_OVER.broad;
  return derivativeOrder * Math.min(1, Math.max(0, (to - shape.finestOctave) / (to - from)));
}

/**
 * The spacing of n points spread over the part of the box u0 occupies, in the network's
 * coordinates (the box mapped to [-1, 1]^D): 2·(occupied share / n)^(1/D).
 */
export function occupiedSpacing(shape: InitialShape, dim: number, n: number): number {
  return 2 * (shape.occupiedFraction / n) ** (1 / dim);
}

/**
 * The width ℓ = σ√2 (as `finestOctave` measures it) of the Gaussian that occupies the same share
 * of the box, in the network's coordinates: a Gaussian of width σ occupies (σ√π)^D of
 * [-1, 1]^D, so ℓ = √(2/π)·share^(1/D). Read from the occupied share rather than from
 * `finestOctave`, whose uniform pilot points in 6 or more dimensions fall in the tails, where
 * |∇u|/|u| overstates the bulk's.
 */
export function occupiedWidth(shape: InitialShape, dim: number): number {
  return Math.sqrt(2 / Math.PI) * shape.occupiedFraction ** (1 / dim);
}

/** Samples per feature width that pin a feature down between them (Nyquist's two). */
export const SAMPLES_PER_FEATURE = 2;

/**
 * The largest `faceShare` of a Dirichlet problem's u0 that the exp output takes: u = B·e^m meets a
 * u0 that does not vanish on the faces only through m = log(u0/B), which grows without bound there.
 */
export const EXP_FACE_SHARE = 1e-3;

/**
 * A density: a concentrated u0, positive at every pilot point, of an equation that keeps it
 * positive (`keepsPositive`), and, with a Dirichlet boundary, negligible on the faces
 * (`EXP_FACE_SHARE`). Its default network reads the raw point and fits the log of u
 * (`embeddingFor`, `outputFor`).
 */
export function isDensity(shape: InitialShape, dirichlet: boolean): boolean {
  return (
    isConcentrated(shape) && shape.positive && shape.keepsPositive && (!dirichlet || shape.faceShare <= EXP_FACE_SHARE)
  );
}

/**
 * Whether the default network embeds its input: not for a density (`isDensity`), nor for a
 * concentrated u0 whose width holds fewer than `SAMPLES_PER_FEATURE` of the step's n samples along
 * an axis. The embedding resolves a narrow u0 with octaves of about its width: where samples are
 * that sparse, functions of those octaves are nearly independent from one sample to the next, and
 * least squares matches f on its samples and misses it between them (the held-out residual). A
 * raw-coordinate MLP is smooth between samples, and its first layer's tangent space holds every
 * affine map of its input (the shifts, rotations and dilations that drift and transport apply to
 * a density); with the log output a Gaussian is a quadratic, which it fits and moves at any
 * sampling density. For a Gaussian the share cancels in the spacing rule: n^(1/D) < 2·√(2π) ≈ 5
 * per axis, so at 4,000 points 6D and above. A broad u0, or an unknown one, keeps the embedding:
 * its octaves are what fits fine structure.
 */
export function embeddingFor(shape: InitialShape, dim: number, n: number, dirichlet: boolean): boolean {
  if (!isConcentrated(shape)) return true;
  if (isDensity(shape, dirichlet)) return false;
  return SAMPLES_PER_FEATURE * occupiedSpacing(shape, dim, n) <= occupiedWidth(shape, dim);
}

/**
 * The default output: u = B·e^m for a density (`isDensity`) read at the raw point. The log of a
 * narrow Gaussian is a quadratic, which an MLP of the raw point fits and moves smoothly; the
 * density itself is a bump a few samples wide, which it fits only roughly, and whose fit error's
 * Laplacian a diffusion term then amplifies. Everywhere else the linear output stays: e^m cannot
 * change sign (so not for a system or an equation that can drive u below zero), a broad u0 is
 * fitted as it is, and one that is not small on a Dirichlet face would need a singular m.
 */
export function outputFor(shape: InitialShape, network: { embedding: boolean; dirichlet: boolean }): 'linear' | 'exp' {
  return !network.embedding && isDensity(shape, network.dirichlet) ? 'exp' : 'linear';
}

/** The embedding's highest octave where nothing is known of u0's scale: the table's fixed value. */
export const MAX_DEFAULT_OCTAVE = 5;
/** The fewest octaves the default gives: the box's lowest modes and two octaves above them. */
export const MIN_DEFAULT_OCTAVE = 3;
/** Octaves kept above u0's finest scale: room for features that sharpen fourfold during the run. */
export const OCTAVES_ABOVE_FINEST = 2;

/**
 * The embedding's highest octave L for u0's shape: two octaves above its finest scale k*, within
 * [3, 5]. An octave far above what the solution holds adds no accuracy, but the tangent space
 * then holds functions of that wavenumber, the projected ODE turns or damps them at the rate the
 * right-hand side gives a wavenumber ω (ω² for iψ_t = −½Δψ or u_t = κΔu), and an explicit
 * Runge–Kutta step must resolve that rate; they also worsen M's conditioning (CG iterations). An
 * unknown shape (a u0 that is zero, with no source to read) keeps 5.
 */
export function frequenciesFor(shape: InitialShape): number {
  const k = shape.finestOctave;
  if (Number.isNaN(k)) return MAX_DEFAULT_OCTAVE;
  if (k === Number.NEGATIVE_INFINITY) return MIN_DEFAULT_OCTAVE;
  return Math.min(MAX_DEFAULT_OCTAVE, Math.max(MIN_DEFAULT_OCTAVE, Math.ceil(k) + OCTAVES_ABOVE_FINEST));
}

/**
 * `initialShape` on the sampled box (the domain grown by `margin` half-widths on every side),
 * computed on the first call only: options that name both the sampling and the decay never pay
 * for it.
 */
export function lazyInitialShape(problem: Problem, margin: number): () => InitialShape {
  let shape: InitialShape | undefined;
  return () => {
    if (shape === undefined) {
      const box = sampledBox(problem, margin);
      shape = initialShape(problem, box.lower, box.upper);
    }
    return shape;
  };
}
