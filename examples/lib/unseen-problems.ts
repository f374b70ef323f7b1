// Closed-form PDE problems outside the package's catalogue (ts/problems), written with the public
// DSL (`defineProblem`, `ops`) only, to try the defaults as a new user would: each case is solved
// by `new NeuralIVP(problem)` with no options in examples/unseen-problems.ts, and its `exact` is
// checked against its own rhs by finite differences in tests/examples-unseen-problems.test.ts.
// The six main cases are advDiff, fisher, heat3, rotSystem, source and ou4; nagumo, sourceLong,
// advDiffNarrow and rotFast are harder variants, zeroStart a u0 that is zero everywhere, and
// ouNarrow4, ou6, ou8 and spread4 densities in 4D to 8D; burgers (a front whose plateau flows in),
// rotGauss, heatModes, rect and nls (a soliton) came after, then four waves written as first-order
// systems: string, kleinGordon, pulse and dampedWave; then varCoef (a stiff variable-coefficient
// diffusion), heat6, advSine, diffuse5 and packet (a free Schrödinger packet with a fine carrier);
// then kink (a nonlinear wave), porous (the porous-medium equation), hamiltonJacobi (a viscous
// Hamilton–Jacobi equation), exchange (a stiff reaction), gauss3 and twoBumps (narrow Gaussians),
// maxwell (three first-order fields) and farBox (a box far from the origin); then three on a
// periodic box: torusHeat, periodicBurgers (Cole–Hopf) and periodicAdvect (once around); then two
// with a boundary per axis: duct (periodic along x, walls across) and shear (open across); then
// eight on a problem's scales and coefficients (examples/lib/unseen-scales.ts), then eight kinds
// of equation (examples/lib/unseen-kinds.ts).
import { defineProblem, type Expr, ops, type Problem } from '../../ts/index';
import { kindCases } from './unseen-kinds';
import { scaleCases } from './unseen-scales';

const { sin, cos, exp, lap, d, sum, sqrt } = ops;
const PI = Math.PI;

/** One problem with its horizon and a one-line description. */
export interface Case {
  problem: Problem;
  /** The final time. */
  T: number;
  summary: string;
}

