// Closed-form problems whose solutions repeat with the box (or along x, in a channel), for any
// boundary: the example examples/periodic-boundary.ts compares 'periodic' with 'none' on them, and
// tests/solver-periodic.test.ts and tests/solver-channel.test.ts run them small.
import {
  type Boundary,
  type BoundarySpec,
  defineProblem,
  type Expr,
  type ExprLike,
  ops,
  type Problem,
} from '../../ts/index';

const { sin, cos, exp, lap, d, sqrt } = ops;
const tau = 2 * Math.PI;

/** u_t = Δu on [0, 1]² from sin 2πx cos 2πy: u = e^{−8π²t} sin 2πx cos 2πy; one e-fold at T = 1/(8π²). */
export function periodicHeat(boundary: Boundary = 'periodic'): Problem {
  const mode = (x: readonly Expr[]) => sin(x[0].mul(tau)).mul(cos(x[1].mul(tau)));
  return defineProblem({
    name: `heat-${boundary}`,
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: mode(x) }),
    rhs: ({ u }) => ({ u: lap(u) }),
    exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-2 * tau * tau))) }),
  });
}

/** u_t = −u_x on [0, 1] from e^{sin 2πx}: u = e^{sin 2π(x − t)}, the start again at t = 1. */
export function periodicAdvection(boundary: Boundary = 'periodic'): Problem {
  return defineProblem({
    name: `advection-${boundary}`,
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: exp(sin(x[0].mul(tau))) }),
    rhs: ({ u }) => ({ u: d(u, 0).mul(-1) }),
    exact: ({ x, t }) => ({ u: exp(sin(x[0].sub(t).mul(tau))) }),
  });
}

/** Allen–Cahn's ε in u_t = εu_xx + u − u³. */
export const ALLEN_CAHN_EPS = 0.01;

/** Allen–Cahn's u0 on [0, 2π]: 0.5 sin x + 0.3 sin 2x. */
export const allenCahnInitial = (x: number): number => 0.5 * Math.sin(x) + 0.3 * Math.sin(2 * x);

/**
 * Allen–Cahn u_t = εu_xx + u − u³ on [0, 2π], ε = 0.01, from 0.5 sin x + 0.3 sin 2x: the two signs
 * grow towards ±1 and meet in thin fronts. No closed form: examples/lib/fd-periodic-1d.ts is the
 * reference.
 */
export function periodicAllenCahn(boundary: Boundary = 'periodic'): Problem {
  return defineProblem({
    name: `allen-cahn-${boundary}`,
    dim: 1,
    domain: { lower: 0, upper: 2 * Math.PI },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({
      u: sin(x[0])
        .mul(0.5)
        .add(sin(x[0].mul(2)).mul(0.3)),
    }),
    rhs: ({ u }) => ({ u: d(d(u, 0), 0).mul(ALLEN_CAHN_EPS).add(u).sub(u.pow(3)) }),
  });
}

/**
 * A channel: u_t = −u_x on [0, 1]², periodic along x and zero on the faces of y, from
 * e^{sin 2πx}·sin πy: u = e^{sin 2π(x − t)}·sin πy, the start again at t = 1.
 */
export function channelAdvection(boundary: BoundarySpec = ['periodic', 'dirichlet']): Problem {
  const profile = (x: Expr, y: Expr) => exp(sin(x.mul(tau))).mul(sin(y.mul(Math.PI)));
  return defineProblem({
    name: 'channel-advection',
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: profile(x[0], x[1]) }),
    rhs: ({ u }) => ({ u: d(u, 0).mul(-1) }),
    exact: ({ x, t }) => ({ u: profile(x[0].sub(t), x[1]) }),
  });
}

/** The width σ0 and diffusivity ν of `channelSpread`'s Gaussian across the channel. */
export const CHANNEL_SPREAD = { sigma: 0.2, nu: 0.05 } as const;

/**
 * A channel open across: u_t = −u_x + ν·u_yy on [0, 1] × [−1, 1], periodic along x, boundary
 * 'none' along y, from e^{sin 2πx}·e^{−y²/2σ0²}: u = e^{sin 2π(x − t)}·(σ0/σ)·e^{−y²/2σ²} with
 * σ² = σ0² + 2νt, a profile carried along x while it spreads across.
 */
export function channelSpread(boundary: BoundarySpec = ['periodic', 'none']): Problem {
  const { sigma, nu } = CHANNEL_SPREAD;
  // (σ0/σ)·e^{−y²/2σ²}, given σ².
  const across = (y: Expr, s2: ExprLike) => exp(y.pow(2).mul(-0.5).div(s2)).mul(sigma).div(sqrt(s2));
  return defineProblem({
    name: 'channel-spread',
    dim: 2,
    domain: { lower: [0, -1], upper: [1, 1] },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: exp(sin(x[0].mul(tau))).mul(across(x[1], sigma * sigma)) }),
    rhs: ({ u }) => ({
      u: d(u, 0)
        .mul(-1)
        .add(d(d(u, 1), 1).mul(nu)),
    }),
    exact: ({ x, t }) => ({ u: exp(sin(x[0].sub(t).mul(tau))).mul(across(x[1], t.mul(2 * nu).add(sigma * sigma))) }),
  });
}
