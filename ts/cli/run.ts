/**
 * `neural-ivp run`: builds the problem and the solver from the flags, fits, evolves with progress
 * on stderr, and writes DIR/solution.json, DIR/metrics.json and DIR/report.html.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SpecError } from '../errors';
import { AbortError } from '../integrate/index';
import type { Problem } from '../problem/define';
import { collectReportData } from '../report/collect';
import { renderReport } from '../report/render';
import type { ReportRecord } from '../report/types';
import { runtimeInfo } from '../runtime';
import { PoorFitError } from '../solver/fit-guard';
import { type FitReport, fitWarning } from '../solver/fit-report';
import { EvolveError, NeuralIVP } from '../solver/neural-ivp';
import type { NeuralIVPOptions } from '../solver/options';
import { writeFileAtomic } from '../solver/save-format';
import type { SessionFactory, Solution } from '../solver/solution';
import type { ParamValue } from './args';
import { ExitCode, UsageError } from './errors';
import { loadProblem } from './load-problem';
import { folderForIncompleteRun, prepareOutputDir } from './output-dir';
import { DEFAULT_PROJECTED_LIMIT_SECONDS, EvolvePace, paceMessage } from './pace';
import { barProgress, type RunProgress, silentProgress } from './progress';

/** The parsed flags of `run` (undefined: the library default). */
export interface RunFlags {
  T: number;
  preset?: 'default' | 'paper';
  samples?: number;
  sequence?: 'sobol' | 'uniform';
  importance?: boolean;
  out?: string;
  width?: number;
  depth?: number;
  rtol?: number;
  method?: 'rk23' | 'rk45';
  linear?: 'pcg' | 'dense';
  rank?: number;
  gradientWeight?: number | Record<string, number>;
  fitMethod?: 'gauss-newton' | 'adam';
  fitTol?: number;
  fitSeconds?: number;
  fitSteps?: number;
  fitBatch?: number;
  allowPoorFit?: boolean;
  restarts?: boolean;
  seed?: number;
  dim?: number;
  saveAt?: number[];
  /** Wall-clock budget of the integration (seconds). */
  maxSeconds?: number;
  dtype?: 'float64' | 'float32';
  device?: 'auto' | 'cpu' | 'cuda';
  grid?: number;
  param?: Record<string, ParamValue>;
  quiet?: boolean;
  /** Let an incomplete run overwrite a complete earlier run's files in --out. */
  force?: boolean;
}

/** Where the command writes and what it runs under. */
export interface CliContext {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The progress bars' stream (a terminal gets bars, anything else phase lines). */
  progressStream: NodeJS.WritableStream;
  signal?: AbortSignal;
  cwd: string;
  /** The command line, echoed into metrics.json. */
  argv: readonly string[];
  /** Makes the solver's session instead of the native addon (tests, custom backends). */
  createSession?: SessionFactory;
  /** `--nproc`: the worker command before its arguments (default: this Node and script). */
  workerCommand?: readonly string[];
}

/** The option paths of `SpecError`s and the flags that set them. */
const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  preset: '--preset',
  samples: '--samples',
  'samples.count': '--samples',
  'samples.sequence': '--sequence',
  'samples.importance': '--importance',
  'fit.method': '--fit-method',
  'fit.tol': '--fit-tol',
  'fit.maxSeconds': '--fit-seconds',
  'network.width': '--width',
  'network.depth': '--depth',
  'integrator.rtol': '--rtol',
  'integrator.method': '--method',
  'linear.method': '--linear',
  'linear.rank': '--rank',
  'linear.gradientWeight': '--gradient-weight',
  'fit.steps': '--fit-steps',
  'fit.batch': '--fit-batch',
  'fit.allowPoorFit': '--allow-poor-fit',
  restarts: '--restarts',
  seed: '--seed',
  dtype: '--dtype',
  device: '--device',
};

/** The flag that sets an option path; a field's gradient weight is set by --gradient-weight. */
function flagOfPath(path: string): string | undefined {
  return FLAG_OF_PATH[path] ?? (path.startsWith('linear.gradientWeight.') ? '--gradient-weight' : undefined);
}

/** `path: message`, with the flag that sets the path when there is one. */
export function describeSpecError(e: SpecError, flagOf: (path: string) => string | undefined): string {
  const flag = flagOf(e.path);
  return flag === undefined ? e.message : `${e.message} (set by ${flag})`;
}

