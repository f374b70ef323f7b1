// Closed-form problems outside the catalogue that try the defaults on a problem's scales and
// coefficients, as a user writes them: a rod in metres and seconds, a box a millimetre wide, a
// strip sixteen times longer than it is wide, a diffusivity that varies in time, a diffusion with
// a cross derivative, transport at a high Péclet number, and growth with no spatial derivative at
// all (each point follows its own ODE), in 2D and 4D. Written with the public DSL only; part of
// `cases` in examples/lib/unseen-problems.ts, run by examples/unseen-problems.ts and checked
// against their own right-hand sides by tests/examples-unseen-problems.test.ts.
import { defineProblem, type Expr, ops } from '../../ts/index';
import type { Case } from './unseen-problems';

const { sin, cos, exp, lap, d, d2, sum } = ops;
const PI = Math.PI;

// A rod 1 km long, κ = 10 m²/s, for 10⁴ s, at 300 (a temperature in kelvin), Dirichlet:
// u = 300·sin(πx/L)·e^{−κπ²t/L²}.
function units(): Case {
  const [L, kappa] = [1000, 10];
  const rate = (kappa * PI * PI) / (L * L);
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI / L)).mul(300);
  return {
    problem: defineProblem({
      name: 'rod-units-1d',
      dim: 1,
      domain: { lower: 0, upper: L },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: d2(u, 0, 0).mul(kappa) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 1e4,
    summary: 'u_t=10u_xx, 300 sin(πx/1000), [0,1000] m, T=10⁴ s, dirichlet',
  };
}

// A square a millimetre wide, κ = 1e-7 m²/s, for 1 s, Dirichlet: u = sin(πx/L)sin(πy/L)e^{−2κπ²t/L²}.
function micro(): Case {
  const [L, kappa] = [1e-3, 1e-7];
  const rate = (2 * kappa * PI * PI) / (L * L);
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI / L)).mul(sin(x[1].mul(PI / L)));
  return {
    problem: defineProblem({
      name: 'micro-2d',
      dim: 2,
      domain: { lower: 0, upper: L },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(kappa) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 1,
    summary: 'u_t=1e-7Δu, sin(πx/L)sin(πy/L), [0,1e-3]², dirichlet',
  };
}

// A strip [0, 4] × [0, 0.25], κ = 0.01, Dirichlet: u = sin(πx/4)sin(4πy)e^{−κ(π²/16 + 16π²)t}.
function strip(): Case {
  const k = 0.01;
  const rate = k * ((PI * PI) / 16 + 16 * PI * PI);
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI / 4)).mul(sin(x[1].mul(4 * PI)));
  return {
    problem: defineProblem({
      name: 'strip-2d',
      dim: 2,
      domain: { lower: [0, 0], upper: [4, 0.25] },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 1,
    summary: 'u_t=0.01Δu, sin(πx/4)sin(4πy), [0,4]×[0,0.25], dirichlet',
  };
}

// A diffusivity that varies in time, u_t = 0.1(1 + sin 2πt)Δu on [0, 1]², Dirichlet:
// u = sin πx sin πy·e^{−0.2π²(t + (1 − cos 2πt)/2π)}.
function timeCoef(): Case {
  const k = 0.1;
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  const elapsed = (t: Expr) =>
    t.sub(
      cos(t.mul(2 * PI))
        .sub(1)
        .mul(1 / (2 * PI)),
    );
  return {
    problem: defineProblem({
      name: 'time-coefficient-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u, t }) => ({
        u: lap(u).mul(
          sin(t.mul(2 * PI))
            .add(1)
            .mul(k),
        ),
      }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(elapsed(t).mul(-2 * PI * PI * k))) }),
    }),
    T: 1,
    summary: 'u_t=0.1(1+sin 2πt)Δu, sin πx sin πy, [0,1]², dirichlet',
  };
}

