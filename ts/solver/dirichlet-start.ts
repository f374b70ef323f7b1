/**
 * A Dirichlet boundary is built into the network: every field is its output times a factor that is
 * zero on the faces of the Dirichlet axes, so the network holds only a u0 that is zero there. A u0
 * that is not (boundary values that are not zero, a bump whose tail reaches the faces) leaves the
 * fit an error along those faces that no budget or width removes. Read on pilot points moved onto
 * each face.
 */
import { axesWith } from '../problem/boundary';
import type { Problem } from '../problem/define';
import { largestMagnitude as largest, onFace, threeDigits as short } from '../util/columns';
import { fieldSizes, initialFields, pilotPoints } from './initial-shape';

/**
 * Above this share of its field's largest value, u0 on a Dirichlet face is boundary data, not a
 * tail that reaches the face: the run is refused before any native work. A 2D Gaussian at 14 % on
 * its faces fitted to 1.1e-2 in 60 s under 'dirichlet' (1000 times its tolerance, where a fit is
 * refused anyway, with advice that cannot name this cause), and at 36 % to 1.6e-2
 * (docs/fitting-and-sampling.md, "A u0 that is not zero on Dirichlet faces").
 */
export const DIRICHLET_REFUSED_SHARE = 0.1;

/**
 * Above this share u0's value on the faces holds a fit far above its default tolerance (a 2D
 * Gaussian at 0.4 % fitted to 1.3e-3 under 'dirichlet' and to 1e-5 under 'none'): a fit that
 * misses its tolerance names the faces first among what would help.
 */
export const DIRICHLET_NOTED_SHARE = 1e-3;

/** Pilot points moved onto each face. */
const FACE_POINTS = 256;

/** Where u0 is furthest from zero on a Dirichlet face, as a share of its field's size. */
export interface DirichletFaceValue {
  readonly field: string;
  readonly axis: number;
  /** The point on the face (its coordinate `axis` is `lower[axis]` or `upper[axis]`). */
  readonly point: number[];
  /** u0 there. */
  readonly value: number;
  /** |value| over the field's size in u0 (its peak in the box, `fieldSizes`, or on the faces). */
  readonly share: number;
}

/**
 * The point of a Dirichlet axis's faces where u0 is largest as a share of its field's largest
 * value, over every field and face; null when no axis is Dirichlet or u0 is zero everywhere read.
 */
export function dirichletFaceValue(problem: Problem): DirichletFaceValue | null {
  const { lower, upper, dim: D, fields } = problem;
  const axes = axesWith(problem.boundary, 'dirichlet', D);
  if (axes.length === 0) return null;
  const u0 = initialFields(problem);
  // The peak a compass search finds from the best pilot point: a narrow bump in 8D lies far from
  // every pilot point, and a share of what they see would overstate its faces.
  const size = fieldSizes(problem, lower, upper);
  const base = pilotPoints(lower, upper).subarray(0, FACE_POINTS * D);
  const faces = axes.flatMap((axis) => [lower[axis], upper[axis]].map((at) => ({ axis, at })));
  const read = faces.map(({ axis, at }) => {
    const x = onFace(base, D, axis, at);
    return { axis, x, values: u0(x, FACE_POINTS) };
  });
  // A face's own values count toward the field's size: a u0 largest on its faces is judged by them.
  for (const { values } of read) {
    for (const [k, column] of values.entries()) size[k] = Math.max(size[k], largest(column));
  }
  let found: DirichletFaceValue | null = null;
  for (const { axis, x, values } of read) {
    for (const [k, column] of values.entries()) {
      if (!(size[k] > 0)) continue;
      for (let p = 0; p < FACE_POINTS; p++) {
        const share = Math.abs(column[p]) / size[k];
        if (Number.isFinite(share) && share > (found?.share ?? 0)) {
          found = {
            field: fields[k],
            axis,
            point: Array.from(x.subarray(p * D, (p + 1) * D)),
            value: column[p],
            share,
          };
        }
      }
    }
  }
  return found;
}

/** Where u0 is on a face and how large, in words: "u0 = 1 at x = (1, 0.5) (the face x[0] = 1), 50 % of its largest value". */
export function describeFaceValue(f: DirichletFaceValue, byValues: boolean): string {
  const field = byValues ? `u0 (field ${f.field})` : 'u0';
  const at = `x = (${f.point.map(short).join(', ')}) (the face x[${f.axis}] = ${short(f.point[f.axis])})`;
  return `${field} = ${short(f.value)} at ${at}, ${short(100 * f.share)} % of its largest value`;
}
