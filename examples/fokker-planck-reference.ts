// The catalogue's Fokker–Planck equation (appendix B.3) without interaction (α = 0), solved by
// Neural IVP and measured against an independent truth: with α = 0 the solution is a product of
// 1D solutions, which a fine finite-difference grid gives (examples/lib/fd-fokker-planck.ts).
// u0 vanishes on the faces but f(u0) does not, so the Dirichlet solution grows a layer at each
// face from t = 0 on: the case where μ decides whether θ̇ follows it (docs/accuracy.md, "Where it
// costs").
//
//   node --import tsx examples/fokker-planck-reference.ts [--dim 8] [--T 0.5] [--mu-scale solution|absolute]
//        [--max-seconds 1800] [--cells 4000] [--points 20000] [--out FILE]
//
// Prints the fit, each accepted step, and the relative L2 error against the reference at the
// saved times the run reached, on uniform seeded points in the box; --out saves the solution.
import { EvolveError, NeuralIVP, problems, type Solution } from '../ts/index';
import { relativeError } from '../ts/util/compare';
import { mulberry32 } from '../ts/util/random';
import { solveFokkerPlanck1D } from './lib/fd-fokker-planck';
import { flag } from './lib/flags';

const dim = Number(flag('dim', '8'));
const T = Number(flag('T', '0.5'));
const muScale = flag('mu-scale', 'solution');
const maxSeconds = Number(flag('max-seconds', '1800'));
const cells = Number(flag('cells', '4000'));
const points = Number(flag('points', '20000'));
const out = flag('out', '');
if (muScale !== 'solution' && muScale !== 'absolute')
  throw new RangeError(`--mu-scale must be 'solution' or 'absolute', got ${muScale}`);
if (!(Number.isInteger(points) && points > 0))
  throw new RangeError(`--points must be a positive integer, got ${points}`);
if (!(T > 0)) throw new RangeError(`--T must be positive, got ${T}`);

const [diffusion, centre] = [0.01, 0.2];
const saveAt = [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5].filter((t) => t < T).concat(T);
const reference = solveFokkerPlanck1D({ cells, diffusion, centre, saveAt });
const coarse = solveFokkerPlanck1D({ cells: cells / 2, diffusion, centre, saveAt });

const random = mulberry32(1);
const box = Float64Array.from({ length: points * dim }, () => 2 * random() - 1);

const ivp = new NeuralIVP({ problem: problems.fokkerPlanck({ dim, alpha: 0 }), seed: 0, linear: { muScale } });
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
const fit = await ivp.fit();
console.log(`fokker-planck-${dim}d, α = 0, p = ${ivp.parameterCount}, μ scale '${muScale}'`);
console.log(`fit: ${fit.relativeError.toExponential(2)} after ${fit.iterations} iterations (${seconds()} s)`);
let solution: Solution;
let stopped = '';
try {
  solution = await ivp.evolve(T, { saveAt, maxSeconds });
} catch (error) {
  if (!(error instanceof EvolveError)) throw error;
  solution = error.solution;
  stopped = ` (stopped at t = ${error.t.toPrecision(3)}: ${error.reason})`;
}
console.log(`evolve: ${solution.history.length} steps to t = ${solution.times.at(-1)}${stopped} (${seconds()} s)`);
console.log('| t | h | CG iterations | step residual |\n|---|---|---|---|');
for (const step of solution.history)
  console.log(
    `| ${step.t.toPrecision(3)} | ${step.h.toExponential(2)} | ${step.cgIterations} | ${step.residual.toExponential(2)} |`,
  );
console.log(
  `\n| t | error against the reference | the reference's own (${cells} against ${cells / 2} cells) |\n|---|---|---|`,
);
saveAt.forEach((t, k) => {
  if (!solution.times.includes(t)) return;
  const truth = reference.products(k, box, dim);
  const error = relativeError(solution.evaluate(box, t), truth);
  const own = relativeError(coarse.products(k, box, dim), truth);
  console.log(`| ${t} | ${error.toExponential(2)} | ${own.toExponential(1)} |`);
});
if (out) await solution.save(out);
