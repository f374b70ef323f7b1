// A density that grows into a plateau: 2D Fisher–KPP, u_t = 0.01Δu + 2u(1 − u), from a bump
// 0.8·exp(−|x − c|²/(2·0.1²)) on [−1, 1]² (boundary 'none'), to T = 1.5, when it has become a disc
// of u ≈ 1 ringed by a front. Its u0 is a density by the defaults' rule (concentrated, positive,
// f(0) = 0), so it gets the raw point and the log output; this script compares that with the
// former defaults (the embedding, the linear output, the parameter step norm), both against a
// finite-difference solution (601² grid on [−1.5, 1.5]², zero-flux edges, Heun), at every fourth
// grid point of the domain (docs/accuracy.md, "A density in any dimension").
//
//   node --import tsx examples/fisher-bump.ts [--T 1.5]
import { defineProblem, NeuralIVP, type NeuralIVPOptions, ops } from '../ts/index';
import { evaluateProgram } from '../ts/problem/evaluate';
import { relativeError } from '../ts/util/compare';
import { flag } from './lib/flags';

const DIFFUSION = 0.01;
const RATE = 2;
const WIDTH = 0.1;
const CENTRE = [0.1, -0.1];
const T = Number(flag('T', '1.5'));
if (!(T > 0)) throw new RangeError(`--T must be positive, got ${T}`);

const problem = defineProblem({
  name: 'fisher-bump-2d',
  dim: 2,
  domain: { lower: -1, upper: 1 },
  boundary: 'none',
  fields: ['u'],
  initial: ({ x }) => ({
    u: ops
      .exp(
        x[0]
          .sub(CENTRE[0])
          .pow(2)
          .add(x[1].sub(CENTRE[1]).pow(2))
          .mul(-1 / (2 * WIDTH * WIDTH)),
      )
      .mul(0.8),
  }),
  rhs: ({ u }) => ({
    u: ops
      .lap(u)
      .mul(DIFFUSION)
      .add(u.mul(u.neg().add(1)).mul(RATE)),
  }),
});

/** The finite-difference solution at T on an N×N grid of [−L, L]², row-major (i along x0). */
function finiteDifferences(N: number, L: number): { at: (i: number) => number; u: Float64Array } {
  const h = (2 * L) / (N - 1);
  const steps = Math.ceil(T / ((0.2 * h * h) / DIFFUSION));
  const k = T / steps;
  const at = (i: number) => -L + i * h;
  // u0 from the problem's own compiled initial condition, on the grid's nodes.
  const initial = problem.plan.initial;
  if (initial === null) throw new Error('the problem has no initial condition');
  const nodes = new Float64Array(N * N * 2);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) nodes.set([at(i), at(j)], (i * N + j) * 2);
  }
  const u = evaluateProgram(initial, { n: N * N, x: nodes, t: 0 })[0];
  const rate = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const q = v[i * N + j];
        const neighbours =
          v[Math.min(i + 1, N - 1) * N + j] +
          v[Math.max(i - 1, 0) * N + j] +
          v[i * N + Math.max(j - 1, 0)] +
          v[i * N + Math.min(j + 1, N - 1)];
        out[i * N + j] = (DIFFUSION * (neighbours - 4 * q)) / (h * h) + RATE * q * (1 - q);
      }
    }
  };
  const [k1, k2, stage] = [new Float64Array(N * N), new Float64Array(N * N), new Float64Array(N * N)];
  for (let n = 0; n < steps; n++) {
    rate(u, k1);
    for (let i = 0; i < u.length; i++) stage[i] = u[i] + k * k1[i];
    rate(stage, k2);
    for (let i = 0; i < u.length; i++) u[i] += 0.5 * k * (k1[i] + k2[i]);
  }
  return { at, u };
}

const N = 601;
const reference = finiteDifferences(N, 1.5);
const points: number[] = [];
const truthValues: number[] = [];
for (let i = 0; i < N; i += 4) {
  for (let j = 0; j < N; j += 4) {
    const [a, b] = [reference.at(i), reference.at(j)];
    if (Math.abs(a) > 1 || Math.abs(b) > 1) continue;
    points.push(a, b);
    truthValues.push(reference.u[i * N + j]);
  }
}
const x = Float64Array.from(points);
const truth = Float64Array.from(truthValues);

const variants: [string, Omit<NeuralIVPOptions, 'problem'>][] = [
  ['the defaults', {}],
  ['the former defaults', { network: { embedding: true, output: 'linear' }, integrator: { errorNorm: 'parameters' } }],
];
for (const [label, options] of variants) {
  const ivp = new NeuralIVP({ problem, ...options });
  const fit = await ivp.fit();
  const started = performance.now();
  const solution = await ivp.evolve(T);
  const seconds = (performance.now() - started) / 1000;
  const u = solution.evaluate(x, T);
  const { embedding, output } = ivp.options.network;
  console.log(
    `${label} (embedding ${embedding}, output ${output}, errorNorm ${ivp.options.integrator.errorNorm}): ` +
      `fit ${fit.relativeError.toExponential(2)}; error at T against finite differences ` +
      `${relativeError(u, truth).toExponential(2)}; evolve ${seconds.toFixed(0)} s, ` +
      `${solution.stats.steps} steps (${solution.stats.rejectedSteps} rejected)`,
  );
}
