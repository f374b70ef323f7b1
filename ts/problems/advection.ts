import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import { expectPositive } from '../problem/validate';
import { integerDim, readOptions, vectorOf, vectorParams } from './common';

/** Options of `problems.advection`: linear advection of a Gaussian. */
export interface AdvectionOptions {
  /** Spatial dimension D (default 2). */
  dim?: number;
  /** Constant velocity c, a number (every axis) or D numbers (default 1 along axis 0, 0 elsewhere). */
  velocity?: number | number[];
  /** Centre of the initial Gaussian (default the origin). */
  center?: number | number[];
  /** Standard deviation of the initial Gaussian (default 0.25). */
  width?: number;
  /** The problem's name in reports (default 'advection-<D>d'). */
  name?: string;
}

/**
 * Linear advection u_t = -c·∇u on [-1,1]^D with no boundary constraint. The initial condition is
 * the Gaussian u0(x) = exp(-|x - x0|²/(2w²)); the solution is u0(x - ct). What enters the box by
 * time T comes from up to |c|·T outside it, which the solver must sample: its `margin` option
 * (0.5 of the half-width by default) grows to |c|·T where `evolve(T)` fits first, and in the CLI
 * (`marginFor`, ts/solver/inflow.ts).
 */
export function advection(options: AdvectionOptions = {}): Problem {
  const o = readOptions(options, ['dim', 'velocity', 'center', 'width']);
  const dim = o.get('dim', 2, integerDim);
  const velocity = o.get(
    'velocity',
    Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0)),
    vectorOf(dim),
  );
  const center = o.get('center', new Array<number>(dim).fill(0), vectorOf(dim));
  const width = o.get('width', 0.25, expectPositive);
  const gaussian = (y: readonly Expr[]): Expr =>
    ops.exp(ops.sum(y.map((yi, i) => yi.sub(center[i]).pow(2))).mul(-1 / (2 * width * width)));
  return defineProblem({
    name: o.name(`advection-${dim}d`),
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u'],
    initial: ({ x }) => ({ u: gaussian(x) }),
    rhs: ({ u }) => ({ u: ops.sum(velocity.map((c, i) => ops.d(u, i).mul(-c))) }),
    exact: ({ x, t }) => ({ u: gaussian(x.map((xi, i) => xi.sub(t.mul(velocity[i])))) }),
    params: { dim, ...vectorParams('velocity', velocity), ...vectorParams('center', center), width },
  });
}
