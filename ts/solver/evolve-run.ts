/**
 * One `evolve`: the integrator over the native session (Algorithm 1 of the paper's appendix D),
 * with this run's counters, its restart scheduler and the user's callbacks. TypeScript keeps the
 * step-size control and the restart policy; per RK stage one worker call crosses to native code.
 *
 * Calls per step attempt (RK45 without FSAL): seven `stage` calls (the first also draws the
 * attempt's samples), one `finishStep` (y1, the error norm, finiteness) and one `releaseMany`.
 *
 * - Sampling vs FSAL. Algorithm 1 draws new Monte Carlo points every step ("sampling RNG state is
 *   updated outside the RK step but inside the time evolution loop"): all stages of one attempt
 *   share one sample set, so the embedded error estimate compares like with like. FSAL cannot be
 *   kept valid under that: the last stage of an accepted step was evaluated on that step's
 *   samples, and reusing it as the next step's first stage would mix two sample sets inside one
 *   error estimate (the estimate would then measure sampling noise, O(h·noise), not truncation
 *   error). So the integrator runs with `fsal: false`, and new samples are drawn before EVERY
 *   attempt (retries of rejected steps included), as the reference implementation does (it splits
 *   its key after every attempt). Cost: one extra dynamics solve per step (4 instead of 3 for
 *   rk23, 7 instead of 6 for rk45).
 * - `integrator.refine` (k > 0): after each accepted step one `refineStep` call runs k Gauss–Newton
 *   iterations from y1 toward the step's function-space target, and its θ replaces y1.
 * - Restarts (restarts.ts) are checked before each attempt, before the resampling; a restart is
 *   `session.refit(θ, fit options)` and its result replaces θ (the integrator then drops any
 *   reused stage). The next accepted step's history record has `restarted: true`.
 * - Held-out misses. An attempt whose first θ̇ misses f on its held-out points (projection-check.ts)
 *   while matching it on its samples is retried once, with fresh samples and a smaller step: a
 *   Monte Carlo outlier does not repeat. A retry that misses again is kept (the run's held-out
 *   warning reports it), and after `MAX_PERSISTENT_MISSES` such steps no step is retried: the gap
 *   is the network's, not the sample set's.
 * - A run that cannot finish (persistent non-finite θ̇, step size underflow, …) rejects with an
 *   `EvolveError` whose `solution` holds every saved time reached plus the last accepted state.
 */

import { fromNative, innermostCause, OutOfMemoryError } from '../errors';
import {
  AbortError,
  type AcceptedStep,
  type IntegrateResult,
  IntegrationError,
  type IntegrationErrorReason,
  type IntegrationProgress,
  integrate,
  methods,
  type OdeSystem,
  rkc,
  StepFailure,
  type StepRecord,
  type StiffnessFinding,
  stageTerms,
  type VectorOps,
} from '../integrate/index';
import type { FitReport } from './fit-report';
import type { ResolvedOptions } from './options';
import { HeldOutMiss, missesBetweenSamples } from './projection-check';
import { abortError } from './queue';
import { RestartScheduler, refitErrorBound, restartPolicies, wallClock } from './restarts';
import type {
  SolutionConfig,
  SolutionStats,
  SolveSeconds,
  StepCost,
  StepHistoryRecord,
  StepRefinement,
} from './save-format';
import type { FitConfig, FitResult, Handle, NativeSession, StageResult, StepStageInput } from './session';
import { fitConfigFor } from './session-config';
import { type SessionFactory, Solution } from './solution';

