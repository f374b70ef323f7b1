/**
 * `NeuralIVP`, the public entry point (docs/api.md): validates the options once, fits θ0 to the
 * initial condition, then integrates M(θ)θ̇ = F(θ) from θ0 (evolve-run.ts). θ, the RK stages and
 * the samples live in a native session that the instance opens on first use; this class holds
 * only handles and scalars.
 *
 * - Every `evolve` starts from the fitted θ0 at t = 0 (θ0's handle is never released by an
 *   evolve); the session's sample stream continues, so a second `evolve` on one instance draws
 *   different samples than the first (two instances with the same seed agree bit for bit).
 * - Abort: `signal` rejects the returned promise at once with an `AbortError` and calls
 *   `session.cancel()` so native loops stop; the work winds down in the background, and any later
 *   call on the instance waits for it (calls on one instance run one at a time: queue.ts).
 */
import { configurationFingerprint, joinRequest } from '../distributed/run';
import { fromNative, SpecError } from '../errors';
import { checkMaxSeconds, checkSaveAt } from '../integrate/times';
import { native } from '../native';
import type { DeviceName } from '../native-config';
import { axesWith, boundaryLiteral, someAxis } from '../problem/boundary';
import { isProblem, type Problem } from '../problem/define';
import type { BoundarySpec } from '../problem/plan';
import { backwardDiffusion, backwardDiffusionWarning } from './backward-diffusion';
import { type EvolveProgress, EvolveRun } from './evolve-run';
import { checkFit, type FitTracePoint, fitAdvice } from './fit-guard';
import { type FitReport, fitReport, fitWarning } from './fit-report';
import { givenMargin, inflowWarning, marginFor } from './inflow';
import { type InitialShape, lazyInitialShape } from './initial-shape';
import { checkMemory, freeMemory } from './memory';
import { createSession, cudaAvailable } from './native-session';
import { type NeuralIVPInput, type ResolvedOptions, resolveOptions } from './options';
import { periodicSuggestion } from './periodic-start';
import { HELD_OUT_WARNING_STEPS, heldOutWarning } from './projection-check';
import { abortError, ExclusiveQueue } from './queue';
import { fitRateFeatures } from './rate-features';
import { DEFAULT_MAX_RESTARTS, wallClock } from './restarts';
import { poolSize, uniformPoints } from './sampler';
import type { SolutionConfig, StoredOptions } from './save-format';
import type { FitProgress, Handle, NativeSession, SessionConfig } from './session';
import { fitConfigFor, sampledBox, sessionConfigFor } from './session-config';
import type { SessionFactory, Solution } from './solution';
import { StepCollapseWatch } from './step-collapse';
import { stiffWarning } from './stiffness-warning';

export { EvolveError, type EvolveProgress } from './evolve-run';

/** The options of `ivp.fit()`. */
export interface FitCallOptions {
  /** Aborts the fit: the promise rejects with an `AbortError` and the instance stays usable. */
  signal?: AbortSignal;
  /** Progress: Adam's batch loss or each Gauss–Newton iteration's held-out error. */
  onProgress?: (progress: FitProgress) => void;
}

export type { FitReport } from './fit-report';

/** The options of `ivp.evolve(T, options)`. */
export interface EvolveOptions {
  /** Strictly increasing times in [0, T] to save θ at (default [0, T]). */
  saveAt?: readonly number[];
  /** Aborts the evolve: the promise rejects with an `AbortError` and the instance stays usable. */
  signal?: AbortSignal;
  /** Called after every accepted step. */
  onProgress?: (progress: EvolveProgress) => void;
  /**
   * Wall-clock budget of the integration in seconds (default none; the initial fit has its own,
   * `fit.maxSeconds`). It holds within a step attempt too: when it runs out the attempt in
   * progress is stopped (its native work cancelled) and `evolve` rejects with an `EvolveError`
   * (reason 'maxSeconds') whose `solution` holds every saved time reached and the last accepted step.
   * Not available with `distributed` (the processes' clocks differ).
   */
  maxSeconds?: number;
  /**
   * Stops the run early and keeps what it reached (where `signal` discards it): when it fires,
   * the attempt in progress is stopped (its native work cancelled) and `evolve` rejects with an
   * `EvolveError` (reason 'stopped', its message ending with the signal's reason) whose `solution`
   * holds every saved time reached and the last accepted step. Fired during the initial fit that
   * `evolve` runs, it takes effect when the fit ends: the solution then holds the fitted θ at t = 0.
   * Not available with `distributed` (the processes would stop at different steps).
   */
  stop?: AbortSignal;
}

