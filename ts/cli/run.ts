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
import type { ReportData, ReportRecord } from '../report/types';
import { runtimeInfo } from '../runtime';
import { PoorFitError } from '../solver/fit-guard';
import type { FitReport } from '../solver/fit-report';
import { givenMargin, marginFor } from '../solver/inflow';
import {
  checkEvolveBudget,
  EvolveError,
  type EvolveProgress,
  NeuralIVP,
  type NeuralIVPWarning,
} from '../solver/neural-ivp';
import { FIT, flagsOfPaths, INTEGRATOR, LINEAR, NETWORK, type OptionTable, SAMPLES, TOP } from '../solver/option-table';
import { type IntegratorMethod, type NeuralIVPOptions, resolveOptions } from '../solver/options';
import { heldOutWarning } from '../solver/projection-check';
import { writeFileAtomic } from '../solver/save-format';
import type { SessionFactory, Solution } from '../solver/solution';
import type { ParamValue } from './args';
import { ExitCode, interruptedExit, interruptedText, UsageError } from './errors';
import { loadProblem, paramKeyOfPath } from './load-problem';
import { folderForIncompleteRun, prepareOutputDir, RUN_FILES } from './output-dir';
import { DEFAULT_PROJECTED_LIMIT_SECONDS, EvolvePace, paceMessage } from './pace';
import { barProgress, type RunProgress, silentProgress } from './progress';

/** The parsed flags of `run` (undefined: the library default). */
export interface RunFlags {
  T: number;
  preset?: 'default' | 'paper';
  samples?: number;
  heldOut?: number;
  sequence?: 'sobol' | 'uniform';
  importance?: boolean;
  out?: string;
  width?: number;
  depth?: number;
  rtol?: number;
  method?: IntegratorMethod;
  refine?: number;
  linear?: 'pcg' | 'dense';
  rank?: number;
  gradientWeight?: number | Record<string, number>;
  gradientDirections?: 'axes' | 'sampled';
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

/** The option paths of `SpecError`s and the flags that set them (the tables' flags, and the sections'). */
const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  ...flagsOfPaths(),
  preset: '--preset',
  samples: '--samples',
  restarts: '--restarts',
};

/**
 * The flag that sets an option path; a field's gradient weight is set by --gradient-weight, and
 * the fit's iteration cap by --fit-steps (which sets `fit.maxIterations` with `fit.steps`).
 */
function flagOfPath(path: string): string | undefined {
  if (path === 'fit.maxIterations') return '--fit-steps';
  return FLAG_OF_PATH[path] ?? (path.startsWith('linear.gradientWeight.') ? '--gradient-weight' : undefined);
}

/** `path: message`, with the flag that sets the path when there is one. */
export function describeSpecError(e: SpecError, flagOf: (path: string) => string | undefined): string {
  const flag = flagOf(e.path);
  return flag === undefined ? e.message : `${e.message} (set by ${flag})`;
}

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The flags behind a refused fit's advice, and the one that evolves anyway. */
function poorFitFlags(e: PoorFitError): string {
  const flags = e.advice.flatMap((a) => {
    const flag = flagOfPath(a.option);
    return flag === undefined ? [] : [`${flag} (${a.option})`];
  });
  return `${flags.length > 0 ? `Flags: ${flags.join(', ')}; ` : ''}--allow-poor-fit evolves from this fit anyway.`;
}

const nonEmpty = (o: Record<string, unknown>) => (Object.keys(o).length > 0 ? o : undefined);

/** The options a table's flags set: each option whose flag was given (commander names it in camelCase). */
function flagged(table: OptionTable, f: RunFlags): Record<string, unknown> {
  const given = f as unknown as Readonly<Record<string, unknown>>;
  const camel = (flag: string) => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return defined(
    Object.fromEntries(
      Object.entries(table).flatMap(([key, spec]) => (spec.flag === undefined ? [] : [[key, given[camel(spec.flag)]]])),
    ),
  );
}

