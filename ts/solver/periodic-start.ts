/**
 * A periodic boundary is built into the network (along a periodic axis every octave of its
 * embedding repeats with the box), so the network can only hold a u0 that repeats with the box,
 * and a step can only follow a right-hand side that does. Where u0 jumps or kinks across a pair
 * of opposite faces, or f(u0) does (a coefficient of x that does not repeat), the fit would stall
 * at the seam and every step would project f onto functions that repeat: the run is refused
 * first, naming the field, the axis and the pair of points. Read on pairs of pilot points moved
 * onto opposite faces; of a u0 given by `initialValues` the values and slopes are read, not f(u0).
 */
import { axesWith, boundaryAlong } from '../problem/boundary';
import type { Problem } from '../problem/define';
import { type Boundary, type BoundarySpec, derivativeOrder } from '../problem/plan';
import { largestMagnitude as largest, onFace } from '../util/columns';
import { initialRate } from './initial-rhs';
import { type InitialFields, initialFields, pilotPoints } from './initial-shape';

/**
 * Pilot points per axis moved onto the faces (of them, the first RATE_POINTS for f(u0), whose
 * differences cost 2D + 1 evaluations of u0 a point), and points in the box that set the scale of
 * each field's values and slopes (FACE_POINTS of them that of f(u0)).
 */
const FACE_POINTS = 256;
const RATE_POINTS = 64;
const SCALE_POINTS = 1024;

/**
 * How far apart a pair may be, as a share of the field's largest value in the box (of its largest
 * derivative along the axis, of the largest |f(u0)|). Loose enough for a u0 that repeats only up
 * to a Gaussian's tail or to rounding, tight enough that the seam costs less than a fit's tolerance.
 */
const VALUE_TOLERANCE = 1e-4;
const SLOPE_TOLERANCE = 1e-3;
const RATE_TOLERANCE = 1e-3;

/** Central-difference step along the axis, as a share of the box's width. */
const STEP = 1e-5;

/** A pair of points on opposite faces where u0, its slope or f(u0) differ. */
export interface PeriodicMismatch {
  /** What differs: u0, its derivative along the axis, or the right-hand side on u0. */
  readonly what: 'value' | 'slope' | 'rate';
  readonly field: string;
  readonly axis: number;
  /** The point on the lower face; its partner is the same point on the upper face. */
  readonly point: number[];
  /** The quantity at the lower-face point and at its partner. */
  readonly values: readonly [number, number];
}

/** The first point where two columns differ by more than tol·scale (both finite); -1 if none. */
function firstApart(a: Float64Array, b: Float64Array, scale: number, tol: number): number {
  if (!(scale > 0)) return -1;
  for (let p = 0; p < a.length; p++) {
    if (Number.isFinite(a[p]) && Number.isFinite(b[p]) && Math.abs(a[p] - b[p]) > tol * scale) return p;
  }
  return -1;
}

/** `x` (row-major n×D) with `shift` added to coordinate `axis`. */
function shifted(x: Float64Array, D: number, axis: number, shift: number): Float64Array {
  const y = Float64Array.from(x);
  for (let p = axis; p < y.length; p += D) y[p] += shift;
  return y;
}

/** u0 per field at the points x (row-major n×D). */
function u0At(u0: InitialFields, D: number, x: Float64Array): Float64Array[] {
  return u0(x, x.length / D);
}

/** Per field, ∂u0/∂x_axis at the points x by central differences of step h. */
function slopeAt(u0: InitialFields, D: number, x: Float64Array, axis: number, h: number): Float64Array[] {
  const [plus, minus] = [u0At(u0, D, shifted(x, D, axis, h)), u0At(u0, D, shifted(x, D, axis, -h))];
  return plus.map((column, k) => column.map((v, p) => (v - minus[k][p]) / (2 * h)));
}

/**
 * Below this share of u0's largest value on the domain's faces (of its largest slope across them),
 * u0 is negligible there (a bump well inside the box), and repeating across them says nothing
 * about the problem.
 */
const FACE_SHARE = 1e-3;

/** What a look across one axis's pair of faces finds. */
interface FaceScan {
  /** Where u0, its slope or f(u0) (in that order) fails to repeat; null when all repeat. */
  readonly mismatch: PeriodicMismatch | null;
  /** Whether u0, or its slope across the face, is not negligible on the lower face (FACE_SHARE). */
  readonly carried: boolean;
}

/**
 * A look across one axis's pair of faces at a time, comparing u0, its slope and f(u0); the scales
 * every axis is judged by are read once. f(u0) reads u0's second differences, which only a closed
 * form makes smooth (an interpolant's are noise): for a u0 given by `initialValues` the values
 * and slopes alone are compared.
 */
