/**
 * `Solution` (docs/api.md): θ at the saved times plus the run's statistics, self-contained. It
 * holds its θ values in JavaScript (copied out of the solver's session when `evolve` finishes), so
 * it saves without native code. A solution made by `evolve` evaluates and measures with that
 * evolve's session, on the θ handles it took over (released when the solution is garbage
 * collected); a loaded one opens its own session lazily (same network, plan and seed). Measurements
 * draw from the solution's own random streams, seeded as a new session's, so a loaded solution
 * evaluates and measures exactly as the original, and measuring never changes a later `evolve`.
 *
 * - `evaluate(points, t)` is synchronous as the contract says; it needs the session's
 *   `evaluateSync`. `evaluateAsync` does the same through the session's async `evaluate`.
 * - `residual(t)` and `error(t)` run native solves on fresh samples, off the main thread: they
 *   return `Promise<number>`.
 * - Argument errors (`t` not a saved time, wrongly shaped points) are thrown before any native
 *   work, as `RangeError`s (`TypeError` for a wrong kind of value).
 */
import { readFile } from 'node:fs/promises';
import { fromNative, OutOfMemoryError, SpecError } from '../errors';
import { formatBytes, freeMemory, measurementBytes } from './memory';
import { availableDevice, createSession } from './native-session';
import { MIN_POINTS } from './option-table';
import {
  decodeSolution,
  encodeSolution,
  fileProblem,
  holdsOtherThanASolution,
  type SolutionConfig,
  type SolutionData,
  SolutionFileError,
  type SolutionStats,
  type StepHistoryRecord,
  type StoredOptions,
  writeFileAtomic,
} from './save-format';
import type { Handle, NativeSession, SessionConfig } from './session';

export type {
  SolutionStats,
  SolveSeconds,
  StepCost,
  StepHistoryRecord,
  StepRefinement,
  StoredOptions,
} from './save-format';

/** Points: row-major n×D values, or n rows of D numbers. */
export type Points = Float64Array | readonly (readonly number[])[];

/** Makes the session a solution evaluates with (tests inject fakes). */
export type SessionFactory = (config: SessionConfig) => NativeSession;

/** A session that already holds the solution's states (the evolve's): one handle per saved time. */
export interface LiveStates {
  readonly session: NativeSession;
  readonly handles: readonly Handle[];
}

/** Saved times listed in messages, at most. */
const LISTED_TIMES = 20;

/**
 * How far, relative to the largest saved time, a requested t may be from a saved one and still
 * name it: a time computed another way (3 · 0.1 for a saved 0.3) is a few ulps off, far closer
 * than two saved times ever are.
 */
const SAVED_TIME_TOLERANCE = 1e-12;

/** The index of the saved time t names (exactly, or within round-off), or −1. */
function savedIndex(times: readonly number[], t: number): number {
  const exact = times.indexOf(t);
  if (exact >= 0 || !Number.isFinite(t)) return exact;
  const largest = times.reduce((m, s) => Math.max(m, Math.abs(s)), Number.MIN_VALUE);
  const tol = SAVED_TIME_TOLERANCE * largest;
  let nearest = -1;
  for (const [i, s] of times.entries())
    if (Math.abs(s - t) <= tol && (nearest < 0 || Math.abs(s - t) < Math.abs(times[nearest] - t))) nearest = i;
  return nearest;
}

/** What a solution holds in a native session; released with the solution. */
interface NativeHold {
  session: NativeSession | undefined;
  /** Handles the solution owns, by saved time (undefined: not written yet). */
  handles: (Handle | undefined)[];
  measurement: number | undefined;
}

/** Frees what a collected solution held in a session that outlives it (the evolve's). */
const holds = new FinalizationRegistry<NativeHold>((hold) => releaseHold(hold));

function releaseHold(hold: NativeHold): void {
  const { session } = hold;
  if (session === undefined) return;
  session.releaseMany(hold.handles.filter((h): h is Handle => h !== undefined));
  if (hold.measurement !== undefined) session.closeMeasurement(hold.measurement);
  hold.handles = [];
  hold.measurement = undefined;
}

/** Options of `Solution.save`. */
export interface SaveOptions {
  /** Replace whatever is at the path, not only an earlier solution file (default false). */
  overwrite?: boolean;
}

/**
 * θ at the saved times of an evolve, with its statistics: evaluate, measure, save and load it
 * (docs/api.md §3).
 */