export function solverOptions(problem: Problem, f: RunFlags): NeuralIVPOptions {
  const network = flagged(NETWORK, f);
  const integrator = flagged(INTEGRATOR, f);
  const fit = flagged(FIT, f);
  // --fit-steps is the fit's iteration cap, as its help says: above the method's default
  // `maxIterations` too, which `fit.steps` alone only lowers.
  if (f.fitSteps !== undefined && f.fitSteps >= 1) fit.maxIterations = f.fitSteps;
  const sampling = flagged(SAMPLES, f);
  const linear = flagged(LINEAR, f);
  if (linear.method === 'dense' && linear.rank !== undefined) {
    throw new UsageError('--rank', 'sets the PCG preconditioner rank; it does not apply to --linear dense');
  }
  return defined({
    problem,
    preset: f.preset,
    network: nonEmpty(network),
    // A plain count when only --samples is given (as before the sampling options).
    samples: f.sequence === undefined && f.heldOut === undefined && f.importance !== true ? f.samples : sampling,
    linear: nonEmpty(linear),
    integrator: nonEmpty(integrator),
    fit: nonEmpty(fit),
    restarts: f.restarts,
    ...flagged(TOP, f),
  }) as NeuralIVPOptions;
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
  const setup = await prepare(problemArg, flags, ctx);
  if (typeof setup === 'number') return setup;
  const { ivp } = setup;
  // A distributed run: every process computes, rank 0 alone reports and writes.
  const writer = (ivp.options.distributed?.rank ?? 0) === 0;
  const progress = flags.quiet === true || !writer ? silentProgress : barProgress(ctx.progressStream, writeLine);
  const out = path.resolve(ctx.cwd, flags.out ?? path.join('neural-ivp-out', safeName(setup.problem.name)));
  if (writer) await prepareOutputDir(out, flags.force === true);
  const run = await fitAndEvolve(setup, flags, ctx, progress);
  if (typeof run === 'number') return run;
  if (!writer) return run.exitCode ?? (run.warning === undefined ? ExitCode.ok : ExitCode.failure);
  return writeRun(setup, run, { flags, ctx, progress, out, started });
}

/** The checked problem and solver; failures are usage errors (exit 2). */
interface Setup {
  problem: Problem;
  /** Where the problem came from (a name or a module path). */
  source: string;
  ivp: NeuralIVP;
  saveAt: number[];
  /**
   * Every warning the solver gave, in order: for the progress lines (not process warnings),
   * metrics.json, the report and the pace's advice.
   */
  said: NeuralIVPWarning[];
}

/** Everything up to the solver's constructor is checking: a failure is a usage error (exit 2). */
async function prepare(problemArg: string, flags: RunFlags, ctx: CliContext): Promise<Setup | number> {
  let problem: Problem;
  let source: string;
  try {
    ({ problem, source } = await loadProblem(problemArg, { dim: flags.dim, params: flags.param, cwd: ctx.cwd }));
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    // Only a path under a --param that was given names --param (not the problem's own rhs, …);
    // dim comes from --dim or from --param dim=… (never both: that is refused first).
    const given = flags.param ?? {};
    const flagOf = (p: string): string | undefined => {
      const key = paramKeyOfPath(p);
      if (Object.hasOwn(given, key)) return `--param ${key}=…`;
      return p === 'dim' ? '--dim' : undefined;
    };
    ctx.stderr(`error: ${describeSpecError(e, flagOf)}\n`);
    return ExitCode.usage;
  }
  const T = flags.T;
  const saveAt = flags.saveAt ?? [0, T];
  const late = saveAt.find((t) => t > T);
  if (late !== undefined) throw new UsageError('--save-at', `${late} is after the final time --T ${T}`);
  let ivp: NeuralIVP;
  const said: NeuralIVPWarning[] = [];
  const warn = (w: NeuralIVPWarning): void => {
    said.push(w);
  };
  try {
    const options = solverOptions(problem, flags);
    // T is known before the fit: the margin covers what flows into the domain by then.
    const resolved = resolveOptions(options);
    const margin = givenMargin(marginFor(resolved, T));
    ivp = new NeuralIVP(margin > resolved.margin ? { ...options, margin } : options, {
      warn,
      ...(ctx.createSession ? { createSession: ctx.createSession } : {}),
    });
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    ctx.stderr(`error: ${describeSpecError(e, flagOfPath)}\n`);
    return ExitCode.usage;
  }
  // Judged before the fit runs, by the check `evolve` applies.
  try {
    checkEvolveBudget(flags.maxSeconds, ivp.options.distributed !== null);
  } catch (e) {
    throw new UsageError('--max-seconds', (e as Error).message);
  }
  return { problem, source, ivp, saveAt, said };
}

/** What the fit and the integration gave: a solution, complete or (with a warning) partial. */
interface RunResult {
  solution: Solution;
  fit: FitReport;
  fitSeconds: number;
  evolveSeconds: number;
  /** Set when the integration stopped early. */
  warning?: string;
  /** Why it stopped: the integrator's reason and the root cause in words. */
  stopped?: { reason: string; t: number; cause: string };
  /** The exit status once its files are written (default: 0 complete, 1 stopped early). */
  exitCode?: number;
}

/** Stops a run whose pace puts T too far away: the stop signal evolve gets, and why it fired. */
interface PaceGuard {
  readonly signal: AbortSignal | undefined;
  observe(p: EvolveProgress): void;
  /** The message, once the run was stopped for its pace. */
  readonly stopped: string | undefined;
}

