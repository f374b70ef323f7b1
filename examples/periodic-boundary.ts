// A solution that repeats with the box, solved with boundary 'periodic' and with 'none', each with
// the defaults alone (`new NeuralIVP(problem)`), against its closed form (docs/accuracy.md, "A
// periodic box").
//
//   node --import tsx examples/periodic-boundary.ts [heat|advection ...] [--boundary periodic|none]
//
// heat: u_t = Δu from sin 2πx cos 2πy on [0, 1]², to one e-fold (T = 1/(8π²)).
// advection: u_t = −u_x from e^{sin 2πx} on [0, 1], once around (T = 1).
// One line per run: the fit's error, seconds and why it stopped; the error at T/4, T/2 and T
// (`solution.error` on 20,000 points); the evolve's wall seconds, steps (rejected) and CG iterations.
import { EvolveError, NeuralIVP, type Problem, type Solution } from '../ts/index';
import { flag } from './lib/flags';
import { periodicAdvection, periodicHeat } from './lib/periodic-problems';

const tau = 2 * Math.PI;
const problems: Record<string, (boundary: 'periodic' | 'none') => { problem: Problem; T: number }> = {
  heat: (boundary) => ({ problem: periodicHeat(boundary), T: 1 / (2 * tau * tau) }),
  advection: (boundary) => ({ problem: periodicAdvection(boundary), T: 1 }),
};

const boundary = flag('boundary', 'periodic');
if (boundary !== 'periodic' && boundary !== 'none')
  throw new RangeError(`--boundary must be periodic or none, got ${boundary}`);
const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const names = named.length > 0 ? named : Object.keys(problems);
for (const name of names)
  if (!Object.hasOwn(problems, name)) throw new RangeError(`unknown problem '${name}'; try heat or advection`);

for (const name of names) {
  const { problem, T } = problems[name](boundary);
  const ivp = new NeuralIVP(problem);
  const started = performance.now();
  let solution: Solution;
  let stopped = '';
  try {
    solution = await ivp.evolve(T, { saveAt: [0, T / 4, T / 2, T], maxSeconds: 900 });
  } catch (e) {
    if (!(e instanceof EvolveError)) throw e;
    solution = e.solution;
    stopped = `, stopped at t = ${e.t.toPrecision(3)}`;
  }
  const fit = solution.stats.fit;
  const fitSeconds = fit?.seconds ?? 0;
  const errors: string[] = [];
  for (const t of solution.times.slice(1)) errors.push((await solution.error(t, 20000)).toExponential(2));
  const evolveSeconds = (performance.now() - started) / 1000 - fitSeconds;
  console.log(
    `${name} ${boundary} (margin ${ivp.options.margin}): fit ${fit?.relativeError.toExponential(2)} ` +
      `(${fitSeconds.toFixed(1)} s, ${fit?.stopped}); error at T/4, T/2, T ${errors.join(', ')}; ` +
      `evolve ${evolveSeconds.toFixed(1)} s, ${solution.stats.steps} steps (${solution.stats.rejectedSteps}), ` +
      `${solution.stats.cgIterations} CG${stopped}`,
  );
}
