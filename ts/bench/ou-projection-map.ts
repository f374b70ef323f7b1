// node --import tsx ts/bench/ou-projection-map.ts [DIM [JSON]]: where the first step's projection
// misses on the suite's Ornstein–Uhlenbeck case (ou-8d by default). Fits it (the defaults, JSON
// merged over them), solves θ̇ at t = 0 on one sample set as the first RK stage does, then on
// 40,000 fresh points (half from a Gaussian 1.5× the exact width, half uniform, weighted p/q)
// splits by Mahalanobis radius: ‖Jθ̇ − f‖², ‖f‖², ‖f − f_exact‖² (shares of ‖f‖²) and ‖u − u_exact‖²
// (share of ‖u‖²). Jθ̇ is a central difference of u along θ̇; f and f_exact are central
// differences in x of the network's u and of the closed form: independent of the engine's jets.
import { NeuralIVP } from '../solver/neural-ivp';
import type { NativeSession } from '../solver/session';
import { type CaseOptions, suiteCase } from './case-options';
import { OU_DIFFUSION, ouMoments, ouRates } from './suite-concentrated';

const POINTS = 40_000;
const WIDEN = 1.5;
const RADII = [1, 2, 3, 4, 6, Number.POSITIVE_INFINITY];
const STEP_X = 1e-3;

const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());

/** The OU right-hand side Σa_i·u + Σ a_i x_i ∂_i u + DΔu of `u` at the points, by central differences. */
function rhs(u: (x: Float64Array) => Float64Array, x: Float64Array, d: number): Float64Array {
  const n = x.length / d;
  const a = ouRates(d);
  const center = u(x);
  const sumA = a.reduce((s, v) => s + v, 0);
  const f = center.map((v) => sumA * v);
  for (let i = 0; i < d; i++) {
    const plus = x.slice();
    const minus = x.slice();
    for (let k = 0; k < n; k++) {
      plus[k * d + i] += STEP_X;
      minus[k * d + i] -= STEP_X;
    }
    const up = u(plus);
    const um = u(minus);
    for (let k = 0; k < n; k++) {
      const gradient = (up[k] - um[k]) / (2 * STEP_X);
      const second = (up[k] - 2 * center[k] + um[k]) / STEP_X ** 2;
      f[k] += a[i] * x[k * d + i] * gradient + OU_DIFFUSION * second;
    }
  }
  return f;
}

async function main(): Promise<void> {
  const [dimArg, json] = process.argv.slice(2);
  const d = dimArg === undefined ? 8 : Number(dimArg);
  const c = suiteCase(`ou-${d}d`);
  if (c === undefined) throw new Error(`no suite case ou-${d}d`);
  const extra = json === undefined ? {} : (JSON.parse(json) as CaseOptions);
  const ivp = new NeuralIVP({ ...c.options(c.T), seed: 0, device: 'cpu', ...extra, problem: c.problem });
  const fit = await ivp.fit();
  // The engine's session and θ0 are internal; a bench may reach them to run one stage by hand.
  // biome-ignore lint/complexity/useLiteralKeys: a private member, reached on purpose
  const session = ivp['getSession']() as NativeSession;
  // biome-ignore lint/complexity/useLiteralKeys: a private member, reached on purpose
  const theta0 = ivp['theta0'] as number;
  const stage = await session.stage(0, theta0, [], true);
  const theta = session.read(theta0);
  const thetaDot = session.read(stage.handle);
  const eps = 1e-6 / Math.max(...thetaDot.map(Math.abs));
  const plus = session.write(theta.map((v, i) => v + eps * thetaDot[i]));
  const minus = session.write(theta.map((v, i) => v - eps * thetaDot[i]));
  const evaluate = session.evaluateSync?.bind(session);
  if (evaluate === undefined) throw new Error('this session cannot evaluate synchronously');
  console.log(
    `fit ${fit.relativeError.toExponential(2)}; θ̇ at t = 0: residual ${stage.residual.toExponential(2)} on its samples, ` +
      `${stage.heldOutResidual.toExponential(2)} held out`,
  );
  const { mean: m, variance } = ouMoments(d, c.problem.params.sigma0, 0);
  const sd = variance.map(Math.sqrt);
  const x = new Float64Array(POINTS * d);
  const q = new Float64Array(POINTS);
  const radius = new Float64Array(POINTS);
  for (let k = 0; k < POINTS; k++) {
    let g = 1;
    let r2 = 0;
    for (let i = 0; i < d; i++) {
      const raw = k % 2 === 0 ? m[i] + WIDEN * sd[i] * gaussian() : 2 * Math.random() - 1;
      const xi = Math.max(-1 + 2 * STEP_X, Math.min(1 - 2 * STEP_X, raw));
      const z = (xi - m[i]) / (WIDEN * sd[i]);
      g *= Math.exp((-z * z) / 2) / (Math.sqrt(2 * Math.PI) * WIDEN * sd[i]);
      r2 += ((xi - m[i]) / sd[i]) ** 2;
      x[k * d + i] = xi;
    }
    q[k] = 0.5 * g + 0.5 / 2 ** d;
    radius[k] = Math.sqrt(r2);
  }
  const exact = (p: Float64Array): Float64Array => {
    const out = new Float64Array(p.length / d);
    for (let k = 0; k < out.length; k++) {
      let g = 1;
      for (let i = 0; i < d; i++) {
        const z = (p[k * d + i] - m[i]) / sd[i];
        g *= Math.exp((-z * z) / 2) / (Math.sqrt(2 * Math.PI) * sd[i]);
      }
      out[k] = g;
    }
    return out;
  };
  const network = (p: Float64Array): Float64Array => evaluate(theta0, p);
  const u = network(x);
  const uExact = exact(x);
  const up = evaluate(plus, x);
  const um = evaluate(minus, x);
  const jv = up.map((v, k) => (v - um[k]) / (2 * eps));
  const f = rhs(network, x, d);
  const fExact = rhs(exact, x, d);
  const bins = RADII.map(() => ({ points: 0, misfit: 0, f: 0, fGap: 0, uGap: 0, u: 0 }));
  for (let k = 0; k < POINTS; k++) {
    const b = bins[RADII.findIndex((r) => radius[k] <= r)];
    const w = 1 / q[k];
    b.points++;
    b.misfit += w * (jv[k] - f[k]) ** 2;
    b.f += w * f[k] ** 2;
    b.fGap += w * (f[k] - fExact[k]) ** 2;
    b.uGap += w * (u[k] - uExact[k]) ** 2;
    b.u += w * uExact[k] ** 2;
  }
  const fNorm = bins.reduce((s, b) => s + b.f, 0);
  const uNorm = bins.reduce((s, b) => s + b.u, 0);
  for (const [i, b] of bins.entries()) {
    const share = (v: number, of: number) => (v / of).toExponential(2);
    console.log(
      `r ≤ ${RADII[i]}: ${b.points} points; of ‖f‖²: ‖Jθ̇ − f‖² ${share(b.misfit, fNorm)}, ‖f‖² ${share(b.f, fNorm)}, ` +
        `‖f − f_exact‖² ${share(b.fGap, fNorm)}; of ‖u‖²: ‖u − u_exact‖² ${share(b.uGap, uNorm)}`,
    );
  }
  const misfit = bins.reduce((s, b) => s + b.misfit, 0);
  console.log(`held-out residual on these points: ${Math.sqrt(misfit / fNorm).toExponential(2)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