/**
 * A default-preset run without `--max-seconds` stops once its pace says T is hours away (pace.ts);
 * a distributed run's processes would not agree on it (their clocks differ).
 */
function paceGuard(
  ivp: NeuralIVP,
  flags: RunFlags,
  signal: AbortSignal | undefined,
  said: readonly NeuralIVPWarning[],
): PaceGuard {
  const limit =
    flags.maxSeconds === undefined && ivp.options.preset === 'default' && ivp.options.distributed === null
      ? DEFAULT_PROJECTED_LIMIT_SECONDS
      : null;
  if (limit === null) return { signal, observe: () => {}, stopped: undefined };
  const pace = new EvolvePace(flags.T);
  const tooSlow = new AbortController();
  const guard = {
    signal: signal === undefined ? tooSlow.signal : AbortSignal.any([signal, tooSlow.signal]),
    stopped: undefined as string | undefined,
    observe(p: EvolveProgress) {
      if (guard.stopped !== undefined) return;
      pace.observe(p);
      const projection = pace.projection();
      if (projection !== null && projection.seconds > limit) {
        guard.stopped = paceMessage(projection, flags.T, limit, {
          collapsed: said.some((w) => w.code === 'NIVP_STEP_COLLAPSE'),
        });
        tooSlow.abort(new Error(guard.stopped));
      }
    },
  };
  return guard;
}

