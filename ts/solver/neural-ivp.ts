/**
 * `NeuralIVP` (API.md §2): fits θ0 to the initial condition, then integrates M(θ)θ̇ = F(θ) with an
 * adaptive explicit RK method (Algorithm 1 of the paper's appendix D). θ, the RK stages and the
 * samples live in a native session; this file holds only handles and scalars.
 *
 * Design decisions:
 * - Sampling vs FSAL. Algorithm 1 draws new Monte Carlo points every step ("sampling RNG state is
 *   updated outside the RK step but inside the time evolution loop"): all stages of one attempt
 *   share one sample set, so the embedded error estimate compares like with like. FSAL cannot be
 *   kept valid under that: the last stage of an accepted step was evaluated on that step's
 *   samples, and reusing it as the next step's first stage would mix two sample sets inside one
 *   error estimate (the estimate would then measure sampling noise, O(h·noise), not truncation
 *   error). So the integrator runs with `fsal: false` and `session.resample()` is called in
 *   `beforeStep`, before EVERY attempt (retries of rejected steps included), as the reference
 *   implementation does (it splits its key after every attempt). Cost: one extra dynamics solve
 *   per step (4 instead of 3 for rk23, 7 instead of 6 for rk45).
 * - Restarts: see restarts.ts. They are checked in `beforeStep`, before the resampling; a restart
 *   is `session.refit(θ, fit options)` and its result replaces θ (the integrator then drops any
 *   reused stage). The next accepted step's history record has `restarted: true`.
 * - Every `evolve` starts from the fitted θ0 at t = 0 (θ0's handle is never released by an
 *   evolve); the session's sample stream continues, so a second `evolve` on one instance draws
 *   different samples than the first (two instances with the same seed agree bit for bit).
 * - Abort: `signal` rejects the returned promise at once with an `AbortError` and calls
 *   `session.cancel()` so native loops stop; the work winds down in the background, and any later
 *   call on the instance waits for it (calls on one instance run one at a time).
 * - A run that cannot finish (persistent non-finite θ̇, step size underflow, …) rejects with an
 *   `EvolveError` whose `solution` holds every saved time reached plus the last accepted state.
 */
import { SpecError } from '../errors';
import {
  AbortError,
  type IntegrateResult,
  IntegrationError,
  type IntegrationErrorReason,
  type IntegrationProgress,
  integrate,
  type OdeSystem,
  type StepRecord,
  tableaus,
  type VectorOps,
} from '../integrate/index';
import type { NativeNetworkConfig } from '../native';
import type { Problem } from '../problem/define';
import { mulberry32 } from '../util/random';
import { createSession, cudaAvailable, type SolverSession } from './native-session';
import { DEFAULT_OPTIONS, type NeuralIVPInput, type ResolvedOptions, resolveOptions } from './options';
import { DEFAULT_MAX_RESTARTS, RestartScheduler, restartPolicies, wallClock } from './restarts';
import type { SolutionConfig, SolutionStats, StepHistoryRecord, StoredOptions } from './save-format';
import type { FitConfig, FitProgress, Handle, SessionConfig } from './session';
import { type SessionFactory, Solution } from './solution';

export interface FitCallOptions {
  /** Aborts the fit: the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** Adam progress, as the native fit reports it. */
  onProgress?: (progress: FitProgress) => void;
}

export interface FitReport {
  /** Relative L2 error of the fit on fresh points. */
  relativeError: number;
  seconds: number;
}

/** What `onProgress` receives after every accepted step. */
export interface EvolveProgress {
  /** The time reached. */
  t: number;
  T: number;
  /** Accepted steps so far. */
  step: number;
  /** The step size of the accepted step. */
  h: number;
  /** CG iterations of the step's solves. */
  cgIterations: number;
  /** Restarts so far. */
  restarts: number;
  rejectedSteps: number;
  /** The step's relative PDE residual (see `StepHistoryRecord`). */
  residual: number;
  restarted: boolean;
  /** Wall seconds since `evolve` began. */
  seconds: number;
}

export interface EvolveOptions {
  /** Strictly increasing times in [0, T] to save θ at (default [0, T]). */
  saveAt?: readonly number[];
  signal?: AbortSignal;
  onProgress?: (progress: EvolveProgress) => void;
}

/**
 * `evolve` could not reach T. `solution` holds θ at every saved time reached and at the last
 * accepted time `t`; `reason` is the integrator's (`'rejections'`: persistent failures such as a
 * non-finite θ̇; `'stepSize'`; `'maxSteps'`; `'error'`: see `cause`).
 */
export class EvolveError extends Error {
  readonly solution: Solution;
  readonly reason: IntegrationErrorReason;
  /** The last accepted time. */
  readonly t: number;