/** Replaceable internals (tests, custom backends). */
export interface NeuralIVPHooks {
  /** Makes the native session (default `createSession`); solutions use it too. */
  createSession?: SessionFactory;
  /** Cap on restarts per `evolve` (default 10, the paper's). */
  maxRestarts?: number;
  /**
   * Draw every sample set as the union of this many shares, each from its own stream: what a run
   * over that many processes draws together (tests compare the two; docs/distributed.md).
   */
  sampleShares?: number;
  /**
   * Bytes free where the run computes, for the memory check (default: the machine's available
   * memory, or the CUDA device's free memory; null skips the check).
   */
  freeMemory?: (device: DeviceName) => number | null;
  /**
   * Receives the run's warnings (default: `process.emitWarning(message, { code })`, which Node
   * prints to stderr once per call unless warnings are silenced).
   */
  warn?: (warning: NeuralIVPWarning) => void;
}

/**
 * Something a run did that a caller should know, though it did not fail: a fit that stopped above
 * its tolerance ('NIVP_FIT_TOLERANCE'), steps whose θ̇ matched the right-hand side on their
 * samples but not on held-out points ('NIVP_HELD_OUT_GAP', after `HELD_OUT_WARNING_STEPS` steps),
 * a boundary-'none' run whose `margin` does not cover what flows into the domain by T
 * ('NIVP_MARGIN', said by `evolve` before it starts), a problem whose u0 and right-hand side
 * repeat with the domain along a boundary-'none' axis, which boundary 'periodic' there would build
 * in ('NIVP_PERIODIC', said before the first fit, naming the boundary to give), or steps held at
 * the integrator's stability limit rather than by rtol ('NIVP_STIFF', after `STIFF_STEPS` such
 * steps: a stiff problem), or steps that keep shrinking while their residual grows
 * ('NIVP_STEP_COLLAPSE': a shock or blow-up forming, step-collapse.ts).
 */
export interface NeuralIVPWarning {
  readonly code:
    | 'NIVP_FIT_TOLERANCE'
    | 'NIVP_HELD_OUT_GAP'
    | 'NIVP_BACKWARD_DIFFUSION'
    | 'NIVP_MARGIN'
    | 'NIVP_PERIODIC'
    | 'NIVP_STIFF'
    | 'NIVP_STEP_COLLAPSE';
  readonly message: string;
}

/** What NIVP_PERIODIC says about a problem whose boundary `suggested` would suit better. */
function periodicHint(suggested: BoundarySpec): string {
  const along =
    suggested === 'periodic'
      ? 'every axis'
      : axesWith(suggested, 'periodic', suggested.length)
          .map((i) => `x[${i}]`)
          .join(', ');
  return (
    `u0 and the right-hand side on it repeat with the domain along ${along}, and u0 is not small on those faces: ` +
    `boundary ${boundaryLiteral(suggested)} would build that into the network, with no margin to sample there; with 'none' the ` +
    "network is fitted and evolved on a box grown by the margin, and a diffusion's errors can grow from its faces " +
    '(docs/accuracy.md, "A periodic box")'
  );
}

const emitWarning = (warning: NeuralIVPWarning): void => {
  process.emitWarning(warning.message, { code: warning.code });
};

/**
 * A Neural IVP solver for one problem: `fit()` fits θ to the initial condition, `evolve(T)`
 * integrates θ to T and returns a `Solution` (docs/api.md §2).
 */
export class NeuralIVP {
  private resolved: ResolvedOptions;
  private readonly input: NeuralIVPInput;
  private readonly makeSession: SessionFactory;
  private readonly maxRestarts: number;
  private readonly sampleShares: number;
  private readonly warn: (warning: NeuralIVPWarning) => void;
  /** The rendezvous of a distributed run, once per instance. */
  private joined: Promise<void> | undefined;
  private readonly queue = new ExclusiveQueue(() => this.session?.cancel());
  private session: NativeSession | undefined;
  private sessionConfig: SessionConfig | undefined;
  private resolvedDevice: DeviceName | undefined;
  private shapeFor: { options: ResolvedOptions; shape: () => InitialShape } | undefined;
  private theta0: Handle | undefined;
  private fitSeconds = 0;
  private lastFit: FitReport | undefined;