/** The flags behind a refused fit's advice, and the one that evolves anyway. */
function poorFitFlags(e: PoorFitError): string {
  const flags = e.advice.flatMap((a) => {
    const flag = flagOfPath(a.option);
    return flag === undefined ? [] : [`${flag} (${a.option})`];
  });
  return `${flags.length > 0 ? `Flags: ${flags.join(', ')}; ` : ''}--allow-poor-fit evolves from this fit anyway.`;
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function solverOptions(problem: Problem, f: RunFlags): NeuralIVPOptions {
  const network = defined({ width: f.width, depth: f.depth });
  const integrator = defined({ method: f.method, rtol: f.rtol });
  const fit = defined({
    method: f.fitMethod,
    tol: f.fitTol,
    maxSeconds: f.fitSeconds,
    steps: f.fitSteps,
    batch: f.fitBatch,
    allowPoorFit: f.allowPoorFit,
  });
  const sampling = defined({
    count: f.samples,
    sequence: f.sequence,
    importance: f.importance === true ? true : undefined,
  });
  let linear: NeuralIVPOptions['linear'];
  if (f.linear === 'dense') {
    if (f.rank !== undefined)
      throw new UsageError('--rank', 'sets the PCG preconditioner rank; it does not apply to --linear dense');
    linear = defined({ method: 'dense' as const, gradientWeight: f.gradientWeight });
  } else if (f.linear === 'pcg' || f.rank !== undefined || f.gradientWeight !== undefined) {
    linear = defined({ method: 'pcg' as const, rank: f.rank, gradientWeight: f.gradientWeight });
  }
  return defined({
    problem,
    preset: f.preset,
    network: Object.keys(network).length > 0 ? network : undefined,
    // A plain count when only --samples is given (as before the sampling options).
    samples: f.sequence === undefined && f.importance !== true ? f.samples : sampling,
    linear,
    integrator: Object.keys(integrator).length > 0 ? integrator : undefined,
    fit: Object.keys(fit).length > 0 ? fit : undefined,
    restarts: f.restarts,
    dtype: f.dtype,
    device: f.device,
    seed: f.seed,
  });
}

function machineInfo(device: string): ReportRecord {
  let runtime: ReportRecord;
  try {
    const r = runtimeInfo();
    runtime = {
      torchVersion: r.torchVersion,
      cudaAvailable: r.cuda,
      cudaVersion: r.cudaVersion,
      addon: r.addon,
      threads: r.threads,
    };
  } catch (e) {
    runtime = { runtimeError: (e as Error).message };
  }
  const cpus = os.cpus();
  return {
    device,
    ...runtime,
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? null,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    hostname: os.hostname(),
  };
}

const safeName = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '_') || 'problem';