// 1. 2D advection–diffusion of a Gaussian: u_t = -c·∇u + ν Δu, boundary 'none'.
//    exact: (s²/S(t)) exp(-|x - x0 - c t|² / (2 S(t))), S(t) = s² + 2 ν t  (D = 2).
function advDiff(nu = 0.02, s = 0.25): Case {
  const c = [0.8, 0.6];
  const x0 = [-0.2, -0.1];
  const gauss = (x: readonly Expr[], t: Expr | null) => {
    const S = t === null ? null : t.mul(2 * nu).add(s * s);
    const r2 = sum(x.map((xi, i) => (t === null ? xi.sub(x0[i]) : xi.sub(x0[i]).sub(t.mul(c[i]))).pow(2)));
    if (S === null) return exp(r2.mul(-1 / (2 * s * s)));
    return exp(r2.neg().div(S.mul(2))).mul(S.pow(-1).mul(s * s));
  };
  return {
    problem: defineProblem({
      name: 'advdiff-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, null) }),
      rhs: ({ u }) => ({ u: lap(u).mul(nu).sub(d(u, 0).mul(c[0])).sub(d(u, 1).mul(c[1])) }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 0.3,
    summary: `u_t=-c·∇u+${nu}Δu, c=(0.8,0.6), Gaussian s=${s} at (-0.2,-0.1), [-1,1]², none`,
  };
}

// 2. 2D Fisher–KPP oblique travelling front: u_t = Dif Δu + r u(1-u).
//    exact (Ablowitz–Zeppetella): u = (1 + exp(λ (n·x - ξ0 - v t)))^-2, λ = sqrt(r/(6 Dif)), v = 5 sqrt(r Dif / 6).
function fisher(): Case {
  const Dif = 0.01;
  const r = 1.5;
  const lam = Math.sqrt(r / (6 * Dif)); // 5
  const v = 5 * Math.sqrt((r * Dif) / 6); // 0.25
  const n = [0.8, 0.6];
  const xi0 = -0.4;
  const front = (x: readonly Expr[], t: Expr | null) => {
    let z = x[0].mul(n[0]).add(x[1].mul(n[1])).sub(xi0);
    if (t !== null) z = z.sub(t.mul(v));
    return exp(z.mul(lam)).add(1).pow(-2);
  };
  return {
    problem: defineProblem({
      name: 'fisher-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: front(x, null) }),
      rhs: ({ u }) => ({
        u: lap(u)
          .mul(Dif)
          .add(u.mul(u.neg().add(1)).mul(r)),
      }),
      exact: ({ x, t }) => ({ u: front(x, t) }),
    }),
    T: 2.4,
    summary: 'u_t=0.01Δu+1.5u(1-u), front (1+e^{5(n·x+0.4-0.25t)})^-2, n=(0.8,0.6), [-1,1]², none; moves 0.6',
  };
}

// 3. 3D heat, product of sines on [0,1]³, Dirichlet: u = e^{-κ 6π² t} sin(πx) sin(2πy) sin(πz).
function heat3(): Case {
  const kappa = 0.05;
  const mode = (x: readonly Expr[]) =>
    sin(x[0].mul(PI))
      .mul(sin(x[1].mul(2 * PI)))
      .mul(sin(x[2].mul(PI)));
  return {
    problem: defineProblem({
      name: 'heat-3d-sines',
      dim: 3,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(kappa) }),
      exact: ({ x, t }) => ({ u: exp(t.mul(-kappa * 6 * PI * PI)).mul(mode(x)) }),
    }),
    T: 0.3,
    summary: 'u_t=0.05Δu, sin(πx)sin(2πy)sin(πz) on [0,1]³, dirichlet',
  };
}

// 4. 2D rotating/decaying two-field system, Dirichlet on [-1,1]²:
//    u_t = νΔu - γu - ω v,  v_t = νΔv - γv + ω u,  u0 = φ, v0 = 0,
//    φ = sin(πx) cos(πy/2), Δφ = -k²φ, k² = 5π²/4; u = e^{-λt} cos(ωt) φ, v = e^{-λt} sin(ωt) φ, λ = νk² + γ.
function rotSystem(omega = 2): Case {
  const nu = 0.05;
  const gamma = 0.1;
  const lamb = (nu * (5 * PI * PI)) / 4 + gamma;
  const phi = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(cos(x[1].mul(PI / 2)));
  return {
    problem: defineProblem({
      name: 'rotating-rd-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: phi(x), v: 0 }),
      rhs: ({ u, v }) => ({
        u: lap(u).mul(nu).sub(u.mul(gamma)).sub(v.mul(omega)),
        v: lap(v).mul(nu).sub(v.mul(gamma)).add(u.mul(omega)),
      }),
      exact: ({ x, t }) => {
        const a = exp(t.mul(-lamb));
        return { u: a.mul(cos(t.mul(omega))).mul(phi(x)), v: a.mul(sin(t.mul(omega))).mul(phi(x)) };
      },
    }),
    T: 1.0,
    summary: `u_t=0.05Δu-0.1u-${omega}v, v_t=0.05Δv-0.1v+${omega}u, u0=sin(πx)cos(πy/2), v0=0, [-1,1]², dirichlet`,
  };
}

// 5. 2D heat with a time-dependent source, manufactured, Dirichlet on [0,1]²:
//    u = S cos(2t) + P sin(t), S = sin(πx) sin(πy), P = 16 x(1-x) y(1-y);
//    f = u_t - κΔu = S(-2 sin 2t + 2κπ² cos 2t) + P cos t - κ sin t ΔP, ΔP = -32 (x(1-x) + y(1-y)).
function source(): Case {
  const kappa = 0.1;
  const S = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  const qx = (x: readonly Expr[]) => x[0].mul(x[0].neg().add(1));
  const qy = (x: readonly Expr[]) => x[1].mul(x[1].neg().add(1));
  const P = (x: readonly Expr[]) => qx(x).mul(qy(x)).mul(16);
  const lapP = (x: readonly Expr[]) => qx(x).add(qy(x)).mul(-32);
  return {
    problem: defineProblem({
      name: 'source-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: S(x) }),
      rhs: ({ u, x, t }) => ({
        u: lap(u)
          .mul(kappa)
          .add(
            S(x).mul(
              sin(t.mul(2))
                .mul(-2)
                .add(cos(t.mul(2)).mul(2 * kappa * PI * PI)),
            ),
          )
          .add(P(x).mul(cos(t)))
          .sub(lapP(x).mul(sin(t)).mul(kappa)),
      }),
      exact: ({ x, t }) => ({
        u: S(x)
          .mul(cos(t.mul(2)))
          .add(P(x).mul(sin(t))),
      }),
    }),
    T: 1.0,
    summary: 'u_t=0.1Δu+f(x,t), u=sin(πx)sin(πy)cos2t+16x(1-x)y(1-y)sin t, [0,1]², dirichlet',
  };
}

// 6. 4D Ornstein–Uhlenbeck Fokker–Planck: u_t = ∇·(k x u) + DΔu = DΔu + k x·∇u + k d u, boundary
//    'none'. exact: (s0²/σ²(t))^(d/2) exp(-|x - m0 e^{-kt}|²/(2σ²(t))), σ² = D/k + (s0² - D/k) e^{-2kt}
//    (k = 0, pure diffusion: σ² = s0² + 2Dt).
function ornsteinUhlenbeck(dim: number, s0: number, D: number, m0: readonly number[], k = 1): Case {
  const variance = (t: Expr) =>
    k === 0
      ? t.mul(2 * D).add(s0 * s0)
      : exp(t.mul(-2 * k))
          .mul(s0 * s0 - D / k)
          .add(D / k);
  return {
    problem: defineProblem({
      name: k === 0 ? `spread-${dim}d` : `ou-${dim}d`,
      dim,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: exp(sum(x.map((xi, i) => xi.sub(m0[i]).pow(2))).mul(-1 / (2 * s0 * s0))) }),
      rhs: ({ u, x }) => ({
        u: lap(u)
          .mul(D)
          .add(sum(x.map((xi, i) => xi.mul(d(u, i)))).mul(k))
          .add(u.mul(k * dim)),
      }),
      exact: ({ x, t }) => {
        const e = exp(t.mul(-k));
        const sig2 = variance(t);
        const r2 = sum(x.map((xi, i) => xi.sub(e.mul(m0[i])).pow(2)));
        return { u: exp(r2.neg().div(sig2.mul(2))).mul(sig2.pow(-dim / 2).mul(s0 ** dim)) };
      },
    }),
    T: 0.5,
    summary:
      k === 0
        ? `diffusion u_t=${D}Δu of a Gaussian s0=${s0} at (${m0.join(',')}), [-1,1]^${dim}, none`
        : `OU Fokker–Planck u_t=${D}Δu+x·∇u+${dim}u, Gaussian s0=${s0} at (${m0.join(',')}), [-1,1]^${dim}, none`,
  };
}

function ou4(): Case {
  return ornsteinUhlenbeck(4, 0.3, 0.04, [0.3, 0, -0.2, 0.1]);
}

// Extra 7. 1D bistable (Nagumo / Allen–Cahn type) front: u_t = ε u_xx + k u(1-u)(u-a), boundary 'none'.
//    exact: u = 1/(1 + exp(-(x - x0 - c t)/w)), w = sqrt(2ε/k), c = -sqrt(kε/2)(1-2a) (the u=1 state invades leftward).
function nagumo(): Case {
  const eps = 0.02;
  const k = 5;
  const a = 0;
  const w = Math.sqrt((2 * eps) / k);
  const c = -Math.sqrt((k * eps) / 2) * (1 - 2 * a);
  const x0 = 0.3;
  const front = (x: readonly Expr[], t: Expr | null) => {
    let z = x[0].sub(x0);
    if (t !== null) z = z.sub(t.mul(c));
    return exp(z.mul(-1 / w))
      .add(1)
      .pow(-1);
  };
  return {
    problem: defineProblem({
      name: 'nagumo-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: front(x, null) }),
      rhs: ({ u }) => ({
        u: d(d(u, 0), 0)
          .mul(eps)
          .add(u.mul(u.neg().add(1)).mul(u.sub(a)).mul(k)),
      }),
      exact: ({ x, t }) => ({ u: front(x, t) }),
    }),
    T: 2.5,
    summary: 'u_t=0.02u_xx+5u²(1-u), front 1/(1+e^{-(x-0.3+0.224t)/0.089}), [-1,1], none; moves 0.56',
  };
}

