import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import { integerDim, product, readOptions } from './common';

export interface WaveOptions {
  /** Spatial dimension D (default 3). */
  dim?: number;
  name?: string;
}

/**
 * The wave equation φ_tt = Δφ as a first-order system in (phi, psi = φ_t):
 * phi_t = psi, psi_t = Δphi, on [-1,1]^D with Dirichlet data.
 *
 * D = 3 (the paper's appendix B.1): the outgoing radial wave u = f(t - r)/r, f(s) = 2s²e^{-200s²},
 * r = |x|. With s = t - r and f'(s) = 4s(1 - 200s²)e^{-200s²}:
 *   phi = 2s²e^{-200s²}/r,  psi = ∂_t u = 4s(1 - 200s²)e^{-200s²}/r.
 * At t = 0 (s = -r) the 1/r cancels: phi0 = 2r e^{-200r²}, psi0 = -4(1 - 200r²)e^{-200r²}; the
 * initial condition uses these regular forms. The exact solution is singular at r = 0 for t > 0
 * (f(t)/r) and its formula is 0/0 at exactly r = 0, t = 0, so it evaluates to NaN or ±Inf at the
 * origin only; error estimates on random points never hit it. On the box faces r >= 1 and
 * t <= 0.5 give s <= -0.5, so the solution there is below e^{-50}: the Dirichlet data are
 * consistent with the exact solution to double precision.
 *
 * D ≠ 3: the standing wave phi = cos(ωt) Π cos(πx_i/2), psi = -ω sin(ωt) Π cos(πx_i/2), with
 * ω = π√D/2 (Δ Π cos(πx_i/2) = -(Dπ²/4) Π cos(πx_i/2)); phi0 = Π cos(πx_i/2), psi0 = 0.
 */
export function wave(options: WaveOptions = {}): Problem {
  const o = readOptions(options, ['dim']);
  const dim = o.get('dim', 3, integerDim);
  const common = {
    name: o.name(`wave-${dim}d`),
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['phi', 'psi'],
    rhs: ({ phi, psi }: { phi: Expr; psi: Expr }) => ({ phi: psi, psi: ops.lap(phi) }),
    params: { dim },
  } as const;

  if (dim === 3) {
    const radius = (x: readonly Expr[]): Expr => ops.sqrt(ops.sum(x.map((xi) => xi.pow(2))));
    return defineProblem({
      ...common,
      initial: ({ x }) => {
        const r = radius(x);
        const g = ops.exp(r.pow(2).mul(-200));
        return { phi: r.mul(2).mul(g), psi: ops.constant(1).sub(r.pow(2).mul(200)).mul(g).mul(-4) };
      },
      exact: ({ x, t }) => {
        const r = radius(x);
        const s = t.sub(r);
        const g = ops.exp(s.pow(2).mul(-200));
        return {
          phi: s.pow(2).mul(2).mul(g).div(r),
          psi: s
            .mul(4)
            .mul(ops.constant(1).sub(s.pow(2).mul(200)))
            .mul(g)
            .div(r),
        };
      },
    });
  }

  const omega = (Math.PI * Math.sqrt(dim)) / 2;
  const mode = (x: readonly Expr[]): Expr => product(x.map((xi) => ops.cos(xi.mul(Math.PI / 2))));
  return defineProblem({
    ...common,
    initial: ({ x }) => ({ phi: mode(x), psi: 0 }),
    exact: ({ x, t }) => ({
      phi: ops.cos(t.mul(omega)).mul(mode(x)),
      psi: ops.sin(t.mul(omega)).mul(-omega).mul(mode(x)),
    }),
  });
}
