// Closed-form problems outside the catalogue on kinds of equation the other cases do not hold, as a
// user writes them: transport by a velocity that varies in space (a Gaussian stretched outward,
// one squeezed inward), a heat mode followed until it has decayed twenty thousand times, heat in
// 10D, a coherent state of the quantum harmonic oscillator, an anisotropic diffusion, a 1D Gaussian
// a hundredth of its box wide, and a 3D Gaussian carried across its box. Written with the public
// DSL only; part of `cases` in examples/lib/unseen-problems.ts.
import { defineProblem, type Expr, ops } from '../../ts/index';
import type { Case } from './unseen-problems';

const { sin, cos, exp, lap, d, d2, sum } = ops;
const PI = Math.PI;

// u_t = -r·(x·∇u), a Gaussian (σ = 0.15 at x0) under a velocity r·x: u = u0(x e^{-rt}).
// r > 0 stretches it outward (nothing flows in); r < 0 squeezes it toward the origin.
function stretch(r: number, name: string, T: number): Case {
  const [s, x0] = [0.15, [0.3, -0.2]];
  const gauss = (x: readonly Expr[], scale: Expr | number) =>
    exp(sum(x.map((xi, i) => xi.mul(scale).sub(x0[i]).pow(2))).mul(-1 / (2 * s * s)));
  return {
    problem: defineProblem({
      name,
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, 1) }),
      rhs: ({ u, x }) => ({ u: d(u, 0).mul(x[0]).add(d(u, 1).mul(x[1])).mul(-r) }),
      exact: ({ x, t }) => ({ u: gauss(x, exp(t.mul(-r))) }),
    }),
    T,
    summary: `u_t=${-r}(x·∇u), Gaussian σ=0.15 at (0.3,-0.2), [-1,1]², none; width ×${Math.exp(r * T).toFixed(2)}`,
  };
}

// A 2D heat mode followed to e^{-2π²T} = 5.2e-5 of its start: u_t = Δu on [0,1]², Dirichlet.
function decayFar(): Case {
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  return {
    problem: defineProblem({
      name: 'decay-far-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: lap(u) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-2 * PI * PI))) }),
    }),
    T: 0.5,
    summary: 'u_t=Δu, sin(πx)sin(πy), [0,1]², dirichlet, to 5.2e-5 of u0',
  };
}