// Extra 8. Problem 5 (source) over a long horizon, T = 6.
function sourceLong(): Case {
  return { ...source(), T: 6, summary: 'problem 5 with T = 6' };
}

// Extra 11. 2D heat driven from rest by a steady source, Dirichlet on [0,1]²: u0 = 0,
//    u_t = κΔu + S, S = sin(πx) sin(πy); u = (1 − e^{−λt})/λ · S, λ = 2κπ².
function zeroStart(): Case {
  const kappa = 0.1;
  const lambda = 2 * kappa * PI * PI;
  const S = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  return {
    problem: defineProblem({
      name: 'zero-start-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: () => ({ u: 0 }),
      rhs: ({ u, x }) => ({ u: lap(u).mul(kappa).add(S(x)) }),
      exact: ({ x, t }) => ({
        u: ops
          .constant(1)
          .sub(exp(t.mul(-lambda)))
          .mul(1 / lambda)
          .mul(S(x)),
      }),
    }),
    T: 0.5,
    summary: 'u_t=0.1Δu+sin(πx)sin(πy), u0=0, [0,1]², dirichlet',
  };
}

// Extra 16. 1D viscous Burgers front, u_t = ν u_xx − u u_x, from u = 1 (left) to 0 (right):
//    u = ½(1 − tanh((x − x0 − t/2)/(4ν))), speed ½; boundary 'none', so u = 1 flows in at speed 1.
function burgers(): Case {
  const nu = 0.02;
  const x0 = -0.3;
  const front = (x: Expr, t: Expr | null) => {
    const z = t === null ? x.sub(x0) : x.sub(x0).sub(t.mul(0.5));
    return ops
      .tanh(z.mul(1 / (4 * nu)))
      .neg()
      .add(1)
      .mul(0.5);
  };
  return {
    problem: defineProblem({
      name: 'burgers-front-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: front(x[0], null) }),
      rhs: ({ u }) => ({
        u: lap(u)
          .mul(nu)
          .sub(u.mul(d(u, 0))),
      }),
      exact: ({ x, t }) => ({ u: front(x[0], t) }),
    }),
    T: 1,
    summary: 'u_t=0.02u_xx-u u_x, front ½(1-tanh((x+0.3-t/2)/0.08)), [-1,1], none; moves 0.5',
  };
}

// Extra 17. Solid-body rotation of a Gaussian, u_t = y u_x − x u_y, a quarter turn:
//    u = exp(−|x − c(t)|²/(2s²)), c(t) = 0.45(cos t, sin t).
function rotGauss(): Case {
  const s = 0.15;
  const r0 = 0.45;
  const gauss = (x: readonly Expr[], t: Expr | null) => {
    const cx = t === null ? ops.constant(r0) : cos(t).mul(r0);
    const cy = t === null ? ops.constant(0) : sin(t).mul(r0);
    return exp(
      x[0]
        .sub(cx)
        .pow(2)
        .add(x[1].sub(cy).pow(2))
        .mul(-1 / (2 * s * s)),
    );
  };
  return {
    problem: defineProblem({
      name: 'rotating-gaussian-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, null) }),
      rhs: ({ u, x }) => ({ u: d(u, 0).mul(x[1]).sub(d(u, 1).mul(x[0])) }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: PI / 2,
    summary: 'u_t=y u_x-x u_y, Gaussian s=0.15 at radius 0.45, a quarter turn, [-1,1]², none',
  };
}

// Extra 18. 1D heat with a fine mode, Dirichlet on [0, 1]:
//    u = e^{−νπ²t} sin(πx) + 0.3 e^{−64νπ²t} sin(8πx), ν = 0.01.
function heatModes(): Case {
  const nu = 0.01;
  const modes = (x: Expr, t: Expr | null) => {
    const slow = sin(x.mul(PI));
    const fast = sin(x.mul(8 * PI)).mul(0.3);
    if (t === null) return slow.add(fast);
    return slow.mul(exp(t.mul(-nu * PI * PI))).add(fast.mul(exp(t.mul(-64 * nu * PI * PI))));
  };
  return {
    problem: defineProblem({
      name: 'heat-modes-1d',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: modes(x[0], null) }),
      rhs: ({ u }) => ({ u: lap(u).mul(nu) }),
      exact: ({ x, t }) => ({ u: modes(x[0], t) }),
    }),
    T: 1,
    summary: 'u_t=0.01u_xx, sin(πx)+0.3sin(8πx), [0,1], dirichlet',
  };
}

// Extra 19. Anisotropic heat on the rectangle [0, 2] × [0, 1], u_t = 0.2 u_xx + 0.05 u_yy:
//    u = e^{−kt} sin(πx/2) sin(πy), k = 0.2(π/2)² + 0.05π².
function rect(): Case {
  const k = 0.2 * (PI / 2) ** 2 + 0.05 * PI ** 2;
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI / 2)).mul(sin(x[1].mul(PI)));
  return {
    problem: defineProblem({
      name: 'rectangle-heat-2d',
      dim: 2,
      domain: { lower: [0, 0], upper: [2, 1] },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({
        u: d(d(u, 0), 0)
          .mul(0.2)
          .add(d(d(u, 1), 1).mul(0.05)),
      }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-k))) }),
    }),
    T: 1,
    summary: 'u_t=0.2u_xx+0.05u_yy, sin(πx/2)sin(πy), [0,2]×[0,1], dirichlet',
  };
}

