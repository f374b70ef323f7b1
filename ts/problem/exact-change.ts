import { relativeError } from '../util/compare';
import { mulberry32 } from '../util/random';
import type { Problem } from './define';
import { evaluateProgram } from './evaluate';

/**
 * ‖u*(t) − u*(0)‖/‖u*(t)‖ of a problem's closed form, fields together, on seeded uniform points of
 * its box: the error of a solver that did not move. An error, or a bound on it, means something
 * only well below this.
 */
export function exactChange(problem: Problem, t: number, { points = 20_000, seed = 1 } = {}): number {
  const { dim, lower, upper, exact } = problem.plan;
  if (exact === null) throw new Error(`${problem.name} has no exact solution`);
  const random = mulberry32(seed);
  const x = Float64Array.from({ length: points * dim }, (_, i) => {
    const axis = i % dim;
    return lower[axis] + (upper[axis] - lower[axis]) * random();
  });
  const at = (time: number) => {
    const columns = evaluateProgram(exact, { n: points, x, t: time });
    const flat = new Float64Array(points * columns.length);
    columns.forEach((column, field) => {
      flat.set(column, field * points);
    });
    return flat;
  };
  return relativeError(at(0), at(t));
}
