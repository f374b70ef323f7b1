// node --import tsx ts/bench/held-out.ts CASE [VARIANTS [STEPS]]: for each variant (a JSON array of
// option objects merged over the case's, default [{}]), fits the suite case, evolves STEPS accepted
// steps (default 3) and prints each step's residual on its own samples beside its θ̇'s residual on
// held-out points (`samples.heldOut`, here 4,000): whether the projection holds between its points.
import { NeuralIVP } from '../solver/neural-ivp';
import { type CaseOptions, mergeOptions, suiteCase } from './case-options';

async function main(): Promise<void> {
  const [name, json, stepsArg] = process.argv.slice(2);
  const c = suiteCase(name);
  if (c === undefined) throw new Error(`usage: held-out.ts CASE [VARIANTS [STEPS]]; no case named ${name}`);
  const variants = json === undefined ? [{}] : (JSON.parse(json) as CaseOptions[]);
  const steps = stepsArg === undefined ? 3 : Number(stepsArg);
  for (const variant of variants) {
    const options = mergeOptions(
      mergeOptions({ ...c.options(c.T), seed: 0, device: 'cpu' }, { samples: { heldOut: 4000 } }),
      variant,
    );
    const ivp = new NeuralIVP({ ...options, problem: c.problem });
    const fit = await ivp.fit();
    const stop = new AbortController();
    const rows: string[] = [];
    await ivp
      .evolve(c.T, {
        signal: stop.signal,
        onProgress: (p) => {
          rows.push(`${p.residual.toExponential(2)} / ${p.heldOutResidual.toExponential(2)}`);
          if (p.step >= steps) stop.abort();
        },
      })
      .catch((e: unknown) => {
        if (!stop.signal.aborted) throw e;
      });
    console.log(
      `${c.name} ${JSON.stringify(variant)}: p ${ivp.parameterCount}, fit ${fit.relativeError.toExponential(2)}; ` +
        `step residual / held-out: ${rows.join(', ')}`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
