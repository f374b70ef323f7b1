// A JavaScript stand-in for the native session (ts/solver/session.ts), for solver tests that need
// no native code: θ̇ = −rate·θ, CG iterations as a function of the solves since the last fit, and
// strict handle bookkeeping (a released or unknown handle throws).
import type { ErrorNorm } from '../ts/solver/options';
import type {
  FitConfig,
  FitProgress,
  FitResult,
  Handle,
  HandleTerms,
  NativeSession,
  SessionConfig,
  StageResult,
  StepEndResult,
  StepStageInput,
} from '../ts/solver/session';

export interface FakeSessionOptions {
  /** Parameter count (default 6). */
  p?: number;
  /** θ̇ = −rate·θ (default 1). */
  rate?: number;
  /** CG iterations of a solve, given the solves since the last fit or refit (default 10). */
  cg?: (age: number) => number;
  /** Every solve after this many returns NaN. */
  nanAfterSolves?: number;
  /**
   * Each solve waits this long (ms), or what the function gives for the solves done before it;
   * `cancel()` rejects waiting solves with an AbortError.
   */
  delayMs?: number | ((solvesBefore: number) => number);
  /** Every solve rejects with this error (as a native solve that cannot run would). */
  stageError?: () => Error;
  /** The initial fit's held-out error (default 1e-3; a refit reports 1e-4). */
  fitError?: number;
  /** The initial fit waits this long (ms) first; `cancel()` rejects it with an AbortError. */
  fitDelayMs?: number;
  /**
   * The held-out residual of an attempt's first stage (default 0.03, against every stage's 0.01),
   * or a function of the attempt (1 for the run's first).
   */
  heldOutResidual?: number | ((attempt: number) => number);
}

export class FakeSession implements NativeSession {
  readonly parameterCount: number;
  readonly config: SessionConfig;
  readonly store = new Map<Handle, Float64Array>();
  resamples = 0;
  cancels = 0;
  solves = 0;
  refits = 0;
  fits = 0;
  /** The stages of every refineStep call. */
  readonly refinements: (readonly StepStageInput[])[] = [];
  lastPool: { points: Float64Array; values: Float64Array } | null = null;
  lastFitConfig: FitConfig | undefined;
  /** The `norm` argument of every finishStep call. */
  readonly errorNorms: (ErrorNorm | undefined)[] = [];
  readonly measurements = new Set<number>();
  private nextMeasurement = 1;
  private nextHandle = 1;
  private age = 0;
  private readonly waiting = new Set<(e: Error) => void>();

  constructor(
    config: SessionConfig,
    readonly options: FakeSessionOptions = {},
  ) {
    this.config = config;
    this.parameterCount = options.p ?? 6;
  }

  private get(h: Handle): Float64Array {
    const v = this.store.get(h);
    if (v === undefined) throw new Error(`fake session: handle ${h} is not live`);
    return v;
  }

  write(values: Float64Array): Handle {
    if (values.length !== this.parameterCount) throw new RangeError('fake session: wrong length');
    const h = this.nextHandle++;
    this.store.set(h, Float64Array.from(values));
    return h;
  }

  read(h: Handle): Float64Array {
    return Float64Array.from(this.get(h));
  }

  alias(h: Handle): Handle {
    const v = this.get(h);
    const a = this.nextHandle++;
    this.store.set(a, v);
    return a;
  }

  private combineNow(base: Handle | null, terms: HandleTerms): Float64Array {
    const out = base === null ? new Float64Array(this.parameterCount) : Float64Array.from(this.get(base));
    for (const [c, h] of terms) {
      const v = this.get(h);
      for (let i = 0; i < out.length; i++) out[i] += c * v[i];
    }
    return out;
  }

  async combine(base: Handle | null, terms: HandleTerms): Promise<Handle> {
    return this.write(this.combineNow(base, terms));
  }

  async norm(h: Handle): Promise<number> {
    return Math.hypot(...this.get(h));
  }

  async isFinite(h: Handle): Promise<boolean> {
    return this.get(h).every(Number.isFinite);
  }

  release(h: Handle): void {
    if (!this.store.delete(h)) throw new Error(`fake session: release of handle ${h}, which is not live`);
  }

  releaseMany(handles: readonly Handle[]): void {
    if (new Set(handles).size !== handles.length) throw new Error('fake session: a handle released twice');
    for (const h of handles) this.release(h);
  }

  async stage(_t: number, base: Handle, terms: HandleTerms, resample: boolean): Promise<StageResult> {
    const theta = terms.length === 0 ? Float64Array.from(this.get(base)) : this.combineNow(base, terms);
    if (resample) this.resamples++;
    const { delayMs } = this.options;
    const delay = typeof delayMs === 'function' ? delayMs(this.solves) : (delayMs ?? 0);
    if (delay > 0) await this.wait(delay);
    this.solves++;
    if (this.options.stageError !== undefined) throw this.options.stageError();
    const rate = this.options.rate ?? 1;
    const nan = this.options.nanAfterSolves !== undefined && this.solves > this.options.nanAfterSolves;
    const out = theta.map((x) => (nan ? Number.NaN : -rate * x));
    const cg = (this.options.cg ?? (() => 10))(this.age++);
    const seconds = {
      sampling: resample ? 0.001 : 0,
      jets: 0.002,
      plan: 0,
      linearization: 0,
      preconditioner: 0.001,
      heldOut: resample ? 0.001 : 0,
    };
    return {
      handle: this.write(out),
      finite: !nan,
      cgIterations: cg,
      residual: 0.01,
      // Measured by the stage that drew the attempt's samples only, as the native session does.
      heldOutResidual: resample ? this.heldOutResidual() : Number.NaN,
      converged: true,
      seconds: { ...seconds, cg: 0.001 * cg, total: 0.004 + 0.001 * cg + seconds.sampling + seconds.heldOut },
      preconditionerRank: 20,
      preconditionerAge: 0,
      preconditionersBuilt: 1,
    };
  }