  /** Validates the options (a `SpecError` for bad ones) before any native work. */
  constructor(input: NeuralIVPInput, hooks: NeuralIVPHooks = {}) {
    this.resolved = resolveOptions(input);
    this.input = input;
    this.makeSession = hooks.createSession ?? createSession;
    this.maxRestarts = hooks.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    this.sampleShares = hooks.sampleShares ?? 1;
    this.warn = hooks.warn ?? emitWarning;
    if (!(Number.isInteger(this.sampleShares) && this.sampleShares >= 1)) {
      throw new RangeError(`sampleShares must be a positive integer, got ${this.sampleShares}`);
    }
    if (!(Number.isInteger(this.maxRestarts) && this.maxRestarts >= 0)) {
      throw new RangeError(`maxRestarts must be a non-negative integer, got ${this.maxRestarts}`);
    }
    if (this.options.device === 'cuda') {
      if (!cudaAvailable()) throw new SpecError('device', "'cuda' was requested but CUDA is not available here");
      this.resolvedDevice = 'cuda';
    } else if (this.options.device === 'cpu') {
      this.resolvedDevice = 'cpu';
    }
    // Memory: a run that cannot fit is refused now, naming the option, not after minutes of work.
    const device = this.device;
    const processes = this.options.distributed?.worldSize ?? 1;
    checkMemory(this.options, { free: (hooks.freeMemory ?? freeMemory)(device), device }, processes);
  }

  /**
   * The validated options, every default filled in (deeply frozen). A boundary-'none' problem's
   * default `margin` may grow when `evolve(T)` fits: see `coverInflow`.
   */
  get options(): ResolvedOptions {
    return this.resolved;
  }

  /** u0's shape on the sampled box of the options now, estimated once for them (fit advice reads it). */
  private shape(): () => InitialShape {
    if (this.shapeFor?.options !== this.resolved) {
      this.shapeFor = { options: this.resolved, shape: lazyInitialShape(this.resolved.problem, this.resolved.margin) };
    }
    return this.shapeFor.shape;
  }

  /** The problem being solved. */
  get problem(): Problem {
    return this.options.problem;
  }

  /** 'cuda' when chosen (or 'auto') and available, else 'cpu'. */
  get device(): DeviceName {
    if (this.resolvedDevice === undefined) this.resolvedDevice = cudaAvailable() ? 'cuda' : 'cpu';
    return this.resolvedDevice;
  }

  /** p, the number of network parameters (opens the native session). */
  get parameterCount(): number {
    return this.getSession().parameterCount;
  }

  /** Fits θ0 to the initial condition (again, when called again). */
  fit(options: FitCallOptions = {}): Promise<FitReport> {
    try {
      checkCallOptions('fit()', options, ['signal', 'onProgress']);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(options.signal, (signal) => this.fitNow(signal, 'fit', options.onProgress), 'fit');
  }

  /** Integrates from the fitted θ0 at t = 0 to T (fitting first when `fit` has not run). */
  evolve(T: number, options: EvolveOptions = {}): Promise<Solution> {
    let saveAt: number[];
    try {
      if (typeof T !== 'number') throw new TypeError(`evolve: T must be a number, got ${typeof T}`);
      checkCallOptions('evolve()', options, ['saveAt', 'signal', 'onProgress', 'maxSeconds', 'stop']);
      if (!Number.isFinite(T) || !(T > 0)) {
        throw new RangeError(`evolve: T must be a positive finite number, got ${String(T)}`);
      }
      saveAt = options.saveAt === undefined ? [0, T] : checkSaveAt(options.saveAt, 0, T, 'evolve');
      if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
        throw new TypeError('evolve: onProgress must be a function');
      }
      checkEvolveBudget(options.maxSeconds, this.options.distributed !== null);
      checkStop(options.stop, this.options.distributed !== null);
    } catch (e) {
      return Promise.reject(e);
    }
    const { onProgress, maxSeconds, stop } = options;
    return this.queue.run(options.signal, (signal) =>
      this.evolveNow(T, saveAt, signal, { onProgress, maxSeconds, stop }),
    );
  }

  // -------------------------------------------------------------------------------------------

  private getSession(): NativeSession {
    if (this.session === undefined) {
      const d = this.options.distributed;
      const config: SessionConfig = {
        ...sessionConfigFor(this.options, this.device),
        ...(this.sampleShares > 1
          ? { sampleShares: { count: this.sampleShares, drawn: [...Array(this.sampleShares).keys()] } }
          : {}),
        ...(d !== null && this.device === 'cuda' ? { deviceIndex: d.localRank } : {}),
      };
      try {
        this.session = this.makeSession(config);
      } catch (e) {
        throw fromNative(e);
      }
      this.sessionConfig = config;
    }
    return this.session;
  }

