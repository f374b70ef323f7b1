// One process of a sample-parallel test run (tests/distributed.test.ts):
//   node --import tsx tests/helpers/distributed-worker.ts '<json>'
// with { out, distributed, overrides?, T, dieAtStep? }. Fits and evolves a small 1D heat problem
// and writes { rank, theta, times, steps, fitError } or { rank, error } to `out`.
import { writeFileSync } from 'node:fs';
import { NeuralIVP, problems, setThreads } from '../../ts/index';
import { smallRun } from './distributed-run';

interface Job {
  out: string;
  distributed: unknown;
  overrides?: Record<string, unknown>;
  T: number;
  /** Kill this process (SIGKILL) when the run reaches this accepted step. */
  dieAtStep?: number;
}

const job = JSON.parse(process.argv[2]) as Job;
setThreads(1);
let rank = -1;
try {
  const ivp = new NeuralIVP({
    ...smallRun(problems.heat({ dim: 1 })),
    ...job.overrides,
    distributed: job.distributed as never,
  });
  rank = ivp.options.distributed?.rank ?? 0;
  const fit = await ivp.fit();
  const solution = await ivp.evolve(job.T, {
    onProgress: (p) => {
      if (job.dieAtStep !== undefined && p.step === job.dieAtStep) process.kill(process.pid, 'SIGKILL');
    },
  });
  const last = solution.times.at(-1) as number;
  writeFileSync(
    job.out,
    JSON.stringify({
      rank,
      theta: Array.from(solution.theta(last)),
      theta0: Array.from(solution.theta(0)),
      times: solution.times,
      steps: solution.stats.steps,
      rejected: solution.stats.rejectedSteps,
      fitError: fit.relativeError,
    }),
  );
} catch (e) {
  writeFileSync(job.out, JSON.stringify({ rank, error: (e as Error).message }));
  process.exitCode = 1;
}
