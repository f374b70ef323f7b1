// Shared by the paper-reproduction examples: run one configuration of a problem (fit, evolve,
// measure the relative PDE residual and, with `exact`, the error at the saved times on fresh
// samples), write its solution and report into a folder, and parse the common flags.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  EvolveError,
  type GradientWeight,
  type MuScale,
  NeuralIVP,
  type NeuralIVPOptions,
  type Problem,
  type Solution,
} from '../../ts/index';
import { collectReportData, renderReport, type SavedTimeMetrics } from '../../ts/report/index';
import { flag } from './flags';

export { flag };

/** One configuration to compare (e.g. "EDNN" or "Neural IVP"). */
export interface StudyRun {
  readonly label: string;
  /** Folder name of its outputs. */
  readonly slug: string;
  readonly options: Omit<NeuralIVPOptions, 'problem'>;
}

export interface StudyOutcome {
  readonly label: string;
  readonly slug: string;
  readonly parameterCount: number;
  readonly fitError: number;
  readonly fitSeconds: number;
  readonly evolveSeconds: number;
  /** Set when the integration stopped before T (the partial solution is still measured). */
  readonly stoppedAt: number | null;
  readonly solution: Solution;
  /** Residual and (with `exact`) error at each saved time, on fresh samples; null where unmeasurable. */
  readonly saved: readonly SavedTimeMetrics[];
  /** The report, relative to the study's output folder. */
  readonly report: string;
}

export interface StudySettings {
  readonly T: number;
  readonly saveAt: readonly number[];
  /** The study's output folder; each run writes into `<out>/<slug>/`. */
  readonly out: string;
  /** Fresh samples for the residual and error measurements (default: the run's samples). */
  readonly measureSamples?: number;
  /** Cells per axis of the report's slices (default 48). */
  readonly grid?: number;
  /** Wall-clock budget of each run's integration (`evolve`'s maxSeconds; default none). */
  readonly evolveSeconds?: number;
}

/** Fits and evolves `run` on `problem`, measures it at the saved times and writes its report. */
export async function runStudy(problem: Problem, run: StudyRun, settings: StudySettings): Promise<StudyOutcome> {
  const ivp = new NeuralIVP({ problem, ...run.options });
  const log = (line: string): void => console.log(`[${run.label}] ${line}`);
  log(`p = ${ivp.parameterCount}`);
  // CPU seconds (user + system of the whole process) beside wall seconds: on a shared machine
  // the wall clock also counts other jobs' time.
  const cpuSeconds = (since: NodeJS.CpuUsage): number => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e6;
  };
  let t0 = performance.now();
  let cpu0 = process.cpuUsage();
  const fit = await ivp.fit();
  const fitSeconds = (performance.now() - t0) / 1000;
  log(
    `initial fit (${fit.method}): relative error ${fit.relativeError.toExponential(2)} after ${fit.iterations} iterations (${fit.stopped}: ${fit.message}), ${fitSeconds.toFixed(0)} s wall, ${cpuSeconds(cpu0).toFixed(0)} s CPU`,
  );

  t0 = performance.now();
  cpu0 = process.cpuUsage();
  let lastLogged = -1;
  let lastLogTime = t0;
  let solution: Solution;
  let stoppedAt: number | null = null;
  try {
    solution = await ivp.evolve(settings.T, {
      saveAt: [...settings.saveAt],
      maxSeconds: settings.evolveSeconds,
      onProgress: (p) => {
        const decile = Math.floor((10 * p.t) / p.T);
        const now = performance.now();
        if (decile === lastLogged && now - lastLogTime < 60_000) return;
        lastLogged = decile;
        lastLogTime = now;
        const s = ((now - t0) / 1000).toFixed(0);
        log(`t = ${p.t.toFixed(3)}  step ${p.step}  h ${p.h.toExponential(1)}  CG ${p.cgIterations}  ${s} s`);
      },
    });
  } catch (e) {
    if (!(e instanceof EvolveError)) throw e;
    solution = e.solution;
    stoppedAt = e.t;
    log(`stopped early at t = ${e.t} (${e.reason}): ${e.message}`);
  }
  const evolveSeconds = (performance.now() - t0) / 1000;
  const s = solution.stats;
  log(
    `${s.steps} steps (${s.rejectedSteps} rejected), ${s.dynamicsEvaluations} solves, ${s.cgIterations} CG iterations, ${s.restarts} restarts, ${evolveSeconds.toFixed(0)} s wall, ${cpuSeconds(cpu0).toFixed(0)} s CPU`,
  );

  // The report's own measurements: the residual and, with `exact`, the error at each saved time.
  const data = await collectReportData(solution, problem, {
    grid: settings.grid ?? 48,
    samples: settings.measureSamples,
  });
  const hasExact = problem.plan.exact !== null;
  for (const { t, residual, error } of data.saved) {
    log(
      `t = ${t}: residual ${residual?.toExponential(2) ?? '—'}${hasExact ? `, error ${error?.toExponential(2) ?? '—'}` : ''}`,
    );
  }
  const dir = path.join(settings.out, run.slug);
  await mkdir(dir, { recursive: true });
  await solution.save(path.join(dir, 'solution.json'));
  const html = renderReport({
    ...data,
    title: `${problem.name}: ${run.label}`,
    T: settings.T,
    options: { ...data.options, T: settings.T },
    timings: { fit: fitSeconds, evolve: evolveSeconds },
    warning: stoppedAt === null ? undefined : `The run stopped early at t = ${stoppedAt}.`,
    generatedAt: new Date().toISOString(),
  });
  await writeFile(path.join(dir, 'report.html'), html);
  return {
    label: run.label,
    slug: run.slug,
    parameterCount: ivp.parameterCount,
    fitError: fit.relativeError,
    fitSeconds,
    evolveSeconds,
    stoppedAt,
    solution,
    saved: data.saved,
    report: `${run.slug}/report.html`,
  };
}

