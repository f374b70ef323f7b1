// The closed-form accuracy suite at full size (ts/bench/suite-problems.ts): every case fitted and
// evolved once with the default Gauss–Newton fit and once with Adam under a fixed step budget, the
// rest of the options equal, and measured against its closed form.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { PoorFitError } from '../solver/fit-guard';
import type { FitStopReason } from '../solver/fit-report';
import { NeuralIVP } from '../solver/neural-ivp';
import type { FitMethod, FitOptions } from '../solver/options';
import { concentratedCases, oscillatoryCases, type SuiteCase, suiteCases } from './suite-problems';

/** Adam's budget in the suite: a fixed number of steps (of the default 2,000 points), no time limit. */
export const SUITE_ADAM_STEPS = 3000;

export interface SuiteRow {
  name: string;
  kind: SuiteCase['kind'];
  method: FitMethod;
  /** The case's setting beyond the defaults ('defaults' when none). */
  setting: string;
  dim: number;
  fields: number;
  T: number;
  parameters: number;
  /** Relative L2 error of the initial fit on held-out points, and why the fit stopped. */
  fit_error: number;
  fit_stopped: FitStopReason;
  fit_iterations: number;
  /** Relative L2 error against the closed form at T, on the problem's domain (null: refused). */
  relative_error: number | null;
  /** Why `evolve` refused to start from the fit (a `PoorFitError`'s message); null when it evolved. */
  refused: string | null;
  steps: number;
  rejected_steps: number;
  /** Refits during the evolve (restarts). */
  restarts: number;
  fit_seconds: number;
  evolve_seconds: number;
  /** CPU seconds (user + system, all threads) of the fit and of the evolve. */
  fit_cpu_seconds: number;
  evolve_cpu_seconds: number;
  /** The 1-minute load average at the start and end of the row (the machine is shared). */
  load_average: [number, number];
}

const cpuSeconds = (start: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

async function measureCase(c: SuiteCase, method: FitMethod): Promise<SuiteRow> {
  const fit: FitOptions =
    method === 'adam' ? { method: 'adam', maxIterations: SUITE_ADAM_STEPS, maxSeconds: null } : { method };
  const load = os.loadavg()[0];
  const ivp = new NeuralIVP({ ...c.options(c.T), problem: c.problem, fit, device: 'cpu', seed: 0 });
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const report = await ivp.fit();
  const fitSeconds = (performance.now() - wall) / 1000;
  const fitCpu = cpuSeconds(cpu);
  wall = performance.now();
  cpu = process.cpuUsage();
  // What a user of the defaults gets: a fit too poor to evolve is refused, and the row says so.
  const solution = await ivp.evolve(c.T).catch((e: unknown) => {
    if (e instanceof PoorFitError) return e;
    throw e;
  });
  const evolveSeconds = (performance.now() - wall) / 1000;
  const evolveCpu = cpuSeconds(cpu);
  const refused = solution instanceof PoorFitError;
  return {
    name: c.name,
    kind: c.kind,
    method,
    setting: c.setting,
    dim: c.problem.dim,
    fields: c.problem.fields.length,
    T: c.T,
    parameters: ivp.parameterCount,
    fit_error: report.relativeError,
    fit_stopped: report.stopped,
    fit_iterations: report.iterations,
    relative_error: refused ? null : await solution.error(c.T),
    refused: refused ? solution.message : null,
    steps: refused ? 0 : solution.stats.steps,
    rejected_steps: refused ? 0 : solution.stats.rejectedSteps,
    restarts: refused ? 0 : solution.stats.restarts,
    fit_seconds: fitSeconds,
    evolve_seconds: evolveSeconds,
    fit_cpu_seconds: fitCpu,
    evolve_cpu_seconds: evolveCpu,
    load_average: [load, os.loadavg()[0]],
  };
}

/**
 * Every case with the Gauss–Newton fit, then every case with Adam, one run at a time (`only`: the
 * cases of these names; `methods`: these fits). `onRow` sees each row as it is measured.
 */
export async function measureSuite(
  options: { only?: readonly string[]; methods?: readonly FitMethod[]; onRow?: (row: SuiteRow) => void } = {},
): Promise<SuiteRow[]> {
  const rows: SuiteRow[] = [];
  for (const method of options.methods ?? (['gauss-newton', 'adam'] as const)) {
    for (const c of [...suiteCases(), ...concentratedCases(), ...oscillatoryCases()]) {
      if (options.only !== undefined && !options.only.includes(c.name)) continue;
      const row = await measureCase(c, method);
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
