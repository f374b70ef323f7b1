// npm run demo: a small but real Neural IVP solve. The 2D heat equation u_t = 0.1Δu on [-1,1]²
// with zero boundary values, from u0 = cos(πx/2)cos(πy/2), whose exact solution decays as
// exp(-0.1·2π²/4·t). Fits the initial condition, integrates θ(t) with RK23, and prints the
// relative L2 error against the exact solution.
import cliProgress from 'cli-progress';
import { NeuralIVP, problems } from '../ts/index';

const T = 0.5;
const problem = problems.heat({ dim: 2, diffusivity: 0.1 });
const ivp = new NeuralIVP({
  problem,
  network: { width: 32, depth: 2 },
  samples: 2000,
  linear: { method: 'pcg', tol: 1e-8, maxIters: 500, rank: 30, mu: 1e-6 },
  integrator: { method: 'rk23', rtol: 1e-3 },
  fit: { steps: 1000, lr: 2e-3, batch: 2000, headTuning: true, headSamples: 20000 },
  restarts: false,
  seed: 0,
});

console.log(`neural-ivp demo: ${problem.name}, p = ${ivp.parameterCount} parameters, T = ${T}`);
const fitted = await ivp.fit();
console.log(`initial fit: relative error ${fitted.relativeError.toExponential(2)} in ${fitted.seconds.toFixed(1)} s`);

const bar = new cliProgress.SingleBar(
  { format: 'evolve |{bar}| t = {t} / {T}  steps {step}  h {h}  CG {cg}', hideCursor: true },
  cliProgress.Presets.shades_classic,
);
bar.start(1000, 0, { t: '0.000', T, step: 0, h: '-', cg: 0 });
const solution = await ivp.evolve(T, {
  saveAt: [0, T / 2, T],
  onProgress: (p) =>
    bar.update(Math.round((1000 * p.t) / p.T), {
      t: p.t.toFixed(3),
      step: p.step,
      h: p.h.toExponential(1),
      cg: p.cgIterations,
    }),
});
bar.update(1000);
bar.stop();

for (const t of solution.times) {
  const error = await solution.error(t);
  console.log(`t = ${t.toFixed(2)}: relative L2 error vs exact ${error.toExponential(2)}`);
}
const s = solution.stats;
console.log(
  `${s.steps} steps (${s.rejectedSteps} rejected), ${s.dynamicsEvaluations} dynamics solves, ${s.cgIterations} CG iterations, ${s.seconds.toFixed(1)} s`,
);