// Extra 20. The focusing nonlinear Schrödinger soliton, iψ_t = −½ψ_xx − |ψ|²ψ, ψ = a + ib:
//    ψ = sech(x − x0 − t) e^{ix} (speed 1, amplitude 1), on [−10, 10], boundary 'none'.
function nls(): Case {
  const x0 = -3;
  const sech = (z: Expr) => exp(z).add(exp(z.neg())).pow(-1).mul(2);
  const envelope = (x: Expr, t: Expr | null) => sech(t === null ? x.sub(x0) : x.sub(x0).sub(t));
  return {
    problem: defineProblem({
      name: 'nls-soliton-1d',
      dim: 1,
      domain: { lower: -10, upper: 10 },
      boundary: 'none',
      fields: ['a', 'b'],
      initial: ({ x }) => ({ a: envelope(x[0], null).mul(cos(x[0])), b: envelope(x[0], null).mul(sin(x[0])) }),
      rhs: ({ a, b }) => {
        const density = a.mul(a).add(b.mul(b));
        return { a: lap(b).mul(-0.5).sub(density.mul(b)), b: lap(a).mul(0.5).add(density.mul(a)) };
      },
      exact: ({ x, t }) => ({ a: envelope(x[0], t).mul(cos(x[0])), b: envelope(x[0], t).mul(sin(x[0])) }),
    }),
    T: 4,
    summary: 'iψ_t=-½ψ_xx-|ψ|²ψ, soliton sech(x+3-t)e^{ix}, [-10,10], none; moves 4',
  };
}

// Extra 21. A 1D string, two standing modes, Dirichlet on [0, 1], written as u_t = v, v_t = u_xx:
//    u = sin(πx) cos(πt) + 0.3 sin(3πx) cos(3πt), v = u_t (zero at t = 0).
function string(): Case {
  const u = (x: Expr, t: Expr) =>
    sin(x.mul(PI))
      .mul(cos(t.mul(PI)))
      .add(
        sin(x.mul(3 * PI))
          .mul(cos(t.mul(3 * PI)))
          .mul(0.3),
      );
  const v = (x: Expr, t: Expr) =>
    sin(x.mul(PI))
      .mul(sin(t.mul(PI)))
      .mul(-PI)
      .add(
        sin(x.mul(3 * PI))
          .mul(sin(t.mul(3 * PI)))
          .mul(-0.9 * PI),
      );
  return {
    problem: defineProblem({
      name: 'string-1d',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: u(x[0], ops.constant(0)), v: 0 }),
      rhs: ({ u, v }) => ({ u: v, v: lap(u) }),
      exact: ({ x, t }) => ({ u: u(x[0], t), v: v(x[0], t) }),
    }),
    T: 1,
    summary: 'u_tt=u_xx as (u, v), sin(πx)cos(πt)+0.3sin(3πx)cos(3πt), [0,1], dirichlet',
  };
}

// Extra 22. 2D Klein–Gordon, u_tt = Δu − m²u (m = 2) as (p, q), Dirichlet on [0, 1]²:
//    p = sin(πx) sin(2πy) cos(ωt), ω² = 5π² + m², q = p_t.
function kleinGordon(): Case {
  const m = 2;
  const w = Math.sqrt(5 * PI * PI + m * m);
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(2 * PI)));
  return {
    problem: defineProblem({
      name: 'klein-gordon-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['p', 'q'],
      initial: ({ x }) => ({ p: mode(x), q: 0 }),
      rhs: ({ p, q }) => ({ p: q, q: lap(p).sub(p.mul(m * m)) }),
      exact: ({ x, t }) => ({
        p: mode(x).mul(cos(t.mul(w))),
        q: mode(x)
          .mul(sin(t.mul(w)))
          .mul(-w),
      }),
    }),
    T: 0.5,
    summary: 'p_tt=Δp-4p as (p, q), sin(πx)sin(2πy)cos(ωt), [0,1]², dirichlet',
  };
}

// Extra 23. A 1D pulse travelling right, u_t = v, v_t = u_xx, boundary 'none' on [−1, 1]:
//    u = G(x + 0.4 − t), v = −G'(x + 0.4 − t), G a Gaussian of width 0.15.
function pulse(): Case {
  const s = 0.15;
  const g = (z: Expr) => exp(z.pow(2).mul(-1 / (2 * s * s)));
  const slope = (z: Expr) =>
    g(z)
      .mul(z)
      .mul(1 / (s * s));
  const at = (x: Expr, t: Expr | null) => (t === null ? x.add(0.4) : x.add(0.4).sub(t));
  return {
    problem: defineProblem({
      name: 'pulse-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: g(at(x[0], null)), v: slope(at(x[0], null)) }),
      rhs: ({ u, v }) => ({ u: v, v: lap(u) }),
      exact: ({ x, t }) => ({ u: g(at(x[0], t)), v: slope(at(x[0], t)) }),
    }),
    T: 0.8,
    summary: 'u_tt=u_xx as (u, v), Gaussian s=0.15 from -0.4 moving right 0.8, [-1,1], none',
  };
}

// Extra 24. 2D damped wave u_tt + γu_t = c²Δu (c² = 0.5, γ = 0.4) as (u, v), Dirichlet on [0, 1]²:
//    u = e^{−γt/2} cos(Ωt) sin(πx) sin(πy), Ω² = 2π²c² − γ²/4, v = u_t.
function dampedWave(): Case {
  const [c2, g] = [0.5, 0.4];
  const W = Math.sqrt(c2 * 2 * PI * PI - (g * g) / 4);
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  return {
    problem: defineProblem({
      name: 'damped-wave-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: mode(x), v: mode(x).mul(-g / 2) }),
      rhs: ({ u, v }) => ({ u: v, v: lap(u).mul(c2).sub(v.mul(g)) }),
      exact: ({ x, t }) => {
        const decay = mode(x).mul(exp(t.mul(-g / 2)));
        return {
          u: decay.mul(cos(t.mul(W))),
          v: decay.mul(
            cos(t.mul(W))
              .mul(-g / 2)
              .sub(sin(t.mul(W)).mul(W)),
          ),
        };
      },
    }),
    T: 1,
    summary: 'u_tt+0.4u_t=0.5Δu as (u, v), sin(πx)sin(πy) mode, [0,1]², dirichlet',
  };
}