/** Fits, then evolves to T with progress; an interrupted run is its exit status. */
async function fitAndEvolve(
  { ivp, saveAt, said }: Setup,
  flags: RunFlags,
  ctx: CliContext,
  progress: RunProgress,
): Promise<RunResult | number> {
  const pace = paceGuard(ivp, flags, ctx.signal, said);
  // The solver's warnings not yet shown, as they come (those said before the fit with its first
  // iteration); the fit's own was said with the fit's summary.
  let shown = 0;
  const showWarnings = (): void => {
    for (const w of said.slice(shown)) if (w.code !== 'NIVP_FIT_TOLERANCE') progress.note(`warning: ${w.message}`);
    shown = said.length;
  };
  try {
    let t0 = performance.now();
    progress.fitStart(ivp.options.fit);
    const fit = await ivp.fit({
      signal: ctx.signal,
      onProgress: (p) => {
        showWarnings();
        progress.fitUpdate(p);
      },
    });
    const fitSeconds = (performance.now() - t0) / 1000;
    progress.fitDone(fit);

    t0 = performance.now();
    progress.evolveStart(flags.T);
    // A stopped run keeps its accepted steps; a distributed one aborts (its processes would stop
    // at different steps).
    const halt = ivp.options.distributed === null ? { stop: pace.signal } : { signal: pace.signal };
    const options = {
      saveAt,
      ...halt,
      onProgress: (p: EvolveProgress) => {
        progress.evolveUpdate(p);
        pace.observe(p);
        showWarnings();
      },
      maxSeconds: flags.maxSeconds,
    };
    try {
      const solution = await ivp.evolve(flags.T, options);
      progress.evolveDone();
      return { solution, fit, fitSeconds, evolveSeconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      if (!(e instanceof EvolveError)) throw e;
      progress.stop();
      const interrupted = ctx.signal?.aborted === true;
      // A stop names who asked: the user's signal or the pace guard.
      const why =
        e.reason !== 'stopped'
          ? e.message
          : `${interrupted ? interruptedText(ctx.signal) : pace.stopped} (evolve stopped at t = ${Number(e.t.toPrecision(6))} of T = ${flags.T})`;
      const warning = `The run stopped early: ${why}`;
      ctx.stderr(`warning: ${warning}\n`);
      if (interrupted) ctx.stderr('writing the steps accepted so far (a second signal quits without them)\n');
      const stopped = { reason: e.reason, t: e.t, cause: e.rootCause ?? why };
      return {
        solution: e.solution,
        fit,
        fitSeconds,
        evolveSeconds: (performance.now() - t0) / 1000,
        warning,
        stopped,
        ...(interrupted ? { exitCode: interruptedExit(ctx.signal) } : {}),
      };
    }
  } catch (e) {
    progress.stop();
    if (e instanceof PoorFitError) {
      ctx.stderr(`error: ${e.message}\n${poorFitFlags(e)}\n`);
      return ExitCode.failure;
    }
    if (e instanceof AbortError || (e as Error | undefined)?.name === 'AbortError') {
      // Before the first step (the fit) or in a distributed run: nothing to keep.
      ctx.stderr(`${interruptedText(ctx.signal)}\n`);
      return interruptedExit(ctx.signal);
    }
    throw e;
  }
}

/** Writes solution.json, metrics.json and report.html, prints the summary and the paths. */
async function writeRun(
  setup: Setup,
  run: RunResult,
  env: { flags: RunFlags; ctx: CliContext; progress: RunProgress; out: string; started: number },
): Promise<number> {
  const { flags, ctx, progress, out } = env;
  const { solution, warning } = run;
  progress.note('evaluating the solution for the report…');
  const t0 = performance.now();
  const data = await collectReportData(solution, setup.problem, { grid: flags.grid });
  const collectSeconds = (performance.now() - t0) / 1000;
  // An incomplete run never replaces a complete earlier run's files.
  const dir = warning === undefined ? out : await folderForIncompleteRun(out, flags.force === true);
  if (dir !== out) {
    ctx.stderr(
      `warning: ${out} holds a complete earlier run, left as it is; this run's files go to ${dir} (--force overwrites)\n`,
    );
  }
  const files = {
    solution: path.join(dir, RUN_FILES.solution),
    metrics: path.join(dir, RUN_FILES.metrics),
    report: path.join(dir, RUN_FILES.report),
  };
  await solution.save(files.solution, { overwrite: flags.force === true });
  const machine = machineInfo(setup.ivp.device);
  const timings = {
    fit: run.fitSeconds,
    evolve: run.evolveSeconds,
    evaluate: collectSeconds,
    total: (performance.now() - env.started) / 1000,
  };
  // The solution's warnings, then the others the solver said: for metrics.json and the report.
  const warnings = runWarnings(data, setup.said);
  const metrics = metricsRecord(setup, run, data, { T: flags.T, timings, machine, argv: ctx.argv, warnings });
  await writeFileAtomic(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  const T = flags.T;
  const html = renderReport({
    ...data,
    warnings,
    T,
    options: { ...data.options, T, saveAt: setup.saveAt },
    timings,
    machine,
    warning,
  });
  await writeFileAtomic(files.report, html);
  if (flags.quiet !== true) summary(solution, data, ctx);
  ctx.stdout(`${files.solution}\n${files.metrics}\n${files.report}\n`);
  return run.exitCode ?? (warning === undefined ? ExitCode.ok : ExitCode.failure);
}

/** What the solution itself tells (a loaded one too): the fit's warning and the held-out gap's. */
const READ_FROM_SOLUTION: ReadonlySet<NeuralIVPWarning['code']> = new Set(['NIVP_FIT_TOLERANCE', 'NIVP_HELD_OUT_GAP']);

/** The run's warnings for metrics.json and the report: the solution's, then the others the solver said. */
function runWarnings(data: ReportData, said: readonly NeuralIVPWarning[]): string[] {
  const others = said.filter((w) => !READ_FROM_SOLUTION.has(w.code)).map((w) => w.message);
  return [...(data.warnings ?? []), ...others];
}

/** metrics.json: the run's status, problem, options, stats, saved measurements, timings and machine. */
function metricsRecord(
  setup: Setup,
  run: RunResult,
  data: ReportData,
  extra: {
    T: number;
    timings: Record<string, number>;
    machine: ReportRecord;
    argv: readonly string[];
    warnings: readonly string[];
  },
): Record<string, unknown> {
  const { solution, warning, stopped, fit } = run;
  const { problem: _problem, ...options } = setup.ivp.options;
  const { warnings } = extra;
  return {
    status: warning === undefined ? 'complete' : 'incomplete',
    ...(warning === undefined ? {} : { warning }),
    // Why an incomplete run stopped: the integrator's reason and the root cause in words.
    ...(stopped === undefined ? {} : { stopped }),
    // Not errors: the run completed (a fit that missed its tolerance, …).
    warnings,
    problem: { ...data.problem, source: setup.source },
    T: extra.T,
    saveAt: setup.saveAt,
    parameterCount: solution.parameterCount,
    options,
    fit,
    stats: solution.stats,
    saved: data.saved,
    history: solution.history,
    timings: extra.timings,
    machine: extra.machine,
    command: ['neural-ivp', ...extra.argv],
    files: { solution: 'solution.json', report: 'report.html' },
  };
}

/** The last saved time's residual and error, and the run's counts, on stderr. */
function summary(solution: Solution, data: ReportData, ctx: CliContext): void {
  const last = data.saved.at(-1);
  if (last === undefined) return;
  const parts = [`t = ${last.t}`];
  if (last.residual !== null) parts.push(`residual ${last.residual.toExponential(2)}`);
  if (last.error !== null) parts.push(`error ${last.error.toExponential(2)}`);
  const s = solution.stats;
  ctx.stderr(
    `${s.steps} steps (${s.rejectedSteps} rejected), ${s.cgIterations} CG iterations, ${s.restarts} restarts; ${parts.join(', ')}\n`,
  );
  const heldOut = heldOutWarning(solution.history);
  if (heldOut !== undefined) ctx.stderr(`warning: ${heldOut}\n`);
}