/** What `onProgress` receives after every accepted step. */
export interface EvolveProgress {
  /** The time reached. */
  t: number;
  /** The end time `evolve` was asked for. */
  T: number;
  /** Accepted steps so far. */
  step: number;
  /** The step size of the accepted step. */
  h: number;
  /** CG iterations of the step's solves. */
  cgIterations: number;
  /** Restarts so far. */
  restarts: number;
  /** Rejected step attempts so far (error-test rejections and failures). */
  rejectedSteps: number;
  /** The step's relative PDE residual (see `StepHistoryRecord`). */
  residual: number;
  /** Its residual on held-out points (see `StepHistoryRecord.heldOutResidual`); NaN when not measured. */
  heldOutResidual: number;
  /** The accepted step's local error estimate over the tolerance (≤ 1; see `integrator.errorNorm`). */
  errorNorm: number;
  /** h·ρ, the step size times the dynamics' fastest rate (see `StepHistoryRecord.stiffness`); NaN without an estimate. */
  stiffness: number;
  /** On the step that showed the steps held at the stability limit: what was found, and any switch of method. */
  stiff?: StiffnessFinding;
  /** True when a restart (refit) replaced θ before this step. */
  restarted: boolean;
  /** Wall seconds since `evolve` began. */
  seconds: number;
  /** Where the step's time went: seconds by part, per RK stage, and the preconditioners' rank and age. */
  cost: StepCost;
}

/**
 * `evolve` could not reach T. `solution` holds θ at every saved time reached and at the last
 * accepted time `t`; `reason` is the integrator's (`'rejections'`: persistent failures such as a
 * non-finite θ̇; `'stepSize'`; `'maxSteps'`; `'maxSeconds'`: the evolve call's budget ran out;
 * `'stopped'`: its `stop` signal fired; `'error'`: see `cause`).
 */
export class EvolveError extends Error {
  /** θ at every saved time reached, and at `t`. */
  readonly solution: Solution;
  /** Why the integration gave up. */
  readonly reason: IntegrationErrorReason;
  /** The last accepted time. */
  readonly t: number;
  /**
   * What made the run fail, in words — the innermost cause (a refused dense solve, a non-finite
   * θ̇ at t = 0, …), which `message` starts with — or null when a budget ran out (`maxSeconds`,
   * `maxSteps`), the run was stopped (`stop`) or the step size underflowed.
   */
  readonly rootCause: string | null;

  constructor(
    message: string,
    solution: Solution,
    reason: IntegrationErrorReason,
    t: number,
    options?: { cause?: unknown; rootCause?: string | null },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.rootCause = options?.rootCause ?? null;
    this.name = 'EvolveError';
    this.solution = solution;
    this.reason = reason;
    this.t = t;
  }
}

export interface EvolveRunInput {
  session: NativeSession;
  options: ResolvedOptions;
  /** The fitted initial state; borrowed (the run never releases it). */
  theta0: Handle;
  /** Wall seconds of the initial fit (the restart policy's first fit duration). */
  fitSeconds: number;
  /** The initial fit's report, carried into the solution's stats. */
  fit?: FitReport;
  maxRestarts: number;
  T: number;
  saveAt: readonly number[];
  signal: AbortSignal | undefined;
  onProgress: ((p: EvolveProgress) => void) | undefined;
  /** The integration's wall-clock budget in seconds (undefined: none). */
  maxSeconds: number | undefined;
  /** Stops the integration early, keeping what it accepted (`EvolveOptions.stop`). */
  stop: AbortSignal | undefined;
  /** When `evolve` began (its time includes an initial fit it ran). */
  started: number;
  solutionConfig: SolutionConfig;
  makeSession: SessionFactory;
}

/** Steps whose retry missed between samples again, after which held-out misses are not retried. */
const MAX_PERSISTENT_MISSES = 3;

/**
 * NEURAL_IVP_TRACE=stages: one stderr line per dynamics evaluation (its time, CG iterations, the
 * projection residual and where its seconds went), for finding where a slow run spends its time.
 */
const traceStages = (process.env.NEURAL_IVP_TRACE ?? '').split(',').includes('stages');

function stageTraceLine(t: number, r: StageResult): string {
  const parts = Object.entries(r.seconds)
    .filter(([, s]) => s >= 0.0005)
    .map(([name, s]) => `${name} ${s.toFixed(3)}`);
  const heldOut = Number.isNaN(r.heldOutResidual) ? '' : ` heldOut=${r.heldOutResidual.toExponential(2)}`;
  return `neural-ivp: stage t=${t.toPrecision(6)} cg=${r.cgIterations} rank=${r.preconditionerRank} age=${r.preconditionerAge} residual=${r.residual.toExponential(2)}${heldOut} seconds: ${parts.join(', ')}\n`;
}

