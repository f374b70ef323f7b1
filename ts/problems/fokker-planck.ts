import { defineProblem, type Problem } from '../problem/define';
import { ops } from '../problem/ops';
import { expectFinite, expectPositive } from '../problem/validate';
import { integerDim, product, readOptions, vectorOf, vectorParams } from './common';

/** Options of `problems.fokkerPlanck`: the harmonic-trap Fokker–Planck equation. */
export interface FokkerPlanckOptions {
  /** Number of particles / spatial dimension d (default 8). */
  dim?: number;
  /** Diffusion constant D (default 0.01). */
  D?: number;
  /** Interaction strength α (default 1/4). */
  alpha?: number;
  /** Trap centre a, a number (a·1) or d numbers (default 0.2). */
  a?: number | number[];
  /** The problem's name in reports (default 'fokker-planck-<d>d'). */
  name?: string;
}

/**
 * The harmonic-trap Fokker–Planck equation of the paper's appendix B.3:
 * u_t = DΔu - ∇·(hu), h(x) = (a - x) + α(11ᵀ/d - I)x, i.e. h_i = a_i - x_i + α(Σ_j x_j/d - x_i),
 * u0 = (3/4)^d Π(1 - x_i²) on [-1,1]^d with Dirichlet data. The drift ∇·(hu) = Σ_i ∂_i(h_i u) is
 * written with `d` on the product, so the DSL applies the product rule.
 *
 * u0 vanishes on the faces but f(u0) does not (the drift carries the zero boundary values inward),
 * so the solution grows a layer at each face from t = 0: following it takes small early steps and
 * many CG iterations (docs/accuracy.md, "Where it costs"). With `alpha: 0` the solution is a
 * product of 1D solutions, which examples/fokker-planck-reference.ts measures against.
 */
export function fokkerPlanck(options: FokkerPlanckOptions = {}): Problem {
  const o = readOptions(options, ['dim', 'D', 'alpha', 'a']);
  const dim = o.get('dim', 8, integerDim);
  const diffusion = o.get('D', 0.01, expectPositive);
  const alpha = o.get('alpha', 0.25, expectFinite);
  const a = o.get('a', new Array<number>(dim).fill(0.2), vectorOf(dim));
  return defineProblem({
    name: o.name(`fokker-planck-${dim}d`),
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: product(x.map((xi) => ops.constant(1).sub(xi.pow(2)))).mul(0.75 ** dim) }),
    rhs: ({ u, x }) => {
      const mean = ops.sum(x).div(dim);
      const h = x.map((xi, i) => ops.constant(a[i]).sub(xi).add(mean.sub(xi).mul(alpha)));
      const drift = ops.sum(h.map((hi, i) => ops.d(hi.mul(u), i)));
      return { u: ops.lap(u).mul(diffusion).sub(drift) };
    },
    params: { dim, D: diffusion, alpha, ...vectorParams('a', a) },
  });
}
