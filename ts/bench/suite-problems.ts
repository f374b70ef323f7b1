// The closed-form accuracy suite: problems whose exact solutions are known in
// closed form, independently of the solver, shared by the bench (`suite` rows, full size) and by
// tests/accuracy-suite.test.ts (CI size). Each case names the one setting it needs beyond the
// defaults, a setting a user would choose from the documentation, never one tuned to a number.
import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import type { NeuralIVPOptions } from '../solver/options';
import { suiteOrnsteinUhlenbeck, suiteVlasovLinear6d } from './suite-concentrated';

export interface SuiteCase {
  /** The row's name. */
  name: string;
  /** What the case exercises. */
  kind: 'heat' | 'two-field' | 'nonlinear' | 'high-dimension' | 'long-horizon' | 'concentrated' | 'oscillatory';
  problem: Problem;
  /** The final time of the full-size run. */
  T: number;
  /** The final time of the CI-sized test (shorter: the test runs on loaded CI cores). */
  ciT: number;
  /** Options beyond the defaults for a run to time T (at most one documented setting; see `setting`). */
  options: (T: number) => Omit<NeuralIVPOptions, 'problem'>;
  /** The setting in words ('defaults' when there is none). */
  setting: string;
}

const PI = Math.PI;
const half = (e: Expr): Expr => e.mul(PI / 2);

/** cos(πx/2)cos(πy/2) (-Δ eigenvalue π²/2) and sin(πx)cos(πy/2) (5π²/4): zero on the faces of [-1, 1]². */
function modes2d(x: readonly Expr[]) {
  const cx = ops.cos(half(x[0]));
  const cy = ops.cos(half(x[1]));
  const sx = ops.sin(half(x[0]));
  const sy = ops.sin(half(x[1]));
  const s2x = ops.sin(x[0].mul(PI));
  return {
    a: cx.mul(cy),
    b: s2x.mul(cy),
    /** ∂a/∂x, ∂a/∂y, ∂b/∂x, ∂b/∂y by hand. */
    ax: sx.mul(cy).mul(-PI / 2),
    ay: cx.mul(sy).mul(-PI / 2),
    bx: ops.cos(x[0].mul(PI)).mul(cy).mul(PI),
    by: s2x.mul(sy).mul(-PI / 2),
  };
}
const LAMBDA_A = (PI * PI) / 2;
const LAMBDA_B = (5 * PI * PI) / 4;

/**
 * u_t = κΔu on [-1, 1]², Dirichlet, κ = 0.1, from two eigenmodes that decay at different rates, so
 * the solution changes shape (not only amplitude): u = e^{-κλ_a t}a + ½e^{-κλ_b t}b.
 */
export function suiteHeat2d(): Problem {
  const kappa = 0.1;
  return defineProblem({
    name: 'suite-heat-2d',
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => {
      const m = modes2d(x);
      return { u: m.a.add(m.b.mul(0.5)) };
    },
    rhs: ({ u }) => ({ u: ops.lap(u).mul(kappa) }),
    exact: ({ x, t }) => {
      const m = modes2d(x);
      const ea = ops.exp(t.mul(-kappa * LAMBDA_A));
      const eb = ops.exp(t.mul(-kappa * LAMBDA_B));
      return { u: ea.mul(m.a).add(eb.mul(m.b).mul(0.5)) };
    },
    params: { diffusivity: kappa },
  });
}

/**
 * The wave equation as the two-field system u_t = v, v_t = c²Δu on [-1, 1]², Dirichlet, c = 1: two
 * standing waves of frequencies ω = c√λ, u = cos(ω_a t)a + ½sin(ω_b t)b, v = u_t. Both fields are
 * non-zero at t = 0 (see docs/suite.md for a field that starts at zero).
 */
export function suiteWave2d(): Problem {
  const c = 1;
  const wa = c * Math.sqrt(LAMBDA_A);
  const wb = c * Math.sqrt(LAMBDA_B);
  return defineProblem({
    name: 'suite-wave-2d',
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => {
      const m = modes2d(x);
      return { u: m.a, v: m.b.mul(0.5 * wb) };
    },
    rhs: ({ u, v }) => ({ u: v, v: ops.lap(u).mul(c * c) }),
    exact: ({ x, t }) => {
      const m = modes2d(x);
      return {
        u: ops
          .cos(t.mul(wa))
          .mul(m.a)
          .add(ops.sin(t.mul(wb)).mul(m.b).mul(0.5)),
        v: ops
          .sin(t.mul(wa))
          .mul(m.a)
          .mul(-wa)
          .add(
            ops
              .cos(t.mul(wb))
              .mul(m.b)
              .mul(0.5 * wb),
          ),
      };
    },
    params: { speed: c },
  });
}

/**
 * Viscous Burgers in 2D with a manufactured solution: u_t = νΔu − u(u_x + u_y) + s(x, t) on
 * [-1, 1]², Dirichlet, ν = 0.1, with u* = A(t)a + B(t)b, A = e^{-t/2}, B = ½sin t, and the source
 * s = u*_t − νΔu* + u*(u*_x + u*_y) written out by hand from the modes' derivatives (the test checks
 * by finite differences that u* solves the equation).
 */