// Heat in 10D on the periodic unit box: u = Σ_i a_i cos(2πx_i) e^{-4π²κt}, κ = 0.01.
function heat10(): Case {
  const [D, k] = [10, 0.01];
  const a = Array.from({ length: D }, (_, i) => 1 - i / (2 * D));
  const modes = (x: readonly Expr[]) => sum(x.map((xi, i) => cos(xi.mul(2 * PI)).mul(a[i])));
  return {
    problem: defineProblem({
      name: 'heat-10d',
      dim: D,
      domain: { lower: 0, upper: 1 },
      boundary: 'periodic',
      fields: ['u'],
      initial: ({ x }) => ({ u: modes(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: modes(x).mul(exp(t.mul(-4 * PI * PI * k))) }),
    }),
    T: 1,
    summary: 'u_t=0.01Δu, Σa_i cos(2πx_i), [0,1]^10, periodic',
  };
}

// A coherent state of the harmonic oscillator, iψ_t = -½ψ_xx + ½x²ψ, ψ = p + iq, on [-10, 10]:
// ψ = π^{-1/4} exp(-(x - a cos t)²/2 - i(t/2 + a x sin t - a² sin(2t)/4)), a Gaussian swinging
// between ±a. Written as p_t = -½q_xx + ½x²q, q_t = ½p_xx - ½x²p.
function coherent(): Case {
  const a = 2;
  const psi = (x: Expr, t: Expr | null) => {
    const centre = t === null ? x.sub(a) : x.sub(cos(t).mul(a));
    const amplitude = exp(centre.pow(2).mul(-0.5)).mul(PI ** -0.25);
    if (t === null) return { p: amplitude, q: amplitude.mul(0) };
    const phase = t
      .mul(0.5)
      .add(x.mul(sin(t)).mul(a))
      .sub(sin(t.mul(2)).mul((a * a) / 4));
    return { p: amplitude.mul(cos(phase)), q: amplitude.mul(sin(phase)).neg() };
  };
  return {
    problem: defineProblem({
      name: 'coherent-state-1d',
      dim: 1,
      domain: { lower: -10, upper: 10 },
      boundary: 'dirichlet',
      fields: ['p', 'q'],
      initial: ({ x }) => psi(x[0], null),
      rhs: ({ p, q, x }) => ({
        p: d2(q, 0, 0).mul(-0.5).add(x[0].pow(2).mul(q).mul(0.5)),
        q: d2(p, 0, 0).mul(0.5).sub(x[0].pow(2).mul(p).mul(0.5)),
      }),
      exact: ({ x, t }) => psi(x[0], t),
    }),
    T: PI,
    summary: 'iψ_t=-½ψ_xx+½x²ψ, coherent state a=2, [-10,10], dirichlet, half a period',
  };
}

// An anisotropic diffusion in 3D, u_t = u_xx + 0.1u_yy + 0.01u_zz on [0,1]³, Dirichlet:
// u = sin(πx)sin(πy)sin(πz)e^{-1.11π²t}; the rates along the axes differ a hundredfold.
function aniso3(): Case {
  const kappa = [1, 0.1, 0.01];
  const rate = PI * PI * (kappa[0] + kappa[1] + kappa[2]);
  const mode = (x: readonly Expr[]) =>
    sin(x[0].mul(PI))
      .mul(sin(x[1].mul(PI)))
      .mul(sin(x[2].mul(PI)));
  return {
    problem: defineProblem({
      name: 'aniso-3d',
      dim: 3,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: sum(kappa.map((k, i) => d2(u, i, i).mul(k))) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 0.3,
    summary: 'u_t=u_xx+0.1u_yy+0.01u_zz, Πsin(πx_i), [0,1]³, dirichlet',
  };
}

// A 1D Gaussian 1 % of its box wide spreading: u_t = 0.01u_xx, σ = 0.02 on [-1, 1], boundary
// 'none': u = (σ/S) exp(-x²/(2S²)), S² = σ² + 2κt (σ = 0.02 → 0.14 at T = 1).
function needle(): Case {
  const [s, k] = [0.02, 0.01];
  const gauss = (x: Expr, t: Expr | null) => {
    if (t === null) return exp(x.pow(2).mul(-1 / (2 * s * s)));
    const S2 = t.mul(2 * k).add(s * s);
    return exp(x.pow(2).neg().div(S2.mul(2))).mul(S2.pow(-0.5).mul(s));
  };
  return {
    problem: defineProblem({
      name: 'needle-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x[0], null) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: gauss(x[0], t) }),
    }),
    T: 1,
    summary: 'u_t=0.01u_xx, Gaussian σ=0.02, [-1,1], none; σ → 0.14',
  };
}

// A 3D Gaussian (σ = 0.2) carried across its box: u_t = -c·∇u, c = (1, 0.5, -0.5), T = 0.8.
function carry3(): Case {
  const [s, c, x0] = [0.2, [1, 0.5, -0.5], [-0.4, -0.2, 0.2]];
  const gauss = (x: readonly Expr[], t: Expr | null) =>
    exp(sum(x.map((xi, i) => (t === null ? xi : xi.sub(t.mul(c[i]))).sub(x0[i]).pow(2))).mul(-1 / (2 * s * s)));
  return {
    problem: defineProblem({
      name: 'carry-3d',
      dim: 3,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, null) }),
      rhs: ({ u }) => ({ u: sum(c.map((ci, i) => d(u, i).mul(-ci))) }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 0.8,
    summary: 'u_t=-c·∇u, c=(1,0.5,-0.5), Gaussian σ=0.2, [-1,1]³, none; moves 4.9σ',
  };
}

/** The cases by name, spread into `cases` of examples/lib/unseen-problems.ts. */
export const kindCases: Record<string, () => Case> = {
  expand: () => stretch(1, 'expand-2d', 0.7),
  squeeze: () => stretch(-1, 'squeeze-2d', 0.7),
  decayFar,
  heat10,
  coherent,
  aniso3,
  needle,
  carry3,
};