export class Solution {
  /** The saved times, strictly increasing. */
  readonly times: readonly number[];
  /** The evolve's totals: steps, rejections, CG iterations, restarts, seconds. */
  readonly stats: SolutionStats;
  /** One record per accepted step. */
  readonly history: readonly StepHistoryRecord[];
  /** The problem's name and parameters, as given to `defineProblem`. */
  readonly name: string;
  /** The problem's named parameters. */
  readonly params: Readonly<Record<string, number>>;
  /** Spatial dimension D. */
  readonly dim: number;
  /** The field names: the k columns of `evaluate`. */
  readonly fields: readonly string[];
  /** The options the solution was computed with (the problem aside). */
  readonly options: StoredOptions;
  /** p, the length of θ. */
  readonly parameterCount: number;

  private readonly config: SolutionConfig;
  private warnedOutside = false;
  private readonly thetas: readonly Float64Array[];
  private readonly makeSession: SessionFactory;
  private readonly hold: NativeHold;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Normally made by `NeuralIVP.evolve` or `Solution.load`. `data` is taken over, not copied;
   * `live` (internal) hands over the evolve's session and one handle per saved time.
   * @internal
   */
  constructor(data: SolutionData, makeSession: SessionFactory = createSession, live?: LiveStates) {
    const { config } = data;
    if (data.thetas.length !== data.times.length) {
      throw new RangeError(`Solution: ${data.times.length} times but ${data.thetas.length} θ vectors`);
    }
    for (const theta of data.thetas) {
      if (theta.length !== config.parameterCount) {
        throw new RangeError(`Solution: a θ of length ${theta.length}, expected ${config.parameterCount}`);
      }
    }
    this.config = config;
    this.thetas = data.thetas;
    this.times = Object.freeze([...data.times]);
    this.stats = Object.freeze({ ...data.stats });
    this.history = Object.freeze(data.history.map((r) => Object.freeze({ ...r })));
    this.name = config.name;
    this.params = config.params;
    this.dim = config.plan.dim;
    this.fields = Object.freeze([...config.plan.fields]);
    this.options = config.options;
    this.parameterCount = config.parameterCount;
    this.makeSession = makeSession;
    if (live !== undefined && live.handles.length !== this.times.length) {
      throw new RangeError(`Solution: ${this.times.length} times but ${live.handles.length} handles`);
    }
    this.hold = {
      session: live?.session,
      handles:
        live !== undefined ? [...live.handles] : new Array<Handle | undefined>(this.times.length).fill(undefined),
      measurement: undefined,
    };
    if (live !== undefined) holds.register(this, this.hold);
  }

  /** A copy of θ at a saved time. */
  theta(t: number): Float64Array {
    return Float64Array.from(this.thetas[this.indexOf(t, 'theta')]);
  }

