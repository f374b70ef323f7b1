import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import { expectPositive } from '../problem/validate';
import { integerDim, product, readOptions } from './common';

/** Options of `problems.heat`: the heat equation with a closed-form solution. */
export interface HeatOptions {
  /** Spatial dimension D (default 2). */
  dim?: number;
  /** κ in u_t = κΔu (default 0.1). */
  diffusivity?: number;
  /** The problem's name in reports (default 'heat-<D>d'). */
  name?: string;
}

/**
 * The heat equation u_t = κΔu on [-1,1]^D with zero Dirichlet data. u0 = Π cos(πx_i/2) is an
 * eigenfunction of Δ with eigenvalue -Dπ²/4, so u = exp(-κDπ²t/4) u0.
 */
export function heat(options: HeatOptions = {}): Problem {
  const o = readOptions(options, ['dim', 'diffusivity']);
  const dim = o.get('dim', 2, integerDim);
  const kappa = o.get('diffusivity', 0.1, expectPositive);
  const mode = (x: readonly Expr[]): Expr => product(x.map((xi) => ops.cos(xi.mul(Math.PI / 2))));
  return defineProblem({
    name: o.name(`heat-${dim}d`),
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: mode(x) }),
    rhs: ({ u }) => ({ u: ops.lap(u).mul(kappa) }),
    exact: ({ x, t }) => ({ u: ops.exp(t.mul((-kappa * dim * Math.PI * Math.PI) / 4)).mul(mode(x)) }),
    params: { dim, diffusivity: kappa },
  });
}