/** `--max-minutes M`: each run's integration stops after M wall minutes (default: no limit). */
export function evolveSecondsFlag(): number | undefined {
  const value = flag('max-minutes', '');
  if (value === '') return undefined;
  const minutes = Number(value);
  if (!(minutes > 0 && Number.isFinite(minutes)))
    throw new RangeError(`--max-minutes must be a positive number, got ${value}`);
  return 60 * minutes;
}

/** `--size small|medium|paper` (default small). */
export function sizeFlag(): 'small' | 'medium' | 'paper' {
  const size = flag('size', 'small');
  if (size !== 'small' && size !== 'medium' && size !== 'paper') {
    throw new RangeError(`--size must be small, medium or paper, got ${size}`);
  }
  return size;
}

/** Evenly spaced saved times 0, T/k, …, T. */
export const evenTimes = (T: number, k: number): number[] =>
  Array.from({ length: k + 1 }, (_, i) => Number(((i * T) / k).toPrecision(12)));

/** Series colours of the comparison plots, one per configuration. */
export const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd'] as const;

/** The sizes a comparison example runs at. */
export interface ComparisonSize {
  readonly samples: number;
  /** Hidden width of the Neural IVP network (3 layers). */
  readonly width: number;
  readonly rank: number;
  /** EDNN's initial fit: Adam steps and batch (the paper's fit). */
  readonly steps: number;
  readonly batch: number;
  /** Neural IVP's Gauss–Newton fit (initial condition and restarts): held-out tolerance and time cap. */
  readonly fitTol: number;
  readonly fitSeconds: number | null;
}

/** Options a study adds to the Neural IVP run (e.g. importance sampling for a concentrated solution). */
export interface NeuralIvpExtras {
  readonly network?: NeuralIVPOptions['network'];
  readonly samples?: Omit<Exclude<NeuralIVPOptions['samples'], number | undefined>, 'count'>;
  /** `linear.gradientWeight`: the projection's norm per field (a wave's energy norm). */
  readonly gradientWeight?: GradientWeight;
  /** `linear.muScale` of both runs' μ = 1e-6 (default `'absolute'`). */
  readonly muScale?: MuScale;
}

/**
 * The two configurations the paper compares (RK45 at 1e-4 for both). EDNN as the paper defines it
 * (Du & Zaki: 4 × 30 tanh, no embedding, dense least-squares solves, no head tuning, no restarts)
 * on the paper's uniform points, fitted by the paper's Adam. Neural IVP (sinusoidal embedding,
 * swish, head tuning, preconditioned CG) with what the package offers beyond the paper: the
 * sampled-rows preconditioner (the Nyström sketch where it falls short), the Gauss–Newton fit to
 * a tolerance, scrambled Sobol points, and restarts when a solve's
 * conditioning degrades (the default policy); `extras` adds a study's own choices.
 */
export function ednnAndNeuralIvp(S: ComparisonSize, extras: NeuralIvpExtras = {}): StudyRun[] {
  const integrator = { method: 'rk45', rtol: 1e-4 } as const;
  return [
    {
      label: 'EDNN',
      slug: 'ednn',
      options: {
        preset: 'paper',
        samples: { count: S.samples, sequence: 'uniform' },
        integrator,
        seed: 0,
        network: { width: 30, depth: 4, activation: 'tanh', embedding: false },
        linear: { method: 'dense', mu: 1e-6, muScale: extras.muScale ?? 'absolute' },
        fit: { method: 'adam', steps: S.steps, batch: S.batch, headTuning: false },
        restarts: false,
      },
    },
    {
      label: 'Neural IVP',
      slug: 'neural-ivp',
      options: {
        samples: { count: S.samples, sequence: 'sobol', ...extras.samples },
        integrator,
        seed: 0,
        network: { width: S.width, depth: 3, ...extras.network },
        linear: {
          method: 'pcg',
          rank: S.rank,
          tol: 1e-8,
          maxIters: 1000,
          mu: 1e-6,
          muScale: extras.muScale ?? 'absolute',
          gradientWeight: extras.gradientWeight,
        },
        // A reproduction measures what the method does from the fit it got (its error is logged), as the
        // EDNN run, which has no tolerance, does.
        fit: {
          method: 'gauss-newton',
          tol: S.fitTol,
          maxSeconds: S.fitSeconds,
          maxIterations: 1000,
          allowPoorFit: true,
        },
        restarts: { cgIterations: 500 },
      },
    },
  ];
}

/** `--runs a,b`: the runs whose slugs are listed (default all). */
export function selectRuns(runs: readonly StudyRun[]): StudyRun[] {
  const wanted = flag('runs', runs.map((r) => r.slug).join(','))
    .split(',')
    .filter((s) => s.length > 0);
  const unknown = wanted.filter((s) => !runs.some((r) => r.slug === s));
  if (unknown.length > 0) {
    throw new RangeError(`--runs: unknown ${unknown.join(', ')} (known: ${runs.map((r) => r.slug).join(', ')})`);
  }
  return runs.filter((r) => wanted.includes(r.slug));
}
