import { mulberry32 } from '../../ts/util/random';

/** A small seeded PRNG (mulberry32) so tests draw the same numbers every run. */
export const rng = mulberry32;

export function uniform(count: number, lo: number, hi: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => lo + (hi - lo) * next());
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export { relativeError } from '../../ts/util/compare';