  /**
   * The session, joined to its sample-parallel run first when `distributed` is set: the
   * rendezvous compares every process's configuration and rejects, naming what differs.
   */
  private async ready(): Promise<NativeSession> {
    const session = this.getSession();
    const d = this.options.distributed;
    if (d === null) return session;
    if (this.joined === undefined) {
      if (session.join === undefined) throw new Error('distributed: this session type cannot join a run');
      const fingerprint = configurationFingerprint(
        this.options,
        this.device,
        session.parameterCount,
        native().torchVersion(),
      );
      this.joined = session.join(joinRequest(d, this.device, fingerprint));
    }
    await this.joined;
    return session;
  }

  /** Native progress values as FitProgress: Adam steps report a loss, GN iterations an error. */
  private fitProgress(onProgress: ((p: FitProgress) => void) | undefined): ((p: FitProgress) => void) | undefined {
    if (onProgress === undefined) return undefined;
    const f = this.options.fit;
    const adamSteps = f.method === 'adam' ? Number.POSITIVE_INFINITY : f.warmupSteps;
    return (p) => {
      const value = p.loss ?? p.error ?? Number.NaN;
      onProgress(p.step <= adamSteps ? { step: p.step, loss: value } : { step: p.step, error: value });
    };
  }

  private async fitNow(
    signal: AbortSignal | undefined,
    caller: 'fit' | 'evolve',
    onProgress?: (p: FitProgress) => void,
  ): Promise<FitReport> {
    const session = await this.ready();
    const problem = this.options.problem;
    const suggested =
      someAxis(problem.boundary, 'none') && this.theta0 === undefined ? periodicSuggestion(problem) : null;
    if (suggested !== null) this.warn({ code: 'NIVP_PERIODIC', message: periodicHint(suggested) });
    const box = sampledBox(problem, this.options.margin);
    const backward = this.theta0 === undefined ? backwardDiffusion(problem, box.lower, box.upper) : null;
    if (backward !== null) this.warn({ code: 'NIVP_BACKWARD_DIFFUSION', message: backwardDiffusionWarning(backward) });
    const config = fitConfigFor(this.options);
    let pool: { points: Float64Array; values: Float64Array } | null = null;
    if (problem.initialValues !== undefined) {
      const n = poolSize(config);
      const points = uniformPoints(n, box.lower, box.upper, this.options.seed);
      pool = { points, values: problem.initialValues(points, n) };
    }
    const started = wallClock();
    const trace: FitTracePoint[] = [];
    const traced = (p: FitProgress): void => {
      if (p.error !== undefined) trace.push({ seconds: wallClock() - started, error: p.error });
      onProgress?.(p);
    };
    // Adam reports every step's batch loss, which the trace does not read: no callback for it.
    const progress = this.fitProgress(this.options.fit.method === 'gauss-newton' ? traced : onProgress);
    const result = await session.fitInitial(config, pool, progress).catch((e: unknown) => {
      throw fromNative(e);
    });
    if (signal?.aborted) {
      session.release(result.theta);
      throw abortError(signal, caller);
    }
    const rate = await fitRateFeatures(session, this.options, config, result.theta).catch((e: unknown) => {
      session.release(result.theta);
      throw signal?.aborted ? abortError(signal, caller) : fromNative(e);
    });
    if (signal?.aborted) {
      session.releaseMany(rate === null ? [result.theta] : [result.theta, rate.theta]);
      throw abortError(signal, caller);
    }
    if (rate !== null) session.release(result.theta);
    if (this.theta0 !== undefined) session.release(this.theta0);
    this.theta0 = rate?.theta ?? result.theta;
    this.fitSeconds = wallClock() - started;
    const { method, tol } = this.options.fit;
    const report = fitReport(result, method, tol, this.fitSeconds, rate?.report ?? null);
    const missed = !Number.isFinite(report.relativeError) || (report.tol !== null && report.relativeError > report.tol);
    this.lastFit = missed
      ? Object.freeze({ ...report, advice: fitAdvice(report, this.options, this.shape(), trace) })
      : report;
    const warning = fitWarning(this.lastFit);
    if (warning !== undefined) this.warn({ code: 'NIVP_FIT_TOLERANCE', message: warning });
    return this.lastFit;
  }

