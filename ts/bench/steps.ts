// node --import tsx ts/bench/steps.ts CASE [JSON [T]]: one suite case (ts/bench/suite-problems.ts)
// fitted and evolved to T (default the case's) with its options (the defaults but its one setting),
// JSON merged over them section by section, seed 0 on the CPU, with a line per accepted step: where
// the steps go (h, the error estimate, CG iterations, the solve's seconds by part against the
// step's wall seconds), and the error against the closed form at five times (on 40,000 fresh points). With
// NEURAL_IVP_TRACE=stages every stage, rejected attempts' included, prints its own line too.
import { performance } from 'node:perf_hooks';
import { NeuralIVP } from '../solver/neural-ivp';
import { type CaseOptions, mergeOptions, suiteCase } from './case-options';

/** Fresh points per error: a concentrated density needs many more than a step's samples to be seen. */
const ERROR_POINTS = 40_000;

async function main(): Promise<void> {
  const [name, json, end] = process.argv.slice(2);
  const c = suiteCase(name);
  if (c === undefined) throw new Error(`usage: steps.ts CASE [JSON options]; no case named ${name}`);
  const extra = json === undefined ? {} : (JSON.parse(json) as CaseOptions);
  const T = end === undefined ? c.T : Number(end);
  const options = mergeOptions({ ...c.options(T), seed: 0, device: 'cpu' }, extra);
  console.log(`${c.name}: T = ${T}, options ${JSON.stringify(options)}`);
  const ivp = new NeuralIVP({ ...options, problem: c.problem });
  const fit = await ivp.fit();
  console.log(
    `fit ${fit.relativeError.toExponential(2)} in ${fit.seconds.toFixed(1)} s (${fit.iterations} it, ${fit.stopped})`,
  );
  const start = performance.now();
  let last = start;
  const saveAt = [0, 0.25, 0.5, 0.75, 1].map((f) => f * T);
  const solution = await ivp.evolve(T, {
    saveAt,
    onProgress: (p) => {
      const now = performance.now();
      const { sampling, jets, plan, linearization, preconditioner, cg } = p.cost;
      const solve = sampling + jets + plan + linearization + preconditioner + cg;
      console.log(
        [
          `step ${p.step}`,
          `t ${p.t.toFixed(4)}`,
          `h ${p.h.toExponential(2)}`,
          `err ${p.errorNorm.toFixed(2)}`,
          `rej ${p.rejectedSteps}`,
          `cg ${p.cgIterations}`,
          `rank ${p.cost.preconditionerRank}`,
          `res ${p.residual.toExponential(2)}`,
          `held-out ${p.heldOutResidual.toExponential(2)}`,
          `wall ${((now - last) / 1000).toFixed(1)} s`,
          `solves ${solve.toFixed(1)} (lin ${linearization.toFixed(1)}, prec ${preconditioner.toFixed(1)}, cg ${cg.toFixed(1)})`,
          `restarts ${p.restarts}`,
        ].join(' | '),
      );
      last = now;
    },
  });
  const s = solution.stats;
  const errors: string[] = [];
  for (const t of saveAt.slice(1))
    errors.push(`${t.toPrecision(3)}: ${(await solution.error(t, ERROR_POINTS)).toExponential(2)}`);
  const error = await solution.error(T, ERROR_POINTS);
  console.log(
    `done: error ${error.toExponential(3)} at T = ${T}; ${s.steps} steps, ${s.rejectedSteps} rejected, ` +
      `errors by time ${errors.join(', ')}; ${s.cgIterations} CG iterations over ${s.dynamicsEvaluations} solves, ${s.restarts} restarts` +
      `${s.restartLog === undefined ? '' : ` ${JSON.stringify(s.restartLog)}`}; ` +
      `evolve ${((performance.now() - start) / 1000).toFixed(1)} s, fit ${fit.seconds.toFixed(1)} s`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