  constructor(
    message: string,
    solution: Solution,
    reason: IntegrationErrorReason,
    t: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EvolveError';
    this.solution = solution;
    this.reason = reason;
    this.t = t;
  }
}

/** Replaceable internals (tests, custom backends). */
export interface NeuralIVPHooks {
  /** Makes the native session (default `createSession`); solutions use it too. */
  createSession?: SessionFactory;
  /** Cap on restarts per `evolve` (default 10, the paper's). */
  maxRestarts?: number;
}

export class NeuralIVP {
  /** The validated options, every default filled in (deeply frozen). */
  readonly options: ResolvedOptions;
  private readonly makeSession: SessionFactory;
  private readonly maxRestarts: number;
  private session: SolverSession | undefined;
  private sessionConfig: SessionConfig | undefined;
  private resolvedDevice: 'cpu' | 'cuda' | undefined;
  private theta0: Handle | undefined;
  private fitSeconds = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** Validates the options (a `SpecError` for bad ones) before any native work. */
  constructor(input: NeuralIVPInput, hooks: NeuralIVPHooks = {}) {
    this.options = resolveOptions(input);
    this.makeSession = hooks.createSession ?? createSession;
    this.maxRestarts = hooks.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    if (!(Number.isInteger(this.maxRestarts) && this.maxRestarts >= 0)) {
      throw new RangeError(`maxRestarts must be a non-negative integer, got ${this.maxRestarts}`);
    }
    if (this.options.device === 'cuda') {
      if (!cudaAvailable()) throw new SpecError('device', "'cuda' was requested but CUDA is not available here");
      this.resolvedDevice = 'cuda';
    } else if (this.options.device === 'cpu') {
      this.resolvedDevice = 'cpu';
    }
  }

  get problem(): Problem {
    return this.options.problem;
  }

  /** 'cuda' when chosen (or 'auto') and available, else 'cpu'. */
  get device(): 'cpu' | 'cuda' {
    if (this.resolvedDevice === undefined) this.resolvedDevice = cudaAvailable() ? 'cuda' : 'cpu';
    return this.resolvedDevice;
  }

  /** p, the number of network parameters (opens the native session). */
  get parameterCount(): number {
    return this.getSession().parameterCount;
  }

  /** Fits θ0 to the initial condition (again, when called again). */
  fit(options: FitCallOptions = {}): Promise<FitReport> {
    return this.exclusive(options.signal, (signal) => this.fitNow(signal, options.onProgress));
  }