export class EvolveRun {
  private readonly session: NativeSession;
  private readonly scheduler: RestartScheduler | null;
  private readonly history: StepHistoryRecord[] = [];
  // Totals of the run.
  private dynamicsEvaluations = 0;
  private cgIterations = 0;
  private restarts = 0;
  private rejected = 0;
  private restartPending = false;
  // The current attempt.
  private resamplePending = false;
  private attemptCg = 0;
  private attemptResidual = Number.NaN;
  private attemptHeldOut = Number.NaN;
  private attemptSolves = 0;
  private attempts = 0;
  private attemptStages: StageResult[] = [];
  /** Whether the step in progress was already retried for a held-out miss. */
  private retriedMiss = false;
  private persistentMisses = 0;
  private solveSeconds: SolveSeconds = noSeconds();
  /** The accepted step's refinement, recorded with it (`integrator.refine`). */
  private refinement: StepRefinement | undefined;

  constructor(private readonly input: EvolveRunInput) {
    this.session = input.session;
    const { restarts } = input.options;
    this.scheduler =
      restarts === false
        ? null
        : new RestartScheduler(restartPolicies(restarts), {
            fitSeconds: [input.fitSeconds],
            maxRestarts: input.maxRestarts,
            maxRefitError: refitErrorBound(input.options.fit.tol),
            ...(input.fit === undefined ? {} : { initialFitError: input.fit.relativeError }),
          });
  }

  /** Integrates to T: the Solution, or an `EvolveError` carrying the partial one. */
  async run(): Promise<Solution> {
    const { options, T, signal } = this.input;
    let result: IntegrateResult<Handle>;
    try {
      result = await integrate<Handle>({
        tableau: methods[options.integrator.method],
        ...(options.integrator.stiffSwitch ? { stiffSwitch: rkc } : {}),
        system: this.system(),
        ops: this.ops(),
        y0: this.input.theta0,
        t0: 0,
        T,
        rtol: options.integrator.rtol,
        // The function norm is already relative (to ‖u‖); the parameter norm is relative to ‖θ₀‖.
        ...(options.integrator.errorNorm === 'function' ? { errorScale: options.integrator.rtol } : {}),
        saveAt: this.input.saveAt,
        firstStep: 20 * T * options.integrator.rtol,
        fsal: false,
        signal,
        maxSeconds: this.input.maxSeconds,
        stop: this.input.stop,
        willRepeat: (failure, t) => this.willRepeat(failure, t),
        beforeStep: (t, theta) => this.beforeStep(t, theta),
        ...(options.integrator.refine > 0 ? { afterStep: (step: AcceptedStep<Handle>) => this.refine(step) } : {}),
        onStep: (record) => this.onStep(record),
      });
    } catch (e) {
      if (e instanceof IntegrationError && !signal?.aborted) {
        const progress = e.progress as IntegrationProgress<Handle>;
        throw new EvolveError(evolveErrorMessage(e, T), this.collect(progress, true), e.reason, progress.t, {
          cause: e,
          rootCause: rootCause(e),
        });
      }
      const progress = (e as { progress?: IntegrationProgress<Handle> }).progress;
      if (progress !== undefined && (e instanceof IntegrationError || e instanceof AbortError)) {
        this.session.releaseMany(this.owned(progress));
      }
      if (signal?.aborted) throw abortError(signal);
      throw e;
    }
    return this.collect(result, false);
  }

  private system(): OdeSystem<Handle> {
    const stage = async (t: number, base: Handle, terms: ReadonlyArray<readonly [number, Handle]>) => {
      const resample = this.resamplePending;
      this.resamplePending = false;
      let r: StageResult;
      try {
        r = await this.session.stage(t, base, terms, resample);
      } catch (e) {
        throw fromNative(e);
      }
      this.dynamicsEvaluations++;
      if (traceStages) process.stderr.write(stageTraceLine(t, r));
      this.cgIterations += r.cgIterations;
      this.attemptCg += r.cgIterations;
      if (this.attemptSolves === 0) {
        this.attemptResidual = r.residual;
        this.attemptHeldOut = r.heldOutResidual;
        this.checkHeldOut(r);
      }
      this.attemptSolves++;
      this.scheduler?.observeSolve(r.cgIterations);
      this.attemptStages.push(r);
      this.solveSeconds = addSeconds(this.solveSeconds, r.seconds);
      return { k: r.handle, finite: r.finite };
    };
    // cancel: integrate stops a stage in flight when the evolve's maxSeconds runs out.
    return {
      stage,
      derivative: async (t, theta) => (await stage(t, theta, [])).k,
      cancel: () => this.session.cancel(),
    };
  }