  /**
   * u at `points` (row-major n×D, or n rows of D numbers) and the saved time `t`: row-major n×k,
   * the fields in order. Synchronous; needs the native session's `evaluateSync` (else use
   * `evaluateAsync`).
   */
  evaluate(points: Points, t: number): Float64Array {
    const i = this.indexOf(t, 'evaluate');
    const data = this.pointsOf(points, 'evaluate');
    if (data.length === 0) return new Float64Array(0);
    this.warnOutside(data, 'evaluate');
    const session = this.getSession();
    if (typeof session.evaluateSync !== 'function') {
      throw new Error('Solution.evaluate: this native session cannot evaluate synchronously; use evaluateAsync');
    }
    try {
      return session.evaluateSync(this.handle(i), data);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** `evaluate`, computed off the main thread. */
  evaluateAsync(points: Points, t: number): Promise<Float64Array> {
    try {
      const i = this.indexOf(t, 'evaluateAsync');
      const data = this.pointsOf(points, 'evaluateAsync');
      if (data.length === 0) return Promise.resolve(new Float64Array(0));
      this.warnOutside(data, 'evaluateAsync');
      return this.serial((session) => session.evaluate(this.handle(i), data));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The relative PDE residual sqrt(Σ(Jθ̇ − f)² / Σ f²) at a saved time on `samples` fresh points
   * (default: the run's `samples`).
   */
  residual(t: number, samples?: number): Promise<number> {
    try {
      const i = this.indexOf(t, 'residual');
      const n = this.sampleCount(samples, 'residual');
      return this.serial((session) => session.residual(this.handle(i), t, n, this.measurement()));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The relative L2 error against the problem's `exact` at a saved time on `samples` fresh points
   * (default: the run's `samples`). Rejects when the problem has no `exact`. When the run
   * importance-samples (`samples.importance`) and its domain is the whole sampled box, the points
   * are drawn from a proposal that follows |exact| at `t` and the misfit, and carry the weights
   * p/q, so that the estimate is still the relative L2 error over the domain: uniform points miss
   * a concentrated solution.
   */
  error(t: number, samples?: number): Promise<number> {
    try {
      const i = this.indexOf(t, 'error');
      const n = this.sampleCount(samples, 'error');
      if (this.config.plan.exact === null) {
        throw new SpecError(
          'problem.exact',
          `Solution.error needs the exact solution, and the problem '${this.name}' has none (give \`exact\` in its spec)`,
        );
      }
      return this.serial((session) => session.error(this.handle(i), t, n, this.measurement()));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The solution as plain data (θ arrays shared, not copied).
   * @internal
   */
  toData(): SolutionData {
    return {
      config: this.config,
      times: this.times,
      thetas: this.thetas,
      stats: this.stats,
      history: this.history,
    };
  }

  /**
   * Writes the solution to `path` (format: see save-format.ts), atomically: a failure leaves an
   * existing file untouched and throws a `SolutionFileError` naming `path` and why. An earlier
   * solution file at `path` is replaced; anything else there only with `{ overwrite: true }`.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new TypeError('Solution.save: expected a file path');
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('Solution.save: options must be an object such as { overwrite: true }');
    }
    if (options.overwrite !== undefined && typeof options.overwrite !== 'boolean') {
      throw new TypeError(`Solution.save: options.overwrite must be a boolean, got ${typeof options.overwrite}`);
    }
    if (options.overwrite !== true && (await holdsOtherThanASolution(path))) {
      throw new SolutionFileError(
        `${path} exists and is not a neural-ivp solution file; save does not replace it (choose another path, or pass { overwrite: true })`,
        { file: path },
      );
    }
    await writeFileAtomic(path, encodeSolution(this.toData()));
  }

  /**
   * Reads a file written by `save`; throws `SolutionFileError` naming the path for anything else
   * (a missing file, a folder, wrong format or version, malformed entries). A solution saved on CUDA evaluates on the CPU where CUDA is missing.
   */
  static async load(path: string, options: { makeSession?: SessionFactory } = {}): Promise<Solution> {
    if (typeof path !== 'string' || path === '') throw new TypeError('Solution.load: expected a file path');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new SolutionFileError(`cannot read ${path}: ${fileProblem(e)}`, { cause: e, file: path });
    }
    let data: SolutionData;
    try {
      data = decodeSolution(text);
    } catch (e) {
      if (!(e instanceof SolutionFileError)) throw e;
      throw new SolutionFileError(`${path}: ${e.message}`, { cause: e, file: path });
    }
    return new Solution(data, options.makeSession ?? createSession);
  }

  // -------------------------------------------------------------------------------------------

  private indexOf(t: number, method: string): number {
    if (typeof t !== 'number') throw new TypeError(`Solution.${method}: t must be a number, got ${typeof t}`);
    const i = savedIndex(this.times, t);
    if (i < 0) {
      const shown = this.times.slice(0, LISTED_TIMES).join(', ');
      const more = this.times.length > LISTED_TIMES ? `, … (${this.times.length} in all)` : '';
      throw new RangeError(
        `Solution.${method}: t = ${t} is not a saved time; the saved times are ${this.times.length === 0 ? '(none)' : `${shown}${more}`} (pass saveAt to evolve to save others)`,
      );
    }
    return i;
  }

  private pointsOf(points: Points, method: string): Float64Array {
    const D = this.dim;
    if (points instanceof Float64Array) {
      if (points.length % D !== 0) {
        throw new RangeError(
          `Solution.${method}: points must be row-major n×D with D = ${D} (a length that is a multiple of ${D}), got length ${points.length}`,
        );
      }
      for (let i = 0; i < points.length; i++) {
        if (!Number.isFinite(points[i])) {
          throw new RangeError(
            `Solution.${method}: points[${i}] (row ${Math.floor(i / D)}, axis ${i % D}) is not finite: ${points[i]}`,
          );
        }
      }
      return points;
    }
    if (!Array.isArray(points)) {
      throw new TypeError(`Solution.${method}: points must be a Float64Array (n×D, row-major) or an array of rows`);
    }
    const out = new Float64Array(points.length * D);
    points.forEach((row: unknown, r: number) => {
      if (!Array.isArray(row) || row.length !== D) {
        // A flat array of numbers is a common slip: say which form holds it.
        const flat =
          typeof row === 'number'
            ? ': an array of numbers is read as rows, so pass flat row-major coordinates as a Float64Array (Float64Array.from(points)), or one point as [[…]]'
            : '';
        throw new RangeError(
          `Solution.${method}: points[${r}] must be ${D} coordinates (D = ${D}), got ${Array.isArray(row) ? `${row.length}` : typeof row}${flat}`,
        );
      }
      for (let a = 0; a < D; a++) {
        const x: unknown = row[a];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          throw new RangeError(`Solution.${method}: points[${r}][${a}] must be a finite number, got ${String(x)}`);
        }
        out[r * D + a] = x;
      }
    });
    return out;
  }

  /**
   * Warns (once per solution, `process.emitWarning` with code 'NIVP_OUTSIDE_DOMAIN') when a point
   * lies outside the box the network was fitted on — the domain, grown by `margin` for problems
   * without a boundary condition: values there are extrapolation and carry no accuracy. A periodic
   * network repeats with the box: along a periodic axis its values anywhere are the solution's.
   */
  private warnOutside(data: Float64Array, method: string): void {
    const { lower, upper, periodic } = this.config.session.network;
    if (this.warnedOutside || periodic === true) return;
    const D = this.dim;
    for (let i = 0; i < data.length; i++) {
      const a = i % D;
      if (Array.isArray(periodic) && periodic[a]) continue;
      const slack = 1e-9 * (upper[a] - lower[a]);
      if (data[i] < lower[a] - slack || data[i] > upper[a] + slack) {
        this.warnedOutside = true;
        const row = Array.from(data.subarray(i - a, i - a + D));
        process.emitWarning(
          `Solution.${method}: point [${row.join(', ')}] lies outside the box the network was fitted on (lower [${lower.join(', ')}], upper [${upper.join(', ')}]); values there are extrapolation`,
          { code: 'NIVP_OUTSIDE_DOMAIN' },
        );
        return;
      }
    }
  }

  /** The points of a measurement: the run's count, or a given one that fits the free memory. */
  private sampleCount(samples: number | undefined, method: 'residual' | 'error'): number {
    if (samples === undefined) return this.config.session.samples;
    if (!(Number.isInteger(samples) && samples >= MIN_POINTS)) {
      throw new RangeError(
        `Solution.${method}: samples must be an integer ≥ ${MIN_POINTS} (a Monte Carlo estimate on fewer points says nothing), got ${samples}`,
      );
    }
    const needed = measurementBytes(this.config.session, samples, method);
    const device = availableDevice(this.config.session.network.device);
    const free = freeMemory(device);
    if (needed !== null && free !== null && needed > free) {
      throw new OutOfMemoryError(
        `Solution.${method}: ${samples} points need about ${formatBytes(needed)} but only ${formatBytes(free)} is free ${device === 'cuda' ? 'on the CUDA device' : 'on this machine'}; pass fewer samples`,
        { neededBytes: needed, limitBytes: free },
      );
    }
    return samples;
  }

  private getSession(): NativeSession {
    if (this.hold.session === undefined) {
      const { session } = this.config;
      const device = availableDevice(session.network.device);
      try {
        this.hold.session = this.makeSession({ ...session, network: { ...session.network, device } });
      } catch (e) {
        throw fromNative(e);
      }
    }
    return this.hold.session;
  }

  private handle(i: number): Handle {
    let h = this.hold.handles[i];
    if (h === undefined) {
      h = this.getSession().write(this.thetas[i]);
      this.hold.handles[i] = h;
    }
    return h;
  }

  private measurement(): number {
    this.hold.measurement ??= this.getSession().openMeasurement();
    return this.hold.measurement;
  }

  /** Runs native async work one call at a time on this solution's session. */
  private serial<T>(work: (session: NativeSession) => Promise<T>): Promise<T> {
    const run = this.queue
      .then(() => work(this.getSession()))
      .catch((e: unknown) => {
        throw fromNative(e);
      });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