  private async evolveNow(
    T: number,
    saveAt: number[],
    signal: AbortSignal | undefined,
    { onProgress, maxSeconds, stop }: Omit<EvolveOptions, 'saveAt' | 'signal'>,
  ): Promise<Solution> {
    const started = wallClock();
    this.coverInflow(T);
    const session = await this.ready();
    if (this.theta0 === undefined) await this.fitNow(signal, 'evolve');
    checkFit(this.lastFit as FitReport, this.options);
    const run = new EvolveRun({
      session,
      options: this.options,
      theta0: this.theta0 as Handle,
      fitSeconds: this.fitSeconds,
      fit: this.lastFit,
      maxRestarts: this.maxRestarts,
      T,
      saveAt,
      signal,
      onProgress: this.watchSteps(onProgress),
      maxSeconds,
      stop,
      started,
      solutionConfig: this.solutionConfig(),
      makeSession: this.makeSession,
    });
    return run.run();
  }

  /**
   * With boundary 'none', what flows into the domain by T comes from up to `marginFor`
   * half-widths outside it. A default margin short of that grows to cover it while nothing is
   * fitted (a fresh session: the network's box is fixed by its first fit); otherwise the run goes
   * on with the margin it has, and `warn` says what it would need.
   */
  private coverInflow(T: number): void {
    const needed = marginFor(this.resolved, T);
    if (needed <= this.resolved.margin) return;
    const given = !isProblem(this.input) && this.input.margin !== undefined;
    if (!given && this.theta0 === undefined && this.joined === undefined) {
      const options = isProblem(this.input) ? { problem: this.input } : this.input;
      this.resolved = resolveOptions({ ...options, margin: givenMargin(needed) });
      this.session = undefined;
      this.sessionConfig = undefined;
    }
    if (needed > this.resolved.margin) {
      this.warn({ code: 'NIVP_MARGIN', message: inflowWarning(this.resolved.margin, needed, T) });
    }
  }

  /**
   * `onProgress`, and what the steps show said once each through `warn`: the held-out gap of the
   * first steps, steps held at the integrator's stability limit, and steps that collapse.
   */
  private watchSteps(onProgress: ((p: EvolveProgress) => void) | undefined): (p: EvolveProgress) => void {
    const early: EvolveProgress[] = [];
    const { method, stiffSwitch } = this.options.integrator;
    const collapse = new StepCollapseWatch();
    return (p) => {
      if (early.length < HELD_OUT_WARNING_STEPS) {
        early.push(p);
        const warning = early.length === HELD_OUT_WARNING_STEPS ? heldOutWarning(early) : undefined;
        if (warning !== undefined) this.warn({ code: 'NIVP_HELD_OUT_GAP', message: warning });
      }
      const stiff = stiffWarning(method, stiffSwitch && method === 'rk45', p);
      if (stiff !== undefined) this.warn({ code: 'NIVP_STIFF', message: stiff });
      const collapsed = collapse.observe(p);
      if (collapsed !== undefined) this.warn({ code: 'NIVP_STEP_COLLAPSE', message: collapsed });
      onProgress?.(p);
    };
  }

  private solutionConfig(): SolutionConfig {
    const { problem, distributed: _distributed, ...rest } = this.options;
    const options: StoredOptions = rest;
    // A solution evaluates alone, in any process: without the run's shares and device placement.
    const { sampleShares: _shares, deviceIndex: _device, ...session } = this.sessionConfig as SessionConfig;
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

/**
 * The options object of a call: an object of known keys (a `SpecError` for an unknown one, as the
 * constructor's options), `signal` an AbortSignal and `onProgress` a function (else `TypeError`).
 */
function checkCallOptions(call: string, options: unknown, keys: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${call}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!keys.includes(key)) throw new SpecError(call, `unknown key '${key}' (allowed: ${keys.join(', ')})`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`${call}: signal must be an AbortSignal`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new TypeError(`${call}: onProgress must be a function`);
  }
}

/** `stop` of an evolve: an AbortSignal, and one process only. */
function checkStop(stop: unknown, distributed: boolean): void {
  if (stop === undefined) return;
  if (!(stop instanceof AbortSignal)) throw new TypeError('evolve(): stop must be an AbortSignal');
  if (distributed) {
    throw new RangeError(
      'evolve: stop is not available with `distributed` (the processes would stop at different steps)',
    );
  }
}

/** `maxSeconds` of an evolve: as `integrate` checks it, and one process's clock only. */
export function checkEvolveBudget(maxSeconds: unknown, distributed: boolean): void {
  if (checkMaxSeconds(maxSeconds, 'evolve') !== undefined && distributed) {
    throw new RangeError('evolve: maxSeconds is not available with `distributed` (each process has its own clock)');
  }
}