  private ops(): VectorOps<Handle> {
    const s = this.session;
    return {
      combine: (base, terms) => s.combine(base, terms),
      norm: (v) => s.norm(v),
      isFinite: (v) => s.isFinite(v),
      release: (v) => s.release(v),
      releaseMany: (vs) => s.releaseMany(vs),
      finishStep: (y, solution, error) => s.finishStep(y, solution, error, this.input.options.integrator.errorNorm),
    };
  }

  /** Throws `HeldOutMiss` (releasing the stage) for an attempt to retry; see the file's comment. */
  private checkHeldOut(r: StageResult): void {
    if (!missesBetweenSamples(r.residual, r.heldOutResidual)) return;
    if (this.retriedMiss) {
      this.persistentMisses++;
      return;
    }
    if (this.persistentMisses >= MAX_PERSISTENT_MISSES) return;
    this.retriedMiss = true;
    this.session.release(r.handle);
    throw new HeldOutMiss(r.residual, r.heldOutResidual);
  }

  /**
   * A failed attempt that no smaller step can cure: memory that cannot be had, or a first stage
   * that fails on the fitted initial state (θ̇ at t = 0 does not depend on the step size).
   */
  private willRepeat(failure: StepFailure<Handle>, t: number): boolean {
    const cause = innermostCause(failure);
    if (cause instanceof OutOfMemoryError) return true;
    if (cause instanceof HeldOutMiss) return false;
    return failure.stage === 0 && t === 0 && this.history.length === 0 && this.restarts === 0;
  }

  /** Before every attempt: a restart when a policy fires, then new samples for the attempt. */
  private async beforeStep(t: number, theta: Handle): Promise<Handle | undefined> {
    this.attemptCg = 0;
    this.attemptResidual = Number.NaN;
    this.attemptHeldOut = Number.NaN;
    this.attemptSolves = 0;
    this.attemptStages = [];
    let replacement: Handle | undefined;
    const scheduler = this.scheduler;
    const reason = scheduler?.check() ?? null;
    let restart = reason !== null;
    // A sample-parallel run: each process decides alone (accept, h, restarts by CG iterations)
    // and they agree while θ and t do, checked here together with a vote on the wall-clock
    // restart policy, whose clocks differ between processes (a restart when any asks for one).
    this.attempts++;
    if (this.input.options.distributed !== null && this.session.checkReplicated !== undefined) {
      const what = `step attempt ${this.attempts} (t = ${t})`;
      restart = (await this.session.checkReplicated(theta, t, what, restart ? 1 : 0)) > 0;
    }
    if (scheduler !== null && restart) {
      const { options } = this.input;
      const fitStart = scheduler.clock();
      const refitSteps = options.restarts === false ? null : options.restarts.fitSteps;
      const r = await this.session.refit(theta, fitConfigFor(options, refitSteps));
      scheduler.recordFit(scheduler.clock() - fitStart);
      // Only the wall-clock policy can differ between processes, so a restart this process did
      // not ask for came from it. A failed or missed refit counts toward the cap too.
      if (
        scheduler.keepRefit(t, reason ?? 'timeFraction', r.relativeError, r.finite && Number.isFinite(r.relativeError))
      ) {
        replacement = r.theta;
        this.restarts++;
        this.restartPending = true;
      } else {
        this.session.release(r.theta); // a failed or missed refit: keep integrating the current θ
      }
    }
    this.resamplePending = true; // drawn by the attempt's first stage call
    return replacement;
  }

