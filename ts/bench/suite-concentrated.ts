// Closed-form problems whose solution is concentrated in a small part of the box, the class of the
// paper's Fokker–Planck and Vlasov experiments: an Ornstein–Uhlenbeck Fokker–Planck equation
// (a Gaussian density stays Gaussian) and a Vlasov transport under a linear force (solved by its
// characteristics). Shared by the suite (ts/bench/suite-problems.ts) and its tests.
import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';

const PI = Math.PI;

/** The normal density N(x; m, s²) of one axis, with m and s² expressions of t. */
function normal(x: Expr, mean: Expr, variance: Expr): Expr {
  return ops.exp(x.sub(mean).pow(2).div(variance.mul(-2))).div(ops.sqrt(variance.mul(2 * PI)));
}

export interface OrnsteinUhlenbeckOptions {
  dim: number;
  /** Standard deviation of the initial Gaussian on every axis. */
  sigma0: number;
  /** The problem's name. */
  name?: string;
}

/** Drift rates a_i: the cycle 0.5, 1, 1.5, 2 over the axes (some widths grow, some shrink). */
export const ouRates = (dim: number): number[] => Array.from({ length: dim }, (_, i) => 0.5 * (1 + (i % 4)));
/** Initial means: ±0.3 alternating over the axes, so the density moves towards the centre. */
export const ouMeans = (dim: number): number[] => Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? 0.3 : -0.3));
/** The diffusion constant D of the suite's Ornstein–Uhlenbeck problems. */
export const OU_DIFFUSION = 0.01;

/** Each axis's mean e^{−a_i t}m0_i and variance e^{−2a_i t}σ0² + (D/a_i)(1 − e^{−2a_i t}) at t. */
export function ouMoments(dim: number, sigma0: number, t: number): { mean: number[]; variance: number[] } {
  const a = ouRates(dim);
  return {
    mean: ouMeans(dim).map((m, i) => m * Math.exp(-a[i] * t)),
    variance: a.map((ai) => Math.exp(-2 * ai * t) * sigma0 ** 2 + (OU_DIFFUSION / ai) * (1 - Math.exp(-2 * ai * t))),
  };
}

/**
 * The Ornstein–Uhlenbeck Fokker–Planck equation p_t = ∇·(A x p) + DΔp on [-1, 1]^d, A = diag(a),
 * Dirichlet, from p0 = Π N(x_i; m0_i, σ0²). Each axis stays Gaussian with mean e^{-a_i t}m0_i and
 * variance e^{-2a_i t}σ0² + (D/a_i)(1 − e^{-2a_i t}) (≤ max(σ0², D/a_i)). With σ0 ≤ 0.15 every face
 * is ≥ 0.7 ≥ 4.6σ from the mean, so the density there is below 2e-5 of its peak and the Dirichlet
 * data hold to that accuracy.
 */
export function suiteOrnsteinUhlenbeck(options: OrnsteinUhlenbeckOptions): Problem {
  const { dim, sigma0 } = options;
  const a = ouRates(dim);
  const m0 = ouMeans(dim);
  const D = OU_DIFFUSION;
  const density = (x: readonly Expr[], t: Expr): Expr =>
    x
      .map((xi, i) => {
        const decay = ops.exp(t.mul(-a[i]));
        const decay2 = ops.exp(t.mul(-2 * a[i]));
        const variance = decay2.mul(sigma0 * sigma0).add(
          ops
            .constant(1)
            .sub(decay2)
            .mul(D / a[i]),
        );
        return normal(xi, decay.mul(m0[i]), variance);
      })
      .reduce((p, f) => p.mul(f));
  return defineProblem({
    name: options.name ?? `suite-ou-${dim}d`,
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: density(x, ops.constant(0)) }),
    rhs: ({ u, x }) => ({
      u: ops
        .lap(u)
        .mul(D)
        .add(ops.sum(x.map((xi, i) => ops.d(xi.mul(a[i]).mul(u), i)))),
    }),
    exact: ({ x, t }) => ({ u: density(x, t) }),
    params: { dim, D, sigma0 },
  });
}

/** Oscillator frequencies ω_i of the linear force −ω_i²x_i on the three axes. */
export const VLASOV_FREQUENCIES = [1, 1.5, 0.75];
/** Centre of the initial Gaussian in (x, v). */
export const VLASOV_CENTRE = [0.3, 0, -0.2, 0, 0.3, 0];

/**
 * A Vlasov transport in 6D, z = (x, v): u_t = −v·∇_x u + Σ_i ω_i² x_i ∂u/∂v_i (the force −ω_i²x_i)
 * on [-1, 1]^6, Dirichlet, from a Gaussian u0 = N(z; c, σ²I). Along the characteristics each
 * (x_i, v_i) turns on an ellipse, x_i(t) = x_i cos ω_i t + (v_i/ω_i) sin ω_i t, so
 * u(z, t) = u0(z₀) with z₀ the point the characteristic through z left at t = 0:
 * x₀ = x cos ω t − (v/ω) sin ω t, v₀ = ωx sin ω t + v cos ω t. A characteristic stays in the box
 * when √(x₀² + (v₀/ω)²)·max(1, ω) ≤ 1; for the centre c and frequencies ω below, every starting
 * point within 0.63 of c on each (x_i, v_i) plane does (4.2σ at σ = 0.15), so the density on the
 * faces stays below 2e-4 of its peak and the Dirichlet data hold to that accuracy.
 */
export function suiteVlasovLinear6d(sigma: number, name = 'suite-vlasov-6d'): Problem {
  const w = VLASOV_FREQUENCIES;
  const c = VLASOV_CENTRE;
  const norm = (2 * PI * sigma * sigma) ** -3;
  const u0 = (z: readonly Expr[]): Expr =>
    ops.exp(ops.sum(z.map((zi, i) => zi.sub(c[i]).pow(2))).mul(-1 / (2 * sigma * sigma))).mul(norm);
  return defineProblem({
    name,
    dim: 6,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: u0(x) }),
    rhs: ({ u, x }) => ({
      u: ops.sum(
        [0, 1, 2].map((i) =>
          x[i]
            .mul(w[i] * w[i])
            .mul(ops.d(u, i + 3))
            .sub(x[i + 3].mul(ops.d(u, i))),
        ),
      ),
    }),
    exact: ({ x, t }) => {
      const start: Expr[] = new Array(6);
      for (let i = 0; i < 3; i++) {
        const cs = ops.cos(t.mul(w[i]));
        const sn = ops.sin(t.mul(w[i]));
        start[i] = x[i].mul(cs).sub(x[i + 3].mul(sn).div(w[i]));
        start[i + 3] = x[i]
          .mul(sn)
          .mul(w[i])
          .add(x[i + 3].mul(cs));
      }
      return { u: u0(start) };
    },
    params: { sigma },
  });
}