function faceScanner(problem: Problem): (axis: number) => FaceScan {
  const u0 = initialFields(problem);
  const closedForm = problem.plan.initial !== null;
  const { lower, upper, dim: D, fields } = problem;
  const width = lower.map((l, i) => upper[i] - l);
  const inside = pilotPoints(lower, upper).subarray(0, SCALE_POINTS * D);
  // f(u0) is read by differences that step past the faces: a box three widths wide keeps the
  // face points where they are (initialRate moves only points near its own faces).
  const wideLower = lower.map((l, i) => l - width[i]);
  const wideUpper = upper.map((u, i) => u + width[i]);
  const size = u0At(u0, D, inside).map(largest);
  const base = inside.subarray(0, FACE_POINTS * D);
  const rateSize = closedForm ? initialRate(problem, base, FACE_POINTS, wideLower, wideUpper).rate.map(largest) : [];
  const mismatch = (
    what: PeriodicMismatch['what'],
    axis: number,
    pairs: readonly (readonly [Float64Array, Float64Array])[],
    scales: readonly number[],
    tol: number,
  ): PeriodicMismatch | null => {
    for (const [k, [a, b]] of pairs.entries()) {
      const p = firstApart(a, b, scales[k], tol);
      if (p >= 0) {
        const point = Array.from(base.subarray(p * D, (p + 1) * D));
        point[axis] = lower[axis];
        return { what, field: fields[k], axis, point, values: [a[p], b[p]] };
      }
    }
    return null;
  };
  const largestOf = (columns: readonly Float64Array[]) => Math.max(...columns.map(largest));
  const total = Math.max(...size);
  return (axis) => {
    const low = onFace(base, D, axis, lower[axis]);
    const high = onFace(base, D, axis, upper[axis]);
    const lowValues = u0At(u0, D, low);
    const values = mismatch('value', axis, zip(lowValues, u0At(u0, D, high)), size, VALUE_TOLERANCE);
    if (values !== null) return { mismatch: values, carried: false };
    const h = STEP * width[axis];
    const slopeSize = slopeAt(u0, D, inside, axis, h).map(largest);
    const lowSlopes = slopeAt(u0, D, low, axis, h);
    const slopes = mismatch('slope', axis, zip(lowSlopes, slopeAt(u0, D, high, axis, h)), slopeSize, SLOPE_TOLERANCE);
    if (slopes !== null) return { mismatch: slopes, carried: false };
    if (closedForm) {
      // Both faces' points in one call: f(u0) on the first RATE_POINTS of each.
      const pair = new Float64Array(2 * RATE_POINTS * D);
      pair.set(low.subarray(0, RATE_POINTS * D));
      pair.set(high.subarray(0, RATE_POINTS * D), RATE_POINTS * D);
      const rate = initialRate(problem, pair, 2 * RATE_POINTS, wideLower, wideUpper).rate;
      const halves = rate.map((c): [Float64Array, Float64Array] => [
        c.subarray(0, RATE_POINTS),
        c.subarray(RATE_POINTS),
      ]);
      const rates = mismatch('rate', axis, halves, rateSize, RATE_TOLERANCE);
      if (rates !== null) return { mismatch: rates, carried: false };
    }
    const carried =
      total > 0 &&
      (largestOf(lowValues) >= FACE_SHARE * total || largestOf(lowSlopes) >= FACE_SHARE * Math.max(...slopeSize));
    return { mismatch: null, carried };
  };
}

/**
 * The first pair of opposite faces of a periodic axis (every axis, for boundary 'periodic') on
 * which u0, its derivative across the faces, or f(u0) fails to repeat (f(u0) for a closed-form u0
 * only); null when all repeat.
 */
export function periodicMismatch(problem: Problem): PeriodicMismatch | null {
  const axes = axesWith(problem.boundary, 'periodic', problem.dim);
  if (axes.length === 0) return null;
  const scan = faceScanner(problem);
  for (const axis of axes) {
    const { mismatch } = scan(axis);
    if (mismatch !== null) return mismatch;
  }
  return null;
}

/**
 * Whether u0, its slope and f(u0) (for a closed form) repeat across the faces of `axis`, whatever
 * the boundary given along it: what 'periodic' there would need.
 */
export function repeatsAcross(problem: Problem, axis: number): boolean {
  return faceScanner(problem)(axis).mismatch === null;
}

function zip(a: readonly Float64Array[], b: readonly Float64Array[]): [Float64Array, Float64Array][] {
  return a.map((column, k) => [column, b[k]]);
}

/**
 * The boundary a problem would suit better: its own with 'periodic' along every boundary-'none'
 * axis across whose faces u0, its slope and f(u0) repeat (`periodicMismatch` on that axis alone
 * finds nothing) and where u0 or its slope is not negligible (sin 2πx on [0, 1] is zero on its
 * faces, not its slope); null when no axis is such, when u0 is given by `initialValues`, or when
 * the right-hand side reads no spatial derivative.
 */
export function periodicSuggestion(problem: Problem): BoundarySpec | null {
  // Without f(u0) (a u0 given by values) a right-hand side that does not repeat would go unseen.
  if (problem.plan.initial === null) return null;
  // Without a spatial derivative nothing crosses the faces: 'none', with no margin, is exact.
  if (derivativeOrder(problem.plan.jets) === 0) return null;
  const scan = faceScanner(problem);
  const suggested = Array.from({ length: problem.dim }, (_, axis): Boundary => {
    const own = boundaryAlong(problem.boundary, axis);
    if (own !== 'none') return own;
    const { mismatch, carried } = scan(axis);
    return mismatch === null && carried ? 'periodic' : own;
  });
  if (suggested.every((b, axis) => b === boundaryAlong(problem.boundary, axis))) return null;
  return suggested.every((b) => b === suggested[0]) ? suggested[0] : suggested;
}