export function suiteBurgers2d(): Problem {
  const nu = 0.1;
  const parts = (x: readonly Expr[], t: Expr) => {
    const m = modes2d(x);
    const A = ops.exp(t.mul(-0.5));
    const B = ops.sin(t).mul(0.5);
    const At = A.mul(-0.5);
    const Bt = ops.cos(t).mul(0.5);
    const u = A.mul(m.a).add(B.mul(m.b));
    const ut = At.mul(m.a).add(Bt.mul(m.b));
    const lapU = A.mul(m.a).mul(-LAMBDA_A).sub(B.mul(m.b).mul(LAMBDA_B));
    const ux = A.mul(m.ax).add(B.mul(m.bx));
    const uy = A.mul(m.ay).add(B.mul(m.by));
    return { u, source: ut.sub(lapU.mul(nu)).add(u.mul(ux.add(uy))) };
  };
  return defineProblem({
    name: 'suite-burgers-2d',
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: modes2d(x).a }),
    rhs: ({ u, x, t }) => ({
      u: ops
        .lap(u)
        .mul(nu)
        .sub(u.mul(ops.d(u, 0).add(ops.d(u, 1))))
        .add(parts(x, t).source),
    }),
    exact: ({ x, t }) => ({ u: parts(x, t).u }),
    params: { viscosity: nu },
  });
}

/**
 * u_t = κΔu on [-1, 1]⁶, Dirichlet, κ = 0.1: u = e^{-κλ_a t}a + ½e^{-κλ_b t}b with
 * a = Π cos(πx_i/2) (λ_a = 6π²/4) and b = sin(πx_0)sin(πx_1)Π_{i≥2} cos(πx_i/2) (λ_b = 3π²).
 */
export function suiteHeat6d(): Problem {
  const kappa = 0.1;
  const dim = 6;
  const la = (dim * PI * PI) / 4;
  const lb = 2 * PI * PI + ((dim - 2) * PI * PI) / 4;
  const modes = (x: readonly Expr[]) => {
    const tail = x.slice(2).reduce<Expr>((p, xi) => p.mul(ops.cos(half(xi))), ops.constant(1));
    return {
      a: ops
        .cos(half(x[0]))
        .mul(ops.cos(half(x[1])))
        .mul(tail),
      b: ops
        .sin(x[0].mul(PI))
        .mul(ops.sin(x[1].mul(PI)))
        .mul(tail),
    };
  };
  return defineProblem({
    name: 'suite-heat-6d',
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => {
      const m = modes(x);
      return { u: m.a.add(m.b.mul(0.5)) };
    },
    rhs: ({ u }) => ({ u: ops.lap(u).mul(kappa) }),
    exact: ({ x, t }) => {
      const m = modes(x);
      return {
        u: ops
          .exp(t.mul(-kappa * la))
          .mul(m.a)
          .add(
            ops
              .exp(t.mul(-kappa * lb))
              .mul(m.b)
              .mul(0.5),
          ),
      };
    },
    params: { dim, diffusivity: kappa },
  });
}

/** sin(πx)sin(πy): zero on the faces of [-1, 1]², −Δ eigenvalue 2π². */
const modeC = (x: readonly Expr[]): Expr => ops.sin(x[0].mul(PI)).mul(ops.sin(x[1].mul(PI)));
const LAMBDA_C = 2 * PI * PI;

/**
 * A free Schrödinger equation iψ_t = −½Δψ on [-1, 1]², Dirichlet, written for ψ = a + ib as the
 * two-field system a_t = −½Δb, b_t = ½Δa. Each eigenmode φ_k (−Δφ_k = λ_kφ_k) turns at its own
 * frequency E_k = λ_k/2: ψ = φ_a e^{−iE_a t} + ½i φ_b e^{−iE_b t} + ¼φ_c e^{−iE_c t}, so the shape
 * changes (the modes' relative phases move), not only the phase of the whole. Both fields are
 * non-zero at t = 0 (a field fitted to zero starts with a near-zero last layer; docs/suite.md).
 */
export function suiteSchrodinger2d(): Problem {
  const ea = LAMBDA_A / 2;
  const eb = LAMBDA_B / 2;
  const ec = LAMBDA_C / 2;
  // φ e^{−iEt}·(re + i·im) split into real and imaginary parts.
  const turn = (phi: Expr, e: number, t: Expr, re: number, im: number) => {
    const c = ops.cos(t.mul(e));
    const s = ops.sin(t.mul(e));
    return { a: phi.mul(c.mul(re).add(s.mul(im))), b: phi.mul(c.mul(im).sub(s.mul(re))) };
  };
  const psi = (x: readonly Expr[], t: Expr) => {
    const m = modes2d(x);
    const parts = [turn(m.a, ea, t, 1, 0), turn(m.b, eb, t, 0, 0.5), turn(modeC(x), ec, t, 0.25, 0)];
    return {
      a: parts[0].a.add(parts[1].a).add(parts[2].a),
      b: parts[0].b.add(parts[1].b).add(parts[2].b),
    };
  };
  return defineProblem({
    name: 'suite-schrodinger-2d',
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['a', 'b'],
    initial: ({ x }) => psi(x, ops.constant(0)),
    rhs: ({ a, b }) => ({ a: ops.lap(b).mul(-0.5), b: ops.lap(a).mul(0.5) }),
    exact: ({ x, t }) => psi(x, t),
    params: { highestEnergy: ec },
  });
}