// An anisotropic diffusion with a cross derivative, u_t = a(u_xx + u_yy) + c·u_xy (a = 0.05,
// c = 0.02), from a Gaussian of variance s0 = 0.09 on [−1.5, 1.5]², 'none': the Gaussian of
// covariance Σ(t) = s0·I + 2tA, A = [[a, c/2], [c/2, a]], normalised by √(det Σ0/det Σ(t)).
function mixed(): Case {
  const [a, c, s0] = [0.05, 0.02, 0.09];
  const gauss = (x: readonly Expr[], t: Expr) => {
    const [sxx, sxy] = [t.mul(2 * a).add(s0), t.mul(c)];
    const det = sxx.mul(sxx).sub(sxy.mul(sxy));
    const q = x[0].pow(2).add(x[1].pow(2)).mul(sxx).sub(x[0].mul(x[1]).mul(sxy).mul(2)).div(det);
    return exp(q.mul(-0.5)).mul(det.pow(-0.5).mul(s0));
  };
  return {
    problem: defineProblem({
      name: 'cross-diffusion-2d',
      dim: 2,
      domain: { lower: -1.5, upper: 1.5 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, ops.constant(0)) }),
      rhs: ({ u }) => ({
        u: d2(u, 0, 0)
          .add(d2(u, 1, 1))
          .mul(a)
          .add(d2(u, 0, 1).mul(c)),
      }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 1,
    summary: 'u_t=0.05Δu+0.02u_xy, Gaussian σ=0.3, [-1.5,1.5]², none',
  };
}

// Transport at a high Péclet number, u_t = −2u_x + 0.002u_xx on [−1, 1], 'none': a Gaussian of
// width 0.1 carried from −0.5 to 0.5, u = (s/√S)e^{−(x + 0.5 − 2t)²/2S}, S = s² + 0.004t.
function peclet(): Case {
  const [c, nu, s] = [2, 0.002, 0.1];
  const gauss = (x: readonly Expr[], t: Expr) => {
    const S = t.mul(2 * nu).add(s * s);
    return exp(x[0].add(0.5).sub(t.mul(c)).pow(2).neg().div(S.mul(2))).mul(S.pow(-0.5).mul(s));
  };
  return {
    problem: defineProblem({
      name: 'peclet-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, ops.constant(0)) }),
      rhs: ({ u }) => ({
        u: d(u, 0)
          .mul(-c)
          .add(d2(u, 0, 0).mul(nu)),
      }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 0.5,
    summary: 'u_t=-2u_x+0.002u_xx, Gaussian σ=0.1 carried 1, [-1,1], none',
  };
}

// Logistic growth with no spatial derivative, u_t = r·u(1 − u), from u0 = a + b·Π sin πx_i on
// [−1, 1]^D, 'none': u = u0·e^{rt}/(1 − u0 + u0·e^{rt}) at each point. In 2D r = 1 and
// u0 = 0.1 + 0.04·sin πx sin πy; in 4D r = 1 + 0.2·Σx_i and u0 = 0.1 + 0.05·Π sin πx_i.
function logistic(dim: 2 | 4): Case {
  const [a, b] = dim === 2 ? [0.1, 0.04] : [0.1, 0.05];
  const start = (x: readonly Expr[]) =>
    x
      .map((xi) => sin(xi.mul(PI)))
      .reduce((p, q) => p.mul(q))
      .mul(b)
      .add(a);
  const rate = (x: readonly Expr[]) => (dim === 2 ? ops.constant(1) : sum(x).mul(0.2).add(1));
  return {
    problem: defineProblem({
      name: `logistic-${dim}d`,
      dim,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: start(x) }),
      rhs: ({ u, x }) => ({ u: u.mul(u.neg().add(1)).mul(rate(x)) }),
      exact: ({ x, t }) => {
        const grown = start(x).mul(exp(rate(x).mul(t)));
        return { u: grown.div(start(x).neg().add(1).add(grown)) };
      },
    }),
    T: dim === 2 ? 3 : 2,
    summary:
      dim === 2
        ? 'u_t=u(1-u), 0.1+0.04 sin πx sin πy, [-1,1]², none'
        : 'u_t=(1+0.2Σx)u(1-u), 0.1+0.05Π sin πx_i, [-1,1]⁴, none',
  };
}

/** The cases of this file, by the names examples/unseen-problems.ts takes. */
export const scaleCases: Record<string, () => Case> = {
  units,
  micro,
  strip,
  timeCoef,
  mixed,
  peclet,
  logistic: () => logistic(2),
  logistic4: () => logistic(4),
};
