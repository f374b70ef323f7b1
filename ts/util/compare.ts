/** ‖actual − expected‖₂ / ‖expected‖₂ over all entries. */
export function relativeError(actual: Float64Array, expected: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < actual.length; i++) {
    num += (actual[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}