// Extra 25. 2D diffusion with a variable coefficient, u_t = ∇·(a∇u) + f, a = 1 + x/2, written with
//    d(a·d(u)) as a user would, Dirichlet on [0, 1]²: u = e^{−t} sin(πx) sin(πy), f its residual.
//    The unit diffusivity makes it stiff: RK45's steps are held by stability (docs/accuracy.md).
function varCoef(): Case {
  const U = (x: readonly Expr[], t: Expr) =>
    exp(t.neg())
      .mul(sin(x[0].mul(PI)))
      .mul(sin(x[1].mul(PI)));
  const a = (x: readonly Expr[]) => x[0].mul(0.5).add(1);
  return {
    problem: defineProblem({
      name: 'varcoef-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: U(x, ops.constant(0)) }),
      rhs: ({ u, x, t }) => {
        // f = u_t − ∇·(a∇u) at the exact u = −u + 2π²a·u − ½u_x.
        const exact = U(x, t);
        const f = exact
          .neg()
          .add(
            a(x)
              .mul(exact)
              .mul(2 * PI * PI),
          )
          .sub(d(exact, 0).mul(0.5));
        return {
          u: d(a(x).mul(d(u, 0)), 0)
            .add(d(a(x).mul(d(u, 1)), 1))
            .add(f),
        };
      },
      exact: ({ x, t }) => ({ u: U(x, t) }),
    }),
    T: 1,
    summary: 'u_t=∇·((1+x/2)∇u)+f, u=e^{-t}sin(πx)sin(πy), [0,1]², dirichlet',
  };
}