  /**
   * `integrator.refine`: Gauss–Newton from the projected step's θ toward the step's target in
   * function space, u(y) + h·Σ b_i f(t + c_i h, u(θ_i)) with the stage inputs θ_i; its θ replaces
   * y1 when finite.
   */
  private async refine(step: AcceptedStep<Handle>): Promise<Handle | undefined> {
    const { tableau, t, y, h, stages, y1 } = step;
    const inputs: StepStageInput[] = [];
    for (const [i, b] of tableau.b.entries()) {
      if (b === 0) continue;
      inputs.push({ t: t + tableau.c[i] * h, weight: h * b, terms: stageTerms(tableau, i, h, stages) });
    }
    const started = wallClock();
    let r: FitResult;
    try {
      r = await this.session.refineStep(y, inputs, y1, this.refineConfig());
    } catch (e) {
      throw fromNative(e);
    }
    this.refinement = {
      before: r.initialError ?? Number.NaN,
      after: r.relativeError,
      iterations: r.iterations,
      seconds: wallClock() - started,
    };
    if (r.finite) return r.theta;
    this.session.release(r.theta);
    return undefined;
  }

  /** The refinement's fit: the initial fit's settings, Gauss–Newton for `integrator.refine` iterations. */
  private refineConfig(): FitConfig {
    const { options } = this.input;
    return {
      ...fitConfigFor(options),
      method: 'gauss-newton',
      maxIterations: options.integrator.refine,
      tol: 0,
      maxSeconds: 0,
      warmupSteps: 0,
      headTuning: false,
    };
  }

  private onStep(record: StepRecord): void {
    if (!record.accepted) {
      this.rejected++;
      return;
    }
    this.retriedMiss = false;
    const cost = stepCost(this.attemptStages);
    const entry: StepHistoryRecord = {
      t: record.t,
      h: record.h,
      cgIterations: this.attemptCg,
      residual: this.attemptResidual,
      ...(Number.isNaN(this.attemptHeldOut) ? {} : { heldOutResidual: this.attemptHeldOut }),
      ...(record.stiffness === undefined ? {} : { stiffness: record.stiffness }),
      restarted: this.restartPending,
      cost,
      ...(this.refinement === undefined ? {} : { refined: this.refinement }),
    };
    this.restartPending = false;
    this.refinement = undefined;
    this.history.push(entry);
    const { T, saveAt, onProgress } = this.input;
    onProgress?.({
      t: reachedTime(record.t + record.h, saveAt, T),
      T,
      step: this.history.length,
      h: record.h,
      cgIterations: this.attemptCg,
      restarts: this.restarts,
      rejectedSteps: this.rejected,
      residual: this.attemptResidual,
      heldOutResidual: this.attemptHeldOut,
      errorNorm: record.errNorm,
      stiffness: record.stiffness ?? Number.NaN,
      ...(record.stiff === undefined ? {} : { stiff: record.stiff }),
      restarted: entry.restarted,
      seconds: wallClock() - this.input.started,
      cost,
    });
  }

  private stats(progress: IntegrationProgress<Handle>): SolutionStats {
    return {
      steps: progress.stats.steps,
      rejectedSteps: progress.stats.rejectedSteps,
      dynamicsEvaluations: this.dynamicsEvaluations,
      cgIterations: this.cgIterations,
      restarts: this.restarts,
      ...(this.scheduler === null || this.scheduler.events.length === 0
        ? {}
        : { restartLog: this.scheduler.events.slice() }),
      seconds: wallClock() - this.input.started,
      solveSeconds: this.solveSeconds,
      ...(this.input.fit === undefined ? {} : { fit: this.input.fit }),
    };
  }

  /** The handles of `progress` this run owns: everything but θ0. */
  private owned(progress: IntegrationProgress<Handle>): Handle[] {
    const owned = new Set<Handle>([progress.y, ...progress.states]);
    owned.delete(this.input.theta0);
    return [...owned];
  }

