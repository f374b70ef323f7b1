// Neural IVP with its defaults on closed-form problems outside the catalogue
// (examples/lib/unseen-problems.ts), as a new user would run it: `new NeuralIVP(problem)` and
// `evolve(T)`, which fits first.
//
//   node --import tsx examples/unseen-problems.ts [case ...] [--max-seconds 600] [--options JSON]
//
// Cases: advDiff fisher heat3 rotSystem source ou4 (the default), nagumo sourceLong advDiffNarrow
// rotFast zeroStart ouNarrow4 ou6 ou8 spread4 burgers rotGauss heatModes rect nls string
// kleinGordon pulse dampedWave varCoef heat6 advSine diffuse5 packet kink porous hamiltonJacobi
// exchange gauss3 twoBumps maxwell farBox torusHeat periodicBurgers periodicAdvect duct shear
// units micro strip timeCoef mixed peclet logistic logistic4 expand squeeze decayFar heat10
// coherent aniso3 needle carry3. One line per case: the fit's error, seconds and why it stopped;
// the error at T (`solution.error` on 40,000 points: the run's 4,000 leave a concentrated 8D
// density's estimate noisy by a few times); the
// solution's own change ‖u*(T) − u*(0)‖/‖u*(T)‖ on 20,000 seeded uniform points (an error near
// it means the run did not follow the solution); the evolve's wall seconds (the fit's excluded),
// steps and rejected steps, and a boundary-'none' run's margin. A run that --max-seconds stops is
// measured at the last saved time. `--options` adds options to the problem
// (`'{"fit":{"rateFeatures":false}}'`) to compare a default with its alternative; its errors are
// then printed at T/4, T/2 and 3T/4 as well.
import { EvolveError, NeuralIVP, type Solution } from '../ts/index';
import { someAxis } from '../ts/problem/boundary';
import { exactChange } from '../ts/problem/exact-change';
import { flag } from './lib/flags';
import { cases, mainCases } from './lib/unseen-problems';

const maxSeconds = Number(flag('max-seconds', '600'));
const options: unknown = JSON.parse(flag('options', '{}'));
if (typeof options !== 'object' || options === null || Array.isArray(options))
  throw new TypeError(`--options must be a JSON object, got ${flag('options', '{}')}`);
const quarters = process.argv.includes('--options');
if (!(maxSeconds > 0)) throw new RangeError(`--max-seconds must be positive, got ${maxSeconds}`);
const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const names = named.length > 0 ? named : [...mainCases];
for (const name of names)
  if (!Object.hasOwn(cases, name))
    throw new RangeError(`unknown case '${name}'; the cases are ${Object.keys(cases).join(', ')}`);

for (const name of names) {
  const { problem, T } = cases[name]();
  // As the guide has it: evolve fits first, with T known (a boundary-'none' margin covers it).
  const ivp = new NeuralIVP({ problem, ...options });
  const started = performance.now();
  let solution: Solution;
  let stopped = '';
  try {
    solution = await ivp.evolve(T, { maxSeconds, ...(quarters ? { saveAt: [0, T / 4, T / 2, (3 * T) / 4, T] } : {}) });
  } catch (error) {
    if (!(error instanceof EvolveError)) throw error;
    solution = error.solution;
    stopped = ` (stopped at t = ${error.t.toPrecision(3)}: ${error.reason})`;
  }
  const fit = solution.stats.fit;
  if (fit === undefined) throw new Error(`${name}: the solution holds no fit report`);
  const wall = (performance.now() - started) / 1000 - fit.seconds;
  const tEnd = solution.times.at(-1) ?? 0;
  const error = await solution.error(tEnd, 40_000);
  const earlier: string[] = [];
  for (const t of quarters ? solution.times.slice(1, -1) : [])
    earlier.push(`${Number(t.toPrecision(3))}: ${(await solution.error(t, 40_000)).toExponential(2)}`);
  const { steps, rejectedSteps } = solution.stats;
  const margin = someAxis(problem.boundary, 'none') ? `, margin ${solution.options.margin}` : '';
  console.log(
    `${name}: fit ${fit.relativeError.toExponential(2)} (${fit.seconds.toFixed(1)} s, ${fit.stopped}); ` +
      `error(${Number(tEnd.toPrecision(3))}) ${error.toExponential(2)}, change ${exactChange(problem, tEnd).toFixed(3)}; ` +
      `evolve ${wall.toFixed(1)} s, ${steps} steps (${rejectedSteps} rejected)${margin}${stopped}` +
      (earlier.length > 0 ? `; errors before T (${earlier.join(', ')})` : ''),
  );
}