/** Runs `neural-ivp run`; returns the exit status. */
export async function runSolve(problemArg: string, flags: RunFlags, ctx: CliContext): Promise<number> {
  const started = performance.now();
  const writeLine = (line: string): void => ctx.stderr(`${line}\n`);
  let progress: RunProgress = flags.quiet === true ? silentProgress : barProgress(ctx.progressStream, writeLine);

  // Everything up to the solver's constructor is checking: failures are usage errors (exit 2).
  let problem: Problem;
  let source: string;
  try {
    ({ problem, source } = await loadProblem(problemArg, { dim: flags.dim, params: flags.param, cwd: ctx.cwd }));
  } catch (e) {
    if (e instanceof SpecError) {
      // Only a path under a --param that was given names --param (not the problem's own rhs, …).
      const given = flags.param ?? {};
      const flagOf = (p: string): string | undefined => {
        const key = p.split(/[.[]/)[0];
        if (p === 'dim') return '--dim';
        return Object.hasOwn(given, key) ? `--param ${key}=…` : undefined;
      };
      ctx.stderr(`error: ${describeSpecError(e, flagOf)}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
  const T = flags.T;
  const saveAt = flags.saveAt ?? [0, T];
  const late = saveAt.find((t) => t > T);
  if (late !== undefined) throw new UsageError('--save-at', `${late} is after the final time --T ${T}`);
  let ivp: NeuralIVP;
  try {
    ivp = new NeuralIVP(solverOptions(problem, flags), ctx.createSession ? { createSession: ctx.createSession } : {});
  } catch (e) {
    if (e instanceof SpecError) {
      ctx.stderr(`error: ${describeSpecError(e, flagOfPath)}\n`);
      return ExitCode.usage;
    }
    throw e;
  }

  if (flags.maxSeconds !== undefined && ivp.options.distributed !== null) {
    throw new UsageError('--max-seconds', 'is not available in a distributed run (each process has its own clock)');
  }
  // A distributed run: every process computes, rank 0 alone reports and writes.
  const writer = (ivp.options.distributed?.rank ?? 0) === 0;
  if (!writer) progress = silentProgress;
  const out = path.resolve(ctx.cwd, flags.out ?? path.join('neural-ivp-out', safeName(problem.name)));
  if (writer) await prepareOutputDir(out);

  let solution: Solution;
  let warning: string | undefined;
  let stopped: { reason: string; t: number; cause: string } | undefined;
  /** Why a run too slow to reach T was stopped (pace.ts). */
  let slowRun: string | undefined;
  let fit: FitReport;
  let fitSeconds: number;
  let evolveSeconds: number;
  try {
    let t0 = performance.now();
    progress.fitStart(ivp.options.fit);
    fit = await ivp.fit({ signal: ctx.signal, onProgress: (p) => progress.fitUpdate(p) });
    fitSeconds = (performance.now() - t0) / 1000;
    progress.fitDone(fit);

    t0 = performance.now();
    progress.evolveStart(T);
    // A default-preset run without a budget stops once its pace says T is hours away (pace.ts);
    // a distributed run's processes would not agree on it (their clocks differ).
    const limit =
      flags.maxSeconds === undefined && ivp.options.preset === 'default' && ivp.options.distributed === null
        ? DEFAULT_PROJECTED_LIMIT_SECONDS
        : null;
    const pace = new EvolvePace(T);
    const tooSlow = new AbortController();
    const signal = ctx.signal === undefined ? tooSlow.signal : AbortSignal.any([ctx.signal, tooSlow.signal]);
    try {
      solution = await ivp.evolve(T, {
        saveAt,
        signal,
        onProgress: (p) => {
          progress.evolveUpdate(p);
          if (limit === null || slowRun !== undefined) return;
          pace.observe(p);
          const projection = pace.projection();
          if (projection !== null && projection.seconds > limit) {
            slowRun = paceMessage(projection, T, limit);
            tooSlow.abort();
          }
        },
        maxSeconds: flags.maxSeconds,
      });
      progress.evolveDone();
    } catch (e) {
      if (!(e instanceof EvolveError)) throw e;
      progress.stop();
      solution = e.solution;
      warning = `The run stopped early: ${e.message}`;
      stopped = { reason: e.reason, t: e.t, cause: e.rootCause ?? e.message };
      writeLine(`warning: ${warning}`);
    }
    evolveSeconds = (performance.now() - t0) / 1000;
  } catch (e) {
    progress.stop();
    if (e instanceof PoorFitError) {
      ctx.stderr(`error: ${e.message}\n${poorFitFlags(e)}\n`);
      return ExitCode.failure;
    }
    if (slowRun !== undefined && !ctx.signal?.aborted) {
      ctx.stderr(`error: ${slowRun}\n`);
      return ExitCode.failure;
    }
    if (e instanceof AbortError || (e as Error | undefined)?.name === 'AbortError') {
      ctx.stderr('interrupted\n');
      return ExitCode.interrupted;
    }
    throw e;
  }

  if (!writer) return warning === undefined ? ExitCode.ok : ExitCode.failure;
  progress.note('evaluating the solution for the report…');
  const t0 = performance.now();
  const data = await collectReportData(solution, problem, { grid: flags.grid });
  const collectSeconds = (performance.now() - t0) / 1000;
  // An incomplete run never replaces a complete earlier run's files.
  const dir = warning === undefined ? out : await folderForIncompleteRun(out, flags.force === true);
  if (dir !== out) {
    writeLine(
      `warning: ${out} holds a complete earlier run, left as it is; this run's files go to ${dir} (--force overwrites)`,
    );
  }
  const files = {
    solution: path.join(dir, 'solution.json'),
    metrics: path.join(dir, 'metrics.json'),
    report: path.join(dir, 'report.html'),
  };
  await solution.save(files.solution);

  const { problem: _problem, ...options } = ivp.options;
  const machine = machineInfo(ivp.device);
  const timings = {
    fit: fitSeconds,
    evolve: evolveSeconds,
    evaluate: collectSeconds,
    total: (performance.now() - started) / 1000,
  };
  const fitNote = fitWarning(fit);
  const metrics = {
    status: warning === undefined ? 'complete' : 'incomplete',
    ...(warning === undefined ? {} : { warning }),
    // Why an incomplete run stopped: the integrator's reason and the root cause in words.
    ...(stopped === undefined ? {} : { stopped }),
    // Not errors: the run completed (a fit that missed its tolerance, …).
    warnings: fitNote === undefined ? [] : [fitNote],
    problem: { ...data.problem, source },
    T,
    saveAt,
    parameterCount: solution.parameterCount,
    options,
    fit,
    stats: solution.stats,
    saved: data.saved,
    history: solution.history,
    timings,
    machine,
    command: ['neural-ivp', ...ctx.argv],
    files: { solution: 'solution.json', report: 'report.html' },
  };
  await writeFileAtomic(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  const html = renderReport({
    ...data,
    T,
    options: { ...data.options, T, saveAt },
    timings,
    machine,
    warning,
  });
  await writeFileAtomic(files.report, html);

  const last = data.saved.at(-1);
  if (flags.quiet !== true && last !== undefined) {
    const parts = [`t = ${last.t}`];
    if (last.residual !== null) parts.push(`residual ${last.residual.toExponential(2)}`);
    if (last.error !== null) parts.push(`error ${last.error.toExponential(2)}`);
    const s = solution.stats;
    writeLine(
      `${s.steps} steps (${s.rejectedSteps} rejected), ${s.cgIterations} CG iterations, ${s.restarts} restarts; ${parts.join(', ')}`,
    );
  }
  ctx.stdout(`${files.solution}\n${files.metrics}\n${files.report}\n`);
  return warning === undefined ? ExitCode.ok : ExitCode.failure;
}