/**
 * The profile the long-horizon transport carries: g(s) = sin(πs/2) + ½cos(2πs/3), of period 12, so
 * that a shift by a few domain widths (2 each) never returns it to itself.
 */
const profile = (s: Expr): Expr => ops.sin(half(s)).add(ops.cos(s.mul((2 * PI) / 3)).mul(0.5));

/**
 * Transport over several domain widths: u_t = −c·u_x on [-1, 1], boundary 'none', c = 1, so
 * u = g(x − ct); to T = `widths`·2/c the profile crosses the domain `widths` times. What enters the
 * domain comes from up to c·T upstream, so the run needs `margin` ≥ c·T/(half-width), the
 * documented rule (docs/api.md, docs/accuracy.md).
 */
export function suiteTransport1d(): Problem {
  const c = 1;
  return defineProblem({
    name: 'suite-transport-1d',
    dim: 1,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u'],
    initial: ({ x }) => ({ u: profile(x[0]) }),
    rhs: ({ u }) => ({ u: ops.d(u, 0).mul(-c) }),
    exact: ({ x, t }) => ({ u: profile(x[0].sub(t.mul(c))) }),
    params: { velocity: c },
  });
}

/** The margin that covers transport at speed 1 to time T on [-1, 1] (margin·half-width ≥ c·T). */
export const transportMargin = (T: number): number => T;

const defaults = (): Omit<NeuralIVPOptions, 'problem'> => ({});

/**
 * μ for a problem with no damping, such as a wave or transport: it carries every step's projection
 * residual to T undamped, and a smaller μ lowers that residual at the price of CG iterations
 * (`linear.mu`'s doc).
 */
const UNDAMPED_MU = 1e-8;
const UNDAMPED_SETTING = `linear.mu = ${UNDAMPED_MU}, the documented value for an undamped problem`;

/** The suite: every case with the defaults but its one documented setting. */
export function suiteCases(): SuiteCase[] {
  const common = { options: defaults, setting: 'defaults' };
  return [
    { name: 'heat-2d', kind: 'heat', problem: suiteHeat2d(), T: 0.5, ciT: 0.2, ...common },
    {
      name: 'wave-2d',
      kind: 'two-field',
      problem: suiteWave2d(),
      T: 0.5,
      ciT: 0.1,
      ...common,
    },
    { name: 'burgers-2d', kind: 'nonlinear', problem: suiteBurgers2d(), T: 0.5, ciT: 0.2, ...common },
    { name: 'heat-6d', kind: 'high-dimension', problem: suiteHeat6d(), T: 0.1, ciT: 0.05, ...common },
    {
      name: 'transport-1d',
      kind: 'long-horizon',
      problem: suiteTransport1d(),
      T: 4, // two domain widths
      ciT: 2, // one
      options: (T) => ({ margin: transportMargin(T), linear: { mu: UNDAMPED_MU } }),
      setting: `margin = c·T / half-width (the documented rule); ${UNDAMPED_SETTING}`,
    },
  ];
}

/**
 * Solutions in a small part of the box (the paper's Fokker–Planck and Vlasov class): Gaussians
 * whose ±2σ region covers under 1 % of the box, with the defaults. Full size only: at the CI size
 * (a 2 × 16 network, 500 points) a 4D Gaussian of width 0.12 is not resolved at all, so
 * tests/suite-concentrated.test.ts checks their closed forms and a 2D case instead.
 */
export function concentratedCases(): SuiteCase[] {
  const common = { kind: 'concentrated' as const, options: defaults, setting: 'defaults' };
  return [
    { name: 'ou-4d', problem: suiteOrnsteinUhlenbeck({ dim: 4, sigma0: 0.12 }), T: 0.5, ciT: 0.1, ...common },
    { name: 'ou-8d', problem: suiteOrnsteinUhlenbeck({ dim: 8, sigma0: 0.12 }), T: 0.5, ciT: 0.1, ...common },
    { name: 'vlasov-6d', problem: suiteVlasovLinear6d(0.15), T: 0.5, ciT: 0.1, ...common },
  ];
}

/**
 * Oscillatory solutions: the Schrödinger case, whose modes turn at frequencies λ/2 (the wave's
 * turn at √λ), with the defaults.
 */
export function oscillatoryCases(): SuiteCase[] {
  return [
    {
      name: 'schrodinger-2d',
      kind: 'oscillatory',
      problem: suiteSchrodinger2d(),
      T: 0.25,
      ciT: 0.05,
      options: defaults,
      setting: 'defaults',
    },
  ];
}