// Extra 26. 6D heat, Π cos(πx_i/2) on [−1, 1]⁶, Dirichlet, κ = 0.1.
function heat6(): Case {
  const [D, k] = [6, 0.1];
  const rate = (k * D * PI * PI) / 4;
  const product = (x: readonly Expr[]) => x.map((xi) => cos(xi.mul(PI / 2))).reduce((p, c) => p.mul(c));
  return {
    problem: defineProblem({
      name: 'heat-6d',
      dim: D,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: product(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: product(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 0.5,
    summary: 'u_t=0.1Δu, Πcos(πx_i/2), [-1,1]^6, dirichlet',
  };
}

// Extra 27. 1D advection of a sine, u_t = −u_x on [0, 1], boundary 'none': u = sin 2π(x − t).
function advSine(): Case {
  const w = 2 * PI;
  return {
    problem: defineProblem({
      name: 'adv-sine-1d',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: sin(x[0].mul(w)) }),
      rhs: ({ u }) => ({ u: d(u, 0).neg() }),
      exact: ({ x, t }) => ({ u: sin(x[0].sub(t).mul(w)) }),
    }),
    T: 0.5,
    summary: 'u_t=-u_x, sin 2π(x-t), [0,1], none; moves half a box',
  };
}

// Extra 28. A broad 5D Gaussian spreading by diffusion (σ0 = 0.4, ν = 0.05) on [−1.5, 1.5]⁵, 'none'.
function diffuse5(): Case {
  const [D, s, nu] = [5, 0.4, 0.05];
  const gauss = (x: readonly Expr[], t: Expr) => {
    const S = t.mul(2 * nu).add(s * s);
    return exp(
      sum(x.map((xi) => xi.pow(2)))
        .neg()
        .div(S.mul(2)),
    ).mul(S.pow(-D / 2).mul(s ** D));
  };
  return {
    problem: defineProblem({
      name: 'diffuse-5d',
      dim: D,
      domain: { lower: -1.5, upper: 1.5 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: lap(u).mul(nu) }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 0.5,
    summary: 'u_t=0.05Δu, 5D Gaussian σ0=0.4, [-1.5,1.5]^5, none',
  };
}

// Extra 29. A free Schrödinger packet, iψ_t = −½ψ_xx as ψ = a + ib on [−6, 6], 'none': a Gaussian
//    (s = 0.7) with carrier e^{3ix} from x0 = −2, moving at 3 and spreading (width 1.6s at T = 1).
//    ψ = (1 + iτ)^{−1/2} exp(−(x − x0 − kt)²/(2s²(1 + iτ)) + i(kx − k²t/2)), τ = t/s².
function packet(): Case {
  const [s, k, x0] = [0.7, 3, -2];
  const psi = (x: Expr, t: Expr) => {
    const tau = t.mul(1 / (s * s));
    const q = tau.mul(tau).add(1);
    const y = x.sub(x0).sub(t.mul(k));
    const g = y.mul(y).mul(1 / (2 * s * s));
    const phase = g
      .mul(tau)
      .div(q)
      .add(x.mul(k))
      .sub(t.mul((k * k) / 2));
    const amplitude = q.pow(-0.25).mul(exp(g.neg().div(q)));
    // (1 + iτ)^{−1/2} = |·|·(cos φ/2 − i sin φ/2), φ = atan τ ∈ [0, π/2): half-angles from cos φ = q^{−1/2}.
    const cosPhi = q.pow(-0.5);
    const [ch, sh] = [sqrt(cosPhi.add(1).mul(0.5)), sqrt(cosPhi.neg().add(1).mul(0.5))];
    return {
      a: amplitude.mul(ch.mul(cos(phase)).add(sh.mul(sin(phase)))),
      b: amplitude.mul(ch.mul(sin(phase)).sub(sh.mul(cos(phase)))),
    };
  };
  return {
    problem: defineProblem({
      name: 'packet-1d',
      dim: 1,
      domain: { lower: -6, upper: 6 },
      boundary: 'none',
      fields: ['a', 'b'],
      initial: ({ x }) => psi(x[0], ops.constant(0)),
      rhs: ({ a, b }) => ({ a: lap(b).mul(-0.5), b: lap(a).mul(0.5) }),
      exact: ({ x, t }) => psi(x[0], t),
    }),
    T: 1,
    summary: 'iψ_t=-½ψ_xx, Gaussian packet s=0.7, carrier e^{3ix}, [-6,6], none; moves 3',
  };
}

// Extra 38. Heat on the torus [0, 2π]³, κ = 0.1, two modes that decay at different rates:
//    u = sin x e^{−κt} + cos 2y sin z e^{−5κt}, boundary 'periodic'.
function torusHeat(): Case {
  const k = 0.1;
  const u = (x: readonly Expr[], t: Expr) =>
    sin(x[0])
      .mul(exp(t.mul(-k)))
      .add(
        cos(x[1].mul(2))
          .mul(sin(x[2]))
          .mul(exp(t.mul(-5 * k))),
      );
  return {
    problem: defineProblem({
      name: 'torus-heat-3d',
      dim: 3,
      domain: { lower: 0, upper: 2 * PI },
      boundary: 'periodic',
      fields: ['u'],
      initial: ({ x }) => ({ u: u(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: u(x, t) }),
    }),
    T: 2,
    summary: 'u_t=0.1Δu, sin x + cos 2y sin z, [0,2π]³, periodic',
  };
}

// Extra 39. Viscous Burgers u_t = νu_xx − u·u_x on [0, 1], ν = 0.05, periodic, by Cole–Hopf:
//    u = −2νφ_x/φ with φ = 1.5 + e^{−νk²t} cos kx, k = 2π: u = 2νk e^{−νk²t} sin kx / φ.
function periodicBurgers(): Case {
  const [nu, k] = [0.05, 2 * PI];
  const u = (x: Expr, t: Expr) => {
    const decay = exp(t.mul(-nu * k * k));
    return sin(x.mul(k))
      .mul(decay)
      .mul(2 * nu * k)
      .div(cos(x.mul(k)).mul(decay).add(1.5));
  };
  return {
    problem: defineProblem({
      name: 'periodic-burgers-1d',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'periodic',
      fields: ['u'],
      initial: ({ x }) => ({ u: u(x[0], ops.constant(0)) }),
      rhs: ({ u }) => ({
        u: d(d(u, 0), 0)
          .mul(nu)
          .sub(u.mul(d(u, 0))),
      }),
      exact: ({ x, t }) => ({ u: u(x[0], t) }),
    }),
    T: 0.5,
    summary: 'u_t=0.05u_xx-uu_x, Cole–Hopf of 1.5+cos 2πx, [0,1], periodic',
  };
}

// Extra 40. 2D advection u_t = −u_x − ½u_y of a periodic bump 0.02·e^{2(cos πx + cos πy)} on
//    [−1, 1]², boundary 'periodic', to T = 2: once around along x, half way along y.
function periodicAdvect(): Case {
  const c = [1, 0.5];
  const bump = (x: readonly Expr[], t: Expr) =>
    exp(
      cos(x[0].sub(t.mul(c[0])).mul(PI))
        .add(cos(x[1].sub(t.mul(c[1])).mul(PI)))
        .mul(2),
    ).mul(0.02);
  return {
    problem: defineProblem({
      name: 'periodic-advection-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'periodic',
      fields: ['u'],
      initial: ({ x }) => ({ u: bump(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: d(u, 0).mul(-c[0]).sub(d(u, 1).mul(c[1])) }),
      exact: ({ x, t }) => ({ u: bump(x, t) }),
    }),
    T: 2,
    summary: 'u_t=-u_x-½u_y, 0.02e^{2(cos πx+cos πy)}, [-1,1]², periodic; once around',
  };
}

// Extra 41. A 3D duct: u_t = ν Δu − c·u_x on [0, 1]³, boundary ['periodic', 'dirichlet',
//    'dirichlet'], ν = 0.05, c = 1, to T = 1 (once along):
//    u = sin πy sin πz e^{−2π²νt}(1 + ½ cos 2π(x − ct) e^{−4π²νt}).
function duct(): Case {
  const nu = 0.05;
  const walls = (x: readonly Expr[]) => sin(x[1].mul(PI)).mul(sin(x[2].mul(PI)));
  const along = (x: readonly Expr[], t: Expr) =>
    cos(x[0].sub(t).mul(2 * PI))
      .mul(exp(t.mul(-4 * PI * PI * nu)))
      .mul(0.5)
      .add(1);
  return {
    problem: defineProblem({
      name: 'duct-3d',
      dim: 3,
      domain: { lower: 0, upper: 1 },
      boundary: ['periodic', 'dirichlet', 'dirichlet'],
      fields: ['u'],
      initial: ({ x }) => ({ u: walls(x).mul(along(x, ops.constant(0))) }),
      rhs: ({ u }) => ({ u: lap(u).mul(nu).sub(d(u, 0)) }),
      exact: ({ x, t }) => ({
        u: walls(x)
          .mul(along(x, t))
          .mul(exp(t.mul(-2 * PI * PI * nu))),
      }),
    }),
    T: 1,
    summary: 'u_t=0.05Δu-u_x, [0,1]³, periodic along x, Dirichlet walls; once along',
  };
}

// Extra 42. A shear flow: u_t = −y·u_x on [0, 1] × [−1, 1], boundary ['periodic', 'none'], from
//    cos 2πx · e^{−y²/(2·0.3²)}, to T = 1: u = cos 2π(x − yt) · e^{−y²/0.18}, whose stripes tilt
//    and narrow across the channel (wavenumber 2πt along y).
function shear(): Case {
  const across = (y: Expr) => exp(y.pow(2).mul(-1 / (2 * 0.3 * 0.3)));
  return {
    problem: defineProblem({
      name: 'shear-2d',
      dim: 2,
      domain: { lower: [0, -1], upper: [1, 1] },
      boundary: ['periodic', 'none'],
      fields: ['u'],
      initial: ({ x }) => ({ u: cos(x[0].mul(2 * PI)).mul(across(x[1])) }),
      rhs: ({ u, x }) => ({ u: d(u, 0).mul(x[1]).neg() }),
      exact: ({ x, t }) => ({ u: cos(x[0].sub(x[1].mul(t)).mul(2 * PI)).mul(across(x[1])) }),
    }),
    T: 1,
    summary: 'u_t=-y·u_x, cos 2πx·e^{-y²/0.18}, [0,1]×[-1,1], periodic along x, open across',
  };
}

/** The cases by name; each call builds a fresh problem. */
export const cases: Record<string, () => Case> = {
  advDiff: () => advDiff(),
  fisher,
  heat3,
  rotSystem: () => rotSystem(),
  source,
  ou4,
  nagumo,
  sourceLong,
  // Extra 9. Problem 1 with a narrow Gaussian (s = 0.08) and little diffusion (ν = 0.005).
  advDiffNarrow: () => advDiff(0.005, 0.08),
  // Extra 10. Problem 4 rotating five times faster (ω = 10).
  rotFast: () => rotSystem(10),
  zeroStart,
  // Extra 12–15. Densities: OU in 4D narrower (s0 = 0.15, contracting to 0.1), in 6D and 8D, and
  // pure diffusion spreading a narrow 4D Gaussian (s0 = 0.1 to 0.17 at T).
  ouNarrow4: () => ornsteinUhlenbeck(4, 0.15, 0.01, [0.3, 0, -0.2, 0.1]),
  ou6: () => ornsteinUhlenbeck(6, 0.2, 0.02, [0.2, -0.1, 0, 0.1, 0, -0.2]),
  ou8: () => ornsteinUhlenbeck(8, 0.25, 0.03, [0.2, 0, -0.1, 0, 0.1, 0, 0, -0.15]),
  spread4: () => ornsteinUhlenbeck(4, 0.1, 0.02, [0.1, 0, 0, -0.1], 0),
  burgers,
  rotGauss,
  heatModes,
  rect,
  nls,
  string,
  kleinGordon,
  pulse,
  dampedWave,
  varCoef,
  heat6,
  advSine,
  diffuse5,
  packet,
  kink,
  porous,
  hamiltonJacobi,
  exchange,
  gauss3,
  twoBumps,
  maxwell,
  farBox,
  torusHeat,
  periodicBurgers,
  periodicAdvect,
  duct,
  shear,
  // Scales and coefficients: units, micro, strip, timeCoef, mixed, peclet, logistic, logistic4.
  ...scaleCases,
  // Kinds of equation: expand, squeeze, decayFar, heat10, coherent, aniso3, needle, carry3.
  ...kindCases,
};

/** The six main cases, in order. */
export const mainCases = ['advDiff', 'fisher', 'heat3', 'rotSystem', 'source', 'ou4'] as const;

// Extra 30. A φ⁴ kink moving at c = 0.5, u_tt = u_xx + (u − u³)/ε² as (u, v), ε = 0.15, on [−1, 1],
//    'none': u = tanh(γ(x − x0 − ct)/(√2 ε)), γ = 1/√(1 − c²), v = u_t; the plateaus ±1 stay fixed.
function kink(): Case {
  const [c, eps, x0] = [0.5, 0.15, -0.3];
  const gamma = 1 / Math.sqrt(1 - c * c);
  const profile = (x: Expr, t: Expr) =>
    ops.tanh(
      x
        .sub(x0)
        .sub(t.mul(c))
        .mul(gamma / (Math.SQRT2 * eps)),
    );
  const velocity = (x: Expr, t: Expr) => {
    const u = profile(x, t);
    return u
      .mul(u)
      .neg()
      .add(1)
      .mul((-gamma * c) / (Math.SQRT2 * eps));
  };
  return {
    problem: defineProblem({
      name: 'kink-1d',
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: profile(x[0], ops.constant(0)), v: velocity(x[0], ops.constant(0)) }),
      rhs: ({ u, v }) => ({ u: v, v: lap(u).add(u.sub(u.pow(3)).mul(1 / (eps * eps))) }),
      exact: ({ x, t }) => ({ u: profile(x[0], t), v: velocity(x[0], t) }),
    }),
    T: 0.8,
    summary: 'u_tt=u_xx+(u-u³)/ε² as (u, v), φ⁴ kink ε=0.15 from -0.3 at c=0.5, [-1,1], none',
  };
}

// Extra 31. The porous-medium equation u_t = Δ(u²) in 2D, 'none': Barenblatt's profile shifted
//    to start at τ = 1, u = τ^{−1/2}(C − |x|²/(16√τ)), τ = 1 + t, C = 0.2 (diffusivity 2u ≥ 0.15).
function porous(): Case {
  const C = 0.2;
  const barenblatt = (x: readonly Expr[], t: Expr) => {
    const tau = t.add(1);
    const r2 = sum(x.map((xi) => xi.pow(2)));
    return r2.div(tau.pow(0.5).mul(16)).neg().add(C).div(tau.pow(0.5));
  };
  return {
    problem: defineProblem({
      name: 'porous-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: barenblatt(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: lap(u.mul(u)) }),
      exact: ({ x, t }) => ({ u: barenblatt(x, t) }),
    }),
    T: 1,
    summary: 'u_t=Δ(u²), Barenblatt from τ=1 to 2, C=0.2, [-1,1]², none',
  };
}

// Extra 32. A viscous Hamilton–Jacobi equation u_t = νΔu − |∇u|²/2 (ν = 0.1) in 2D, 'none':
//    by Cole–Hopf u = −2ν log φ, φ = 1.5 + cos(πx)cos(πy)e^{−2π²νt}.
function hamiltonJacobi(): Case {
  const nu = 0.1;
  const solution = (x: readonly Expr[], t: Expr) =>
    ops
      .log(
        cos(x[0].mul(PI))
          .mul(cos(x[1].mul(PI)))
          .mul(exp(t.mul(-2 * PI * PI * nu)))
          .add(1.5),
      )
      .mul(-2 * nu);
  return {
    problem: defineProblem({
      name: 'hamilton-jacobi-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: solution(x, ops.constant(0)) }),
      rhs: ({ u }) => ({
        u: lap(u)
          .mul(nu)
          .sub(sum(ops.grad(u).map((g) => g.pow(2))).mul(0.5)),
      }),
      exact: ({ x, t }) => ({ u: solution(x, t) }),
    }),
    T: 0.5,
    summary: 'u_t=0.1Δu-|∇u|²/2, Cole–Hopf of 1.5+cos(πx)cos(πy)e^{-2π²νt}, [-1,1]², none',
  };
}

// Extra 33. Two species exchanging fast on [0, 1]², Dirichlet: u_t = 0.1Δu − a u + b v,
//    v_t = 0.02Δv + a u − b v (a = 300, b = 150), from (u, v) = (1, 2)·s, s = sin(πx)sin(πy):
//    (u, v) = s·e^{At}(1, 2) for the 2×2 rate matrix A of the mode, with one fast rate (≈ −450,
//    the exchange: stiff) and one slow (≈ −0.9, the diffusion).
function exchange(): Case {
  const [Du, Dv, a, b] = [0.1, 0.02, 300, 150];
  const lambda = 2 * PI * PI;
  const A = [
    [-Du * lambda - a, b],
    [a, -Dv * lambda - b],
  ];
  const m = (A[0][0] + A[1][1]) / 2;
  const delta = Math.sqrt(((A[0][0] - A[1][1]) / 2) ** 2 + A[0][1] * A[1][0]);
  const w = [1, 2];
  // e^{At}w = e^{mt}(cosh δt·w + sinh δt/δ·(A − mI)w), as a sum of e^{(m ± δ)t} terms.
  const Bw = [(A[0][0] - m) * w[0] + A[0][1] * w[1], A[1][0] * w[0] + (A[1][1] - m) * w[1]];
  const mode = (x: readonly Expr[]) => sin(x[0].mul(PI)).mul(sin(x[1].mul(PI)));
  const component = (f: number, x: readonly Expr[], t: Expr) =>
    mode(x).mul(
      exp(t.mul(m + delta))
        .mul((w[f] + Bw[f] / delta) / 2)
        .add(exp(t.mul(m - delta)).mul((w[f] - Bw[f] / delta) / 2)),
    );
  return {
    problem: defineProblem({
      name: 'exchange-2d',
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: mode(x).mul(w[0]), v: mode(x).mul(w[1]) }),
      rhs: ({ u, v }) => ({
        u: lap(u).mul(Du).sub(u.mul(a)).add(v.mul(b)),
        v: lap(v).mul(Dv).add(u.mul(a)).sub(v.mul(b)),
      }),
      exact: ({ x, t }) => ({ u: component(0, x, t), v: component(1, x, t) }),
    }),
    T: 1,
    summary: 'u_t=0.1Δu-300u+150v, v_t=0.02Δv+300u-150v, mode sin(πx)sin(πy), [0,1]², dirichlet',
  };
}

// Extra 34. A narrow 3D Gaussian (σ = 0.1) carried at speed 0.5 across [−1, 1]³, u_t = −c·∇u, 'none'.
function gauss3(): Case {
  const [s, c, x0] = [0.1, [0.4, -0.3, 0], [-0.2, 0.15, 0]];
  const gauss = (x: readonly Expr[], t: Expr) =>
    exp(sum(x.map((xi, i) => xi.sub(x0[i]).sub(t.mul(c[i])).pow(2))).mul(-1 / (2 * s * s)));
  return {
    problem: defineProblem({
      name: 'gauss-3d',
      dim: 3,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gauss(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: sum(c.map((ci, i) => d(u, i).mul(-ci))) }),
      exact: ({ x, t }) => ({ u: gauss(x, t) }),
    }),
    T: 1,
    summary: 'u_t=-c·∇u, |c|=0.5, Gaussian σ=0.1, [-1,1]³, none; moves 5σ',
  };
}

// Extra 35. Two narrow Gaussians (σ = 0.1) spreading (ν = 0.01) while carried along (0.3, 0.2) in
//    2D, 'none': the sum of two heat kernels, a bimodal density.
function twoBumps(): Case {
  const [s, nu, c] = [0.1, 0.01, [0.3, 0.2]];
  const centres = [
    [-0.4, -0.2],
    [0.2, 0.3],
  ];
  const bumps = (x: readonly Expr[], t: Expr) => {
    const S = t.mul(2 * nu).add(s * s);
    return sum(
      centres.map((x0) =>
        exp(
          sum(x.map((xi, i) => xi.sub(x0[i]).sub(t.mul(c[i])).pow(2)))
            .neg()
            .div(S.mul(2)),
        ),
      ),
    ).mul(S.pow(-1).mul(s * s));
  };
  return {
    problem: defineProblem({
      name: 'two-bumps-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: bumps(x, ops.constant(0)) }),
      rhs: ({ u }) => ({ u: lap(u).mul(nu).sub(d(u, 0).mul(c[0])).sub(d(u, 1).mul(c[1])) }),
      exact: ({ x, t }) => ({ u: bumps(x, t) }),
    }),
    T: 1,
    summary: 'u_t=0.01Δu-c·∇u, two Gaussians σ=0.1, [-1,1]², none',
  };
}

// Extra 36. Maxwell's equations in 2D (TE: E_x, E_y, H_z; c = 1) as three first-order fields, an
//    oblique Gaussian plane pulse (width 0.2) along n = (0.8, 0.6), 'none': H_z = g(n·x − t),
//    E = (−n_y, n_x)·g(n·x − t).
function maxwell(): Case {
  const [s, n, x0] = [0.2, [0.8, 0.6], -0.3];
  const g = (x: readonly Expr[], t: Expr) =>
    exp(
      x[0]
        .mul(n[0])
        .add(x[1].mul(n[1]))
        .sub(t)
        .sub(x0)
        .pow(2)
        .mul(-1 / (2 * s * s)),
    );
  const fields = (x: readonly Expr[], t: Expr) => ({ ex: g(x, t).mul(-n[1]), ey: g(x, t).mul(n[0]), hz: g(x, t) });
  return {
    problem: defineProblem({
      name: 'maxwell-te-2d',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['ex', 'ey', 'hz'],
      initial: ({ x }) => fields(x, ops.constant(0)),
      rhs: ({ ex, ey, hz }) => ({ ex: d(hz, 1), ey: d(hz, 0).neg(), hz: d(ex, 1).sub(d(ey, 0)) }),
      exact: ({ x, t }) => fields(x, t),
    }),
    T: 0.6,
    summary: 'Maxwell TE (E_x, E_y, H_z), Gaussian plane pulse width 0.2 along (0.8, 0.6), [-1,1]², none',
  };
}

// Extra 37. Heat on a box far from the origin, [10, 12] × [−3, −1], Dirichlet, κ = 0.2:
//    u = sin(π(x − 10)/2) sin(π(y + 3)) e^{−κ(π²/4 + π²)t}.
function farBox(): Case {
  const k = 0.2;
  const rate = k * (PI * PI * 0.25 + PI * PI);
  const mode = (x: readonly Expr[]) => sin(x[0].sub(10).mul(PI / 2)).mul(sin(x[1].add(3).mul(PI)));
  return {
    problem: defineProblem({
      name: 'far-box-2d',
      dim: 2,
      domain: { lower: [10, -3], upper: [12, -1] },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: mode(x) }),
      rhs: ({ u }) => ({ u: lap(u).mul(k) }),
      exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-rate))) }),
    }),
    T: 0.5,
    summary: 'u_t=0.2Δu, sin(π(x-10)/2)sin(π(y+3)), [10,12]×[-3,-1], dirichlet',
  };
}
