import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import { integerDim, product, readOptions } from './common';

/** Options of `problems.wave`: the wave equation as a first-order system. */
export interface WaveOptions {
  /** Spatial dimension D (default 3). */
  dim?: number;
  /** The problem's name in reports (default 'wave-<D>d'). */
  name?: string;
}

/**
 * The wave equation φ_tt = Δφ as a first-order system in (phi, psi = φ_t):
 * phi_t = psi, psi_t = Δphi, on [-1,1]^D with Dirichlet data.
 *
 * D = 3 (the paper's appendix B.1): the outgoing radial wave of f(s) = 2s²e^{-200s²}, r = |x|,
 * s = t - r, f'(s) = 4s(1 - 200s²)e^{-200s²}. The initial data are those of f(t - r)/r at t = 0,
 * in forms without the 1/r: phi0 = 2r e^{-200r²}, psi0 = -4(1 - 200r²)e^{-200r²}.
 * The solution of this initial value problem is NOT f(t - r)/r everywhere, as the paper writes:
 * that function also solves φ_tt = Δφ + 4πf(t)δ(x), a point source at the origin (r·φ → f(t) as
 * r → 0), which emits a second shell f(t - r)/r inside r < t. The source-free solution is, by
 * d'Alembert on v = rφ (v_tt = v_rr, v odd in r): v = f(t - r) for r > t and v = 0 for r < t, i.e.
 *   phi = H(r - t) f(t - r)/r,  psi = H(r - t) f'(t - r)/r,
 * which is C¹ across r = t because f(0) = f'(0) = 0, and regular (zero) near the origin for t > 0.
 * (The formula is 0/0 at the origin itself, a point that random samples never hit.) On
 * the box faces r >= 1 and t <= 0.5 give s <= -0.5, so the solution there is below e^{-50}: the
 * Dirichlet data are consistent with it to double precision.
 *
 * D ≠ 3: the standing wave phi = cos(ωt) Π cos(πx_i/2), psi = -ω sin(ωt) Π cos(πx_i/2), with
 * ω = π√D/2 (Δ Π cos(πx_i/2) = -(Dπ²/4) Π cos(πx_i/2)); phi0 = Π cos(πx_i/2), psi0 = 0.
 *
 * The system's energy norm (H¹ for phi, L² for psi) is the projection `linear: { gradientWeight:
 * { phi: 1 } }` (docs/accuracy.md, "The projection's norm"); the default is the paper's L².
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
        // H(-s) = H(r - t) without a step function: 2s²H(-s) = s² - s|s|, 2sH(-s) = s - |s|.
        const g = ops.exp(s.pow(2).mul(-200));
        return {
          phi: s
            .pow(2)
            .sub(s.mul(ops.abs(s)))
            .mul(g)
            .div(r),
          psi: s
            .sub(ops.abs(s))
            .mul(2)
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
