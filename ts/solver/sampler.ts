// Points for fits to values known only at points: a problem given by `initialValues` (a JavaScript
// function, called once per fit on a seeded pool of points) and a field's rate features.
import { mulberry32 } from '../util/random';
import type { FitConfig } from './session';

/** Points of a fit's pool: enough for its batches to be few of them, and for head tuning. */
export function poolSize(config: Pick<FitConfig, 'batch' | 'samples' | 'headSamples'>): number {
  return Math.max(4 * Math.max(config.batch, config.samples), config.headSamples);
}

/** n points uniform in the box, row-major n×D, from a seeded stream (mulberry32). */
export function uniformPoints(
  n: number,
  lower: readonly number[],
  upper: readonly number[],
  seed: number,
): Float64Array {
  const D = lower.length;
  const out = new Float64Array(n * D);
  const next = mulberry32(seed ^ 0x9e3779b9);
  for (let i = 0; i < out.length; i++) {
    const u = next();
    const axis = i % D;
    out[i] = lower[axis] + (upper[axis] - lower[axis]) * u;
  }
  return out;
}