  private heldOutResidual(): number {
    const given = this.options.heldOutResidual ?? 0.03;
    return typeof given === 'function' ? given(this.resamples) : given;
  }

  async finishStep(y: Handle, solution: HandleTerms, error: HandleTerms, norm?: ErrorNorm): Promise<StepEndResult> {
    this.errorNorms.push(norm);
    const y1 = this.combineNow(y, solution);
    return {
      y1: this.write(y1),
      errorNorm: Math.hypot(...this.combineNow(null, error)),
      finite: y1.every(Number.isFinite),
    };
  }

  async fitInitial(
    config: FitConfig,
    pool: { points: Float64Array; values: Float64Array } | null,
    onProgress?: (p: FitProgress) => void,
  ): Promise<FitResult> {
    this.fits++;
    this.lastFitConfig = config;
    this.lastPool = pool;
    this.age = 0;
    if ((this.options.fitDelayMs ?? 0) > 0) await this.wait(this.options.fitDelayMs as number);
    onProgress?.({ step: config.maxIterations, error: 1e-6 });
    const theta = Float64Array.from({ length: this.parameterCount }, (_, i) => 1 + i / 10);
    return { theta: this.write(theta), ...fitFigures(config, this.options.fitError ?? 1e-3) };
  }

  async refit(theta: Handle, config: FitConfig): Promise<FitResult> {
    this.refits++;
    this.age = 0;
    return { theta: this.write(this.get(theta)), ...fitFigures(config, 1e-4) };
  }

  /**
   * u is θ itself here, so the step's function-space target y + Σ wᵢ·(−rate·θᵢ) is the RK step's
   * own y1: the refined θ is that target, and `initialError` y1's relative distance from it.
   */
  async refineStep(y: Handle, stages: readonly StepStageInput[], y1: Handle, config: FitConfig): Promise<FitResult> {
    this.refinements.push(stages);
    const rate = this.options.rate ?? 1;
    const target = Float64Array.from(this.get(y));
    for (const { weight, terms } of stages) {
      const input = terms.length === 0 ? this.get(y) : this.combineNow(y, terms);
      for (let i = 0; i < target.length; i++) target[i] -= weight * rate * input[i];
    }
    const start = this.get(y1);
    const initialError = Math.hypot(...target.map((x, i) => start[i] - x)) / Math.hypot(...target);
    return { theta: this.write(target), ...fitFigures(config, 0), initialError };
  }

  evaluateSync(theta: Handle, points: Float64Array): Float64Array {
    const v = this.get(theta);
    const D = this.config.network.dim;
    const k = this.config.network.fields ?? 1;
    const n = points.length / D;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      let s = 1;
      for (let a = 0; a < D; a++) s += points[i * D + a];
      for (let j = 0; j < k; j++) out[i * k + j] = v[j % v.length] * s;
    }
    return out;
  }

  async evaluate(theta: Handle, points: Float64Array): Promise<Float64Array> {
    return this.evaluateSync(theta, points);
  }

  openMeasurement(): number {
    const m = this.nextMeasurement++;
    this.measurements.add(m);
    return m;
  }

  closeMeasurement(m: number): void {
    this.measurements.delete(m);
  }

  async residual(theta: Handle, _t: number, _samples: number, measurement: number): Promise<number> {
    this.get(theta);
    if (!this.measurements.has(measurement)) throw new RangeError('fake session: measurement is not open');
    return 0.01;
  }

  async error(theta: Handle, _t: number, _samples: number, measurement: number): Promise<number> {
    this.get(theta);
    if (!this.measurements.has(measurement)) throw new RangeError('fake session: measurement is not open');
    return 0.02;
  }

  cancel(): void {
    this.cancels++;
    const err = new Error('cancelled');
    err.name = 'AbortError';
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(fail);
        resolve();
      }, ms);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiting.add(fail);
    });
  }
}

/** A session factory that remembers the sessions it made. */
export function fakeFactory(options: FakeSessionOptions = {}): {
  make: (config: SessionConfig) => FakeSession;
  sessions: FakeSession[];
} {
  const sessions: FakeSession[] = [];
  return {
    sessions,
    make: (config) => {
      const s = new FakeSession(config, options);
      sessions.push(s);
      return s;
    },
  };
}

/** What a fake fit reports: it ran its iteration cap. */
function fitFigures(config: FitConfig, relativeError: number): Omit<FitResult, 'theta'> {
  return {
    finite: true,
    relativeError,
    seconds: 0.001,
    loss: 0,
    iterations: config.maxIterations,
    stopped: 'steps',
    message: 'reached the iteration cap',
    rejected: 0,
    cgIterations: 0,
    samples: config.method === 'adam' ? 0 : config.samples,
    headTuned: config.headTuning,
  };
}