  /**
   * The Solution of `progress`: the saved times and, with `withLast`, the last accepted time when
   * it is later. The Solution takes over the handles of its states (θ0, which the NeuralIVP keeps,
   * and any repeat, as aliases) and measures with this session; the rest of `progress` is released.
   */
  private collect(progress: IntegrationProgress<Handle>, withLast: boolean): Solution {
    const session = this.session;
    const times = progress.times.slice();
    const states = progress.states.slice();
    if (withLast && (times.length === 0 || progress.t > times[times.length - 1])) {
      times.push(progress.t);
      states.push(progress.y);
    }
    const handles: Handle[] = [];
    for (const h of states) handles.push(h === this.input.theta0 || handles.includes(h) ? session.alias(h) : h);
    session.releaseMany(this.owned(progress).filter((h) => !handles.includes(h)));
    try {
      const data = {
        config: this.input.solutionConfig,
        times,
        thetas: handles.map((h) => session.read(h)),
        stats: this.stats(progress),
        history: this.history,
      };
      return new Solution(data, this.input.makeSession, { session, handles });
    } catch (e) {
      session.releaseMany(handles);
      throw e;
    }
  }
}

/**
 * What went wrong first, then where the run stopped: the innermost cause of a failed step (a
 * refused dense solve, a non-finite θ̇) leads, so that it is the first thing a user reads.
 */
function evolveErrorMessage(e: IntegrationError, T: number): string {
  const where = `evolve stopped at t = ${Number(e.t.toPrecision(6))} of T = ${T}`;
  const cause = rootCause(e);
  if (cause === null) return `${where} (${e.reason}): ${e.message}`;
  if (!(e.cause instanceof StepFailure)) return `${cause} (${where}: ${e.reason})`;
  const why =
    e.reason === 'rejections' ? e.message.replace(/ \(last: [\s\S]*$/, '') : 'not retried: it would fail again';
  return `${cause} (${where}; ${why})`;
}

/** What made the integration fail, in words (null: a budget ran out or the step size underflowed). */
function rootCause(e: IntegrationError): string | null {
  const failure = e.cause instanceof StepFailure ? e.cause : undefined;
  if (failure === undefined) {
    const root = innermostCause(e);
    return root === e || !(root instanceof Error) ? null : root.message;
  }
  const root = innermostCause(failure);
  if (root !== failure) return root instanceof Error ? root.message : String(root);
  if (failure.reason === 'nonfinite' && failure.stage === 0 && e.t === 0) {
    return (
      'θ̇ is not finite at t = 0 on the fitted initial condition: the right-hand side or its solve gives ' +
      'non-finite values (look for divisions by zero or singular points in the domain)'
    );
  }
  return `${failure.message} (θ̇ or the step is not finite)`;
}

/**
 * The time a step reached: a step that landed on a save time or T reached it exactly (the
 * integrator sets t to the stop itself), while t + h may differ from it in the last bit.
 */
function reachedTime(tPlusH: number, saveAt: readonly number[], T: number): number {
  const tol = 4 * Number.EPSILON * Math.max(1, Math.abs(T));
  if (Math.abs(tPlusH - T) <= tol) return T;
  for (const s of saveAt) if (Math.abs(tPlusH - s) <= tol) return s;
  return tPlusH;
}

function noSeconds(): SolveSeconds {
  return { sampling: 0, jets: 0, plan: 0, linearization: 0, preconditioner: 0, cg: 0, heldOut: 0 };
}

/** a + b by part (b may carry more keys, e.g. a stage's total, which are left out). */
function addSeconds(a: SolveSeconds, b: SolveSeconds): SolveSeconds {
  return {
    sampling: a.sampling + b.sampling,
    jets: a.jets + b.jets,
    plan: a.plan + b.plan,
    linearization: a.linearization + b.linearization,
    preconditioner: a.preconditioner + b.preconditioner,
    cg: a.cg + b.cg,
    heldOut: a.heldOut + b.heldOut,
  };
}

/** An accepted attempt's cost from its stage results. */
function stepCost(stages: readonly StageResult[]): StepCost {
  return {
    ...stages.reduce((sum, r) => addSeconds(sum, r.seconds), noSeconds()),
    stages: stages.map((r) => addSeconds(noSeconds(), r.seconds)),
    preconditionerRank: Math.max(0, ...stages.map((r) => r.preconditionerRank)),
    preconditionerAge: Math.max(0, ...stages.map((r) => r.preconditionerAge)),
  };
}
