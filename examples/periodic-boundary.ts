// A solution that repeats with the box, solved with boundary 'periodic' and with 'none', each with
// the defaults alone (`new NeuralIVP(problem)`), against its closed form or a finite-difference
// reference (docs/accuracy.md, "A periodic box").
//
//   node --import tsx examples/periodic-boundary.ts [heat|advection|allenCahn|channel|channelOpen ...]
//     [--boundary periodic|none]
//
// heat: u_t = Δu from sin 2πx cos 2πy on [0, 1]², to one e-fold (T = 1/(8π²)).
// advection: u_t = −u_x from e^{sin 2πx} on [0, 1], once around (T = 1).
// allenCahn: u_t = 0.01u_xx + u − u³ from 0.5 sin x + 0.3 sin 2x on [0, 2π] (T = 2), against the
// fourth-order finite differences of examples/lib/fd-periodic-1d.ts on 1,024 nodes.
// channel: u_t = −u_x from e^{sin 2πx}·sin πy on [0, 1]², once along (T = 1), boundary
// ['periodic', 'dirichlet'] (a channel with walls; `--boundary none`: 'none' along both axes).
// channelOpen: u_t = −u_x + 0.05u_yy from e^{sin 2πx}·e^{−y²/0.08} on [0, 1] × [−1, 1] (T = 0.5),
// boundary ['periodic', 'none'] (`--boundary none`: 'none' along both).
// One line per run: the fit's error, seconds and why it stopped; the relative L2 error at T/4, T/2
// and T (`solution.error` on 20,000 points, or on the reference's nodes); the evolve's wall seconds,
// steps (rejected) and CG iterations.
import { EvolveError, NeuralIVP, type Problem, type Solution } from '../ts/index';
import { describeBoundary } from '../ts/problem/boundary';
import { solvePeriodicFd } from './lib/fd-periodic-1d';
import { flag } from './lib/flags';
import {
  ALLEN_CAHN_EPS,
  allenCahnInitial,
  channelAdvection,
  channelSpread,
  periodicAdvection,
  periodicAllenCahn,
  periodicHeat,
} from './lib/periodic-problems';

interface Run {
  problem: Problem;
  T: number;
  /** The relative L2 error of the solution at saved time t. */
  error: (solution: Solution, t: number) => Promise<number>;
}

const tau = 2 * Math.PI;
const closedForm = (solution: Solution, t: number) => solution.error(t, 20000);

/** The relative L2 error against the finite-difference reference at the nodes, solved once. */
function allenCahnError(T: number): Run['error'] {
  const reference = solvePeriodicFd({
    cells: 1024,
    lower: 0,
    length: tau,
    initial: (x) => x.map(allenCahnInitial),
    rate: (u, uxx, out) => {
      for (let i = 0; i < u.length; i++) out[i] = ALLEN_CAHN_EPS * uxx[i] + u[i] - u[i] ** 3;
    },
    saveAt: [0, T / 4, T / 2, T],
  });
  return async (solution, t) => {
    const fd = await reference;
    const k = fd.times.indexOf(t);
    const u = solution.evaluate(fd.x, t);
    let [num, den] = [0, 0];
    fd.states[k].forEach((v, i) => {
      num += (u[i] - v) ** 2;
      den += v * v;
    });
    return Math.sqrt(num / den);
  };
}

const problems: Record<string, (boundary: 'periodic' | 'none') => Run> = {
  heat: (boundary) => ({ problem: periodicHeat(boundary), T: 1 / (2 * tau * tau), error: closedForm }),
  advection: (boundary) => ({ problem: periodicAdvection(boundary), T: 1, error: closedForm }),
  allenCahn: (boundary) => ({ problem: periodicAllenCahn(boundary), T: 2, error: allenCahnError(2) }),
  channel: (boundary) => ({
    problem: boundary === 'none' ? channelAdvection('none') : channelAdvection(),
    T: 1,
    error: closedForm,
  }),
  channelOpen: (boundary) => ({
    problem: boundary === 'none' ? channelSpread('none') : channelSpread(),
    T: 0.5,
    error: closedForm,
  }),
};

const boundary = flag('boundary', 'periodic');
if (boundary !== 'periodic' && boundary !== 'none')
  throw new RangeError(`--boundary must be periodic or none, got ${boundary}`);
const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const names = named.length > 0 ? named : Object.keys(problems);
for (const name of names)
  if (!Object.hasOwn(problems, name))
    throw new RangeError(`unknown problem '${name}'; the problems are ${Object.keys(problems).join(', ')}`);

for (const name of names) {
  const { problem, T, error } = problems[name](boundary);
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
  for (const t of solution.times.slice(1)) errors.push((await error(solution, t)).toExponential(2));
  const evolveSeconds = (performance.now() - started) / 1000 - fitSeconds;
  console.log(
    `${name} ${describeBoundary(problem.boundary)} (margin ${ivp.options.margin}): fit ${fit?.relativeError.toExponential(2)} ` +
      `(${fitSeconds.toFixed(1)} s, ${fit?.stopped}); error at T/4, T/2, T ${errors.join(', ')}; ` +
      `evolve ${evolveSeconds.toFixed(1)} s, ${solution.stats.steps} steps (${solution.stats.rejectedSteps}), ` +
      `${solution.stats.cgIterations} CG${stopped}`,
  );
}
