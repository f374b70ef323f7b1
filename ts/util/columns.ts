/** Helpers on row-major point sets (n×D) and on value columns, shared by the checks read on u0. */

/** The points x (row-major n×D) with coordinate `axis` set to `value`: moved onto that face. */
export function onFace(x: Float64Array, D: number, axis: number, value: number): Float64Array {
  const y = Float64Array.from(x);
  for (let p = axis; p < y.length; p += D) y[p] = value;
  return y;
}

/** Largest finite |v| over a column, 0 when there is none. */
export function largestMagnitude(v: Float64Array): number {
  let m = 0;
  for (const x of v) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

/** A number as people read it in a message: three significant digits at most. */
export const threeDigits = (x: number): string => String(Number(x.toPrecision(3)));
