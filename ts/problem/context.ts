/**
 * The spatial dimension of the problem whose callbacks are running. `defineProblem` calls the
 * `initial`, `rhs` and `exact` callbacks synchronously inside `withDimension`, so `lap`, `grad` and
 * `d` know D there without being told.
 */
let current: number | undefined;

export function withDimension<T>(dim: number, fn: () => T): T {
  const saved = current;
  current = dim;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

export function contextDimension(): number | undefined {
  return current;
}