  /** Integrates from the fitted θ0 at t = 0 to T (fitting first when `fit` has not run). */
  evolve(T: number, options: EvolveOptions = {}): Promise<Solution> {
    let saveAt: number[];
    try {
      if (typeof T !== 'number' || !Number.isFinite(T) || !(T > 0)) {
        throw new RangeError(`evolve: T must be a positive finite number, got ${String(T)}`);
      }
      saveAt = checkSaveAt(options.saveAt, T);
      if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
        throw new TypeError('evolve: onProgress must be a function');
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.exclusive(options.signal, (signal) => this.evolveNow(T, saveAt, signal, options.onProgress));
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Runs `work` after every earlier call on this instance has settled. With a signal, the returned
   * promise rejects with an AbortError as soon as it fires (and `session.cancel()` is called);
   * `work` then winds down in the background, and later calls wait for it.
   */
  private exclusive<T>(
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let running = false;
    const task = this.queue.then(async () => {
      if (signal?.aborted) throw abortError(signal);
      running = true;
      try {
        return await work(signal);
      } finally {
        running = false;
      }
    });
    this.queue = task.catch(() => undefined);
    if (signal === undefined) return task;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        // Stop this call's native loops only (an earlier call may still be running).
        if (running) this.session?.cancel();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private getSession(): SolverSession {
    if (this.session === undefined) {
      const config = this.buildSessionConfig();
      this.session = this.makeSession(config);
      this.sessionConfig = config;
    }
    return this.session;
  }

  private buildSessionConfig(): SessionConfig {
    const o = this.options;
    const problem = o.problem;
    const network: NativeNetworkConfig = {
      dim: problem.dim,
      fields: problem.fields.length,
      width: o.network.width,
      depth: o.network.depth,
      activation: o.network.activation,
      embedding: o.network.embedding,
      frequencies: o.network.frequencies,
      decay: o.network.decay,
      embeddingScale: o.network.embeddingScale,
      dirichlet: problem.boundary === 'dirichlet',
      lower: [...problem.lower],
      upper: [...problem.upper],
      dtype: o.dtype,
      device: this.device,
      memoryBudget: o.memoryBudget,
    };
    const pcg = DEFAULT_OPTIONS.linear;
    const linear =
      o.linear.method === 'pcg'
        ? { ...o.linear }
        : {
            method: 'dense' as const,
            tol: pcg.tol,
            maxIters: pcg.maxIters,
            rank: pcg.rank,
            mu: o.linear.mu,
            mixedPrecision: false,
            reusePreconditioner: false,
          };
    return { network, plan: problem.plan, samples: o.samples, linear, seed: o.seed, memoryBudget: o.memoryBudget };
  }

  private fitConfig(): FitConfig {
    const f = this.options.fit;
    return { steps: f.steps, lr: f.lr, batch: f.batch, headTuning: f.headTuning, headSamples: f.headSamples };
  }

  private async fitNow(signal: AbortSignal | undefined, onProgress?: (p: FitProgress) => void): Promise<FitReport> {
    const session = this.getSession();
    const problem = this.options.problem;
    const config = this.fitConfig();
    let pool: { points: Float64Array; values: Float64Array } | null = null;
    if (problem.initialValues !== undefined) {
      const n = Math.max(config.batch * 4, config.headSamples);
      const points = uniformPoints(n, problem.lower, problem.upper, this.options.seed);
      pool = { points, values: problem.initialValues(points, n) };
    }
    const started = wallClock();
    const result = await session.fitInitial(config, pool, onProgress);
    if (signal?.aborted) {
      session.release(result.theta);
      throw abortError(signal);
    }
    if (this.theta0 !== undefined) session.release(this.theta0);
    this.theta0 = result.theta;
    this.fitSeconds = wallClock() - started;
    return { relativeError: result.relativeError, seconds: result.seconds };
  }

  private async evolveNow(
    T: number,
    saveAt: number[],
    signal: AbortSignal | undefined,
    onProgress: ((p: EvolveProgress) => void) | undefined,
  ): Promise<Solution> {
    const started = wallClock();
    const session = this.getSession();
    if (this.theta0 === undefined) await this.fitNow(signal);
    const theta0 = this.theta0 as Handle;
    const o = this.options;
    const fitConfig = this.fitConfig();
    const refitSteps = this.options.restarts === false ? null : this.options.restarts.fitSteps;
    const refitConfig = refitSteps === null ? fitConfig : { ...fitConfig, steps: refitSteps };
    const scheduler =
      o.restarts === false
        ? null
        : new RestartScheduler(restartPolicies(o.restarts), {
            fitSeconds: [this.fitSeconds],
            maxRestarts: this.maxRestarts,
          });

    const history: StepHistoryRecord[] = [];
    let dynamicsEvaluations = 0;
    let cgTotal = 0;
    let restarts = 0;
    let rejected = 0;
    let restartPending = false;
    // The current attempt's solves.
    let attemptCg = 0;
    let attemptResidual = Number.NaN;
    let attemptSolves = 0;

    const ops: VectorOps<Handle> = {
      combine: (base, terms) => session.combine(base, terms),
      norm: (v) => session.norm(v),
      isFinite: (v) => session.isFinite(v),
      release: (v) => session.release(v),
    };
    const system: OdeSystem<Handle> = {
      async derivative(t: number, theta: Handle): Promise<Handle> {
        const r = await session.dynamics(theta, t);
        dynamicsEvaluations++;
        cgTotal += r.cgIterations;
        attemptCg += r.cgIterations;
        if (attemptSolves === 0) attemptResidual = r.residual;
        attemptSolves++;
        scheduler?.observeSolve(r.cgIterations);
        return r.handle;
      },
    };
    const beforeStep = async (_t: number, theta: Handle): Promise<Handle | undefined> => {
      attemptCg = 0;
      attemptResidual = Number.NaN;
      attemptSolves = 0;
      let replacement: Handle | undefined;
      if (scheduler !== null && scheduler.check() !== null) {
        const fitStart = scheduler.clock();
        const r = await session.refit(theta, refitConfig);
        scheduler.recordFit(scheduler.clock() - fitStart);
        scheduler.markRestart(); // a failed refit counts toward the cap too
        if (Number.isFinite(r.relativeError) && (await session.isFinite(r.theta))) {
          replacement = r.theta;
          restarts++;
          restartPending = true;
        } else {
          session.release(r.theta); // a failed refit: keep integrating the current θ
        }
      }
      session.resample();
      return replacement;
    };
    const onStep = (record: StepRecord): void => {
      if (!record.accepted) {
        rejected++;
        return;
      }
      const entry: StepHistoryRecord = {
        t: record.t,
        h: record.h,
        cgIterations: attemptCg,
        residual: attemptResidual,
        restarted: restartPending,
      };
      restartPending = false;
      history.push(entry);
      onProgress?.({
        t: reachedTime(record.t + record.h, saveAt, T),
        T,
        step: history.length,
        h: record.h,
        cgIterations: attemptCg,
        restarts,
        rejectedSteps: rejected,
        residual: attemptResidual,
        restarted: entry.restarted,
        seconds: wallClock() - started,
      });
    };

    const stats = (progress: IntegrationProgress<Handle>): SolutionStats => ({
      steps: progress.stats.steps,
      rejectedSteps: progress.stats.rejectedSteps,
      dynamicsEvaluations,
      cgIterations: cgTotal,
      restarts,
      seconds: wallClock() - started,
    });

    let result: IntegrateResult<Handle>;
    try {
      result = await integrate<Handle>({
        tableau: tableaus[o.integrator.method],
        system,
        ops,
        y0: theta0,
        t0: 0,
        T,
        rtol: o.integrator.rtol,
        saveAt,
        firstStep: 20 * T * o.integrator.rtol,
        fsal: false,
        signal,
        beforeStep,
        onStep,
      });
    } catch (e) {
      if (e instanceof IntegrationError && !signal?.aborted) {
        const progress = e.progress as IntegrationProgress<Handle>;
        const solution = this.collect(progress, true, stats(progress), history);
        throw new EvolveError(
          `evolve stopped at t = ${progress.t} of T = ${T} (${e.reason}): ${e.message}`,
          solution,
          e.reason,
          progress.t,
          { cause: e },
        );
      }
      const progress = (e as { progress?: IntegrationProgress<Handle> }).progress;
      if (progress !== undefined && (e instanceof IntegrationError || e instanceof AbortError)) {
        this.releaseProgress(progress);
      }
      if (signal?.aborted) throw abortError(signal);
      throw e;
    }
    return this.collect(result, false, stats(result), history);
  }

  /**
   * Copies θ at the saved times (and, with `withLast`, at the last accepted time when it is later)
   * out of the session, releases every handle of `progress` but θ0, and builds the Solution.
   */
  private collect(
    progress: IntegrationProgress<Handle>,
    withLast: boolean,
    stats: SolutionStats,
    history: StepHistoryRecord[],
  ): Solution {
    const session = this.getSession();
    try {
      const times = progress.times.slice();
      const thetas = progress.states.map((h) => session.read(h));
      if (withLast && (times.length === 0 || progress.t > times[times.length - 1])) {
        times.push(progress.t);
        thetas.push(session.read(progress.y));
      }
      return new Solution({ config: this.solutionConfig(), times, thetas, stats, history }, this.makeSession);
    } finally {
      this.releaseProgress(progress);
    }
  }

  private releaseProgress(progress: IntegrationProgress<Handle>): void {
    const session = this.getSession();
    const owned = new Set<Handle>([progress.y, ...progress.states]);
    owned.delete(this.theta0 as Handle);
    for (const h of owned) session.release(h);
  }

  private solutionConfig(): SolutionConfig {
    const { problem, ...rest } = this.options;
    const options: StoredOptions = rest;
    const session = this.sessionConfig as SessionConfig;
    return {
      name: problem.name,
      params: problem.params,
      plan: problem.plan,
      options,
      session,
      parameterCount: this.getSession().parameterCount,
    };
  }
}

// ---------------------------------------------------------------------------------------------

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('evolve aborted', { cause: signal.reason });
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

/** saveAt: an array of finite, strictly increasing times in [0, T] (default [0, T]). */
function checkSaveAt(saveAt: readonly number[] | undefined, T: number): number[] {
  if (saveAt === undefined) return [0, T];
  if (!Array.isArray(saveAt)) throw new TypeError('evolve: saveAt must be an array of times');
  if (saveAt.length === 0) throw new RangeError('evolve: saveAt must hold at least one time');
  saveAt.forEach((s: unknown, i: number) => {
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > T) {
      throw new RangeError(`evolve: saveAt[${i}] must be a finite time in [0, T] = [0, ${T}], got ${String(s)}`);
    }
    if (i > 0 && !(s > saveAt[i - 1])) {
      throw new RangeError(`evolve: saveAt must be strictly increasing (saveAt[${i}] = ${s} after ${saveAt[i - 1]})`);
    }
  });
  return [...saveAt];
}

/** n points uniform in the box, row-major n×D, from a seeded stream (mulberry32). */
function uniformPoints(n: number, lower: readonly number[], upper: readonly number[], seed: number): Float64Array {
  const D = lower.length;
  const out = new Float64Array(n * D);
  const next = mulberry32(seed ^ 0x9e3779b9);
  for (let i = 0; i < out.length; i++) {
    const u = next();
    const axis = i % D;
    out[i] = lower[axis] + (upper[axis] - lower[axis]) * u;
  }
  return out;
}
