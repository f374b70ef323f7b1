/**
 * The solution file format, and an atomic file writer.
 *
 * A solution file is ONE UTF-8 JSON document (no binary side file, so it survives copying, mail
 * and version control; base64 costs a third more bytes than raw, which is fine at these sizes):
 *
 * ```jsonc
 * {
 *   "format": "neural-ivp-solution",   // always this string
 *   "version": 1,                      // FORMAT_VERSION; a reader refuses versions it does not know
 *   "problem": {                       // what rebuilds the plan: the compiled plan itself, so a
 *     "name": "heat-2d",               // problem given by `initialValues` (a JS function) still
 *     "params": { "dim": 2 },          // loads — evaluating needs only the plan and θ
 *     "plan": { …CompiledProblem… }
 *   },
 *   "options": { …ResolvedOptions without `problem`… },   // for reports and reruns
 *   "session": { …SessionConfig: network, plan, samples, linear, seed, memoryBudget… },
 *   "parameterCount": 12345,           // p: every θ decodes to exactly p numbers
 *   "times": [0, 0.5],                 // the saved times, strictly increasing (JSON round-trips
 *                                      // doubles exactly, so evaluate(x, t) keeps working)
 *   "theta": ["<base64>", …],          // θ at each saved time: p float64 values, little-endian,
 *                                      // base64 (bit-exact, NaN payloads included)
 *   "stats": { steps, rejectedSteps, dynamicsEvaluations, cgIterations, restarts, seconds,
 *              restartLog?: [{ t, reason, refitError, kept }, …],  // absent when none happened
 *              solveSeconds?,              // seconds by part; absent in older files
 *              fit?: { relativeError, seconds, iterations, method, stopped, tol, message, … } },
 *   "history": [{ t, h, cgIterations, residual, heldOutResidual?, stiffness?, restarted, cost?, refined? }, …]   // NaN residual
 *                                      // is written null; cost (seconds by part, per stage) absent in
 *                                      // older files; refined only with integrator.refine
 * }
 * ```
 *
 * The session's `plan` duplicates `problem.plan` only in memory; on disk it is written once
 * (`session.plan` is omitted and restored from `problem.plan` on read).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import type { CompiledProblem } from '../problem/plan';
import type { FitAdvice } from './fit-guard';
import type { FitReport, FitStopReason, RateFeaturesReport } from './fit-report';
import {
  DENSE_KEYS,
  IMPORTANCE,
  LINEAR,
  type NativeValues,
  type OptionTable,
  type SavedForm,
  TOP,
} from './option-table';
import type { ResolvedOptions } from './options';
import type { RestartEvent } from './restarts';
import type { SessionConfig, SessionLinearConfig, SessionSamplingConfig } from './session';

export const FORMAT_NAME = 'neural-ivp-solution';
export const FORMAT_VERSION = 1;

/** A solution file that is not one (wrong format, unknown version, a malformed or missing entry). */
export class SolutionFileError extends Error {
  /** The file read or written, when the error is about one (`Solution.load`, `save`). */
  readonly file: string | undefined;

  constructor(message: string, options?: { cause?: unknown; file?: string }) {
    super(message, options);
    this.name = 'SolutionFileError';
    this.file = options?.file;
  }
}

/** Totals of one `evolve` (docs/api.md, Solution). */
export interface SolutionStats {
  /** Accepted steps. */
  readonly steps: number;
  /** Rejected attempts (error test or failure). */
  readonly rejectedSteps: number;
  /** Dynamics solves (one per RK stage evaluated). */
  readonly dynamicsEvaluations: number;
  /** CG iterations summed over every dynamics solve (0 with the dense solver). */
  readonly cgIterations: number;
  /** Restarts (refits) during the evolve. */
  readonly restarts: number;
  /**
   * Every restart attempted, kept or not, with its reason and the refit's error; absent when none
   * happened (and in files written before it existed).
   */
  readonly restartLog?: readonly RestartEvent[];
  /** Wall seconds of the `evolve` call (an initial fit it ran included). */
  readonly seconds: number;
  /**
   * Seconds of every dynamics solve (rejected attempts included) by part; absent in files written
   * before it existed.
   */
  readonly solveSeconds?: SolveSeconds;
  /** The fit of the initial condition θ0 the run started from (absent in older files). */
  readonly fit?: FitReport;
}

/** Seconds of dynamics solves by part (native steady clock; docs/performance.md). */
export interface SolveSeconds {
  /** Drawing the Monte Carlo samples (once per attempt). */
  readonly sampling: number;
  /**
   * The forward sweep for the jets, which also fills the Jacobian caches (with gradient rows, also
   * the stencil's sweep and its right-hand side).
   */
  readonly jets: number;
  /** The right-hand side's plan on the jets. */
  readonly plan: number;
  /** The Jacobian caches when no jets are read; mixed precision's float32 copy. */
  readonly linearization: number;
  /** Building preconditioners (0 when kept ones served). */
  readonly preconditioner: number;
  /** CG, F = Jᵀf/n and the residual. */
  readonly cg: number;
  /** The residual on held-out points (`samples.heldOut`; 0 in files written before it existed). */
  readonly heldOut: number;
}

/** What one accepted step's solves cost: the parts summed over its stages, and per stage. */
export interface StepCost extends SolveSeconds {
  /** Each RK stage of the accepted attempt, in order. */
  readonly stages: readonly SolveSeconds[];
  /** PCG: the largest preconditioner rank over the stages and blocks. */
  readonly preconditionerRank: number;
  /** PCG: the oldest preconditioner's age over the stages (solves it served since it was built; 0 = fresh). */
  readonly preconditionerAge: number;
}

/** One accepted step. */
export interface StepHistoryRecord {
  /** The step's start time (it reached t + h). */
  readonly t: number;
  /** The step size. */
  readonly h: number;
  /** CG iterations summed over the accepted attempt's stage solves. */
  readonly cgIterations: number;
  /**
   * Relative PDE residual sqrt(Σ(Jθ̇ − f)² / Σ f²) of the step's first stage, θ̇ at (t, θ(t)),
   * on the step's samples.
   */
  readonly residual: number;
  /**
   * The same θ̇'s relative residual on `samples.heldOut` points drawn with the step's samples from
   * the same distribution: far above `residual`, θ̇ matches f on its points and misses it between
   * them. Absent when not measured (and in files written before it existed).
   */
  readonly heldOutResidual?: number;
  /**
   * h·ρ, ρ the fastest rate of θ's dynamics along the step, estimated from the last two stages of
   * Dormand–Prince (absent for rk23 and in files written before it existed). Near 3.3, RK45's
   * stability limit, the step size is held by stability, not by rtol: a stiff problem.
   */
  readonly stiffness?: number;
  /** True when a restart (refit) replaced θ before this step. */
  readonly restarted: boolean;
  /** Where the step's time went; absent in files written before it existed. */
  readonly cost?: StepCost;
  /** With `integrator.refine`: the step's refinement toward its function-space target. */
  readonly refined?: StepRefinement;
}

/**
 * One step's refinement (`integrator.refine`): the relative L2 distance of u from the step's
 * target u(θ_n) + h·Σ b_i f(u(θ_i)) on held-out points, at the projected step's θ (`before`: the
 * projection's defect) and at the refined θ (`after`, never above `before`).
 */
export interface StepRefinement {
  /** The projected step's distance from the target (the projection's defect). */
  readonly before: number;
  /** The refined θ's distance from the target. */
  readonly after: number;
  /** Gauss–Newton iterations run. */
  readonly iterations: number;
  /** Wall seconds of the refinement. */
  readonly seconds: number;
}

/** The resolved options minus the problem (which holds functions and is stored as its plan). */
/** The options that decide the computation (how it was spread over processes is not stored). */
export type StoredOptions = Omit<ResolvedOptions, 'problem' | 'distributed'>;

/** Everything needed to rebuild a session that evaluates the solution. */
export interface SolutionConfig {
  readonly name: string;
  readonly params: Readonly<Record<string, number>>;
  readonly plan: CompiledProblem;
  readonly options: StoredOptions;
  readonly session: SessionConfig;
  readonly parameterCount: number;
}

/** A solution as data: what `Solution` wraps and what a file holds. */
export interface SolutionData {
  readonly config: SolutionConfig;
  readonly times: readonly number[];
  /** θ at each saved time, `parameterCount` long each. */
  readonly thetas: readonly Float64Array[];
  readonly stats: SolutionStats;
  readonly history: readonly StepHistoryRecord[];
}

// ---------------------------------------------------------------------------------------------
// θ arrays: float64 little-endian, base64

const LITTLE_ENDIAN = endianness() === 'LE';

/** Base64 of the float64 values, little-endian: bit-exact. */
export function encodeFloat64(values: Float64Array): string {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i], i * 8);
  return bytes.toString('base64');
}

/** The inverse of `encodeFloat64`; `what` names the entry in errors. */
export function decodeFloat64(text: string, expectedLength: number | null, what = 'theta'): Float64Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SolutionFileError(`${what}: expected a base64 string of float64 values`);
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0)
    throw new SolutionFileError(`${what}: ${bytes.length} bytes is not a whole number of float64 values`);
  const n = bytes.length / 8;
  if (expectedLength !== null && n !== expectedLength) {
    throw new SolutionFileError(`${what}: expected ${expectedLength} values (the parameter count), got ${n}`);
  }
  const out = new Float64Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes.readDoubleLE(i * 8);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The document

/** The file's text (JSON, one document, newline-terminated). */
export function encodeSolution(data: SolutionData): string {
  const { config } = data;
  const { plan: _sessionPlan, ...session } = config.session;
  const doc = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    problem: { name: config.name, params: config.params, plan: config.plan },
    options: config.options,
    session,
    parameterCount: config.parameterCount,
    times: data.times,
    theta: data.thetas.map((theta) => encodeFloat64(theta)),
    stats: data.stats,
    history: data.history,
  };
  return `${JSON.stringify(doc)}\n`;
}

/** Parses and validates a solution file's text. Throws `SolutionFileError`. */
export function decodeSolution(text: string): SolutionData {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SolutionFileError(`not a neural-ivp solution file (not JSON: ${(e as Error).message})`, { cause: e });
  }
  const d = record(doc, 'the file');
  if (d.format !== FORMAT_NAME) {
    throw new SolutionFileError(
      `not a neural-ivp solution file (format is ${JSON.stringify(d.format)}, expected "${FORMAT_NAME}")`,
    );
  }
  if (d.version !== FORMAT_VERSION) {
    const newer = typeof d.version === 'number' && d.version > FORMAT_VERSION;
    throw new SolutionFileError(
      `unsupported solution file version ${JSON.stringify(d.version)} (this neural-ivp reads version ${FORMAT_VERSION}${
        newer ? '; the file was written by a newer neural-ivp' : ''
      })`,
    );
  }
  const problem = record(d.problem, 'problem');
  const name = string(problem.name, 'problem.name');
  const params = numberRecord(problem.params, 'problem.params');
  const plan = readPlan(problem.plan);
  const options = record(d.options, 'options') as unknown as StoredOptions;
  const session = readSession(d.session, plan);
  const parameterCount = count(d.parameterCount, 'parameterCount');

  if (!Array.isArray(d.times)) throw new SolutionFileError('times: expected an array of numbers');
  const times = d.times.map((t, i) => finite(t, `times[${i}]`));
  for (let i = 1; i < times.length; i++) {
    if (!(times[i] > times[i - 1])) throw new SolutionFileError(`times: not strictly increasing at times[${i}]`);
  }
  if (!Array.isArray(d.theta) || d.theta.length !== times.length) {
    throw new SolutionFileError(`theta: expected an array of ${times.length} base64 strings (one per saved time)`);
  }
  const thetas = d.theta.map((s, i) => decodeFloat64(s as string, parameterCount, `theta[${i}]`));

  const s = record(d.stats, 'stats');
  const stats: SolutionStats = {
    steps: count(s.steps, 'stats.steps'),
    rejectedSteps: count(s.rejectedSteps, 'stats.rejectedSteps'),
    dynamicsEvaluations: count(s.dynamicsEvaluations, 'stats.dynamicsEvaluations'),
    cgIterations: count(s.cgIterations, 'stats.cgIterations'),
    restarts: count(s.restarts, 'stats.restarts'),
    ...(s.restartLog === undefined ? {} : { restartLog: restartLog(s.restartLog, 'stats.restartLog') }),
    seconds: finite(s.seconds, 'stats.seconds'),
    ...(s.solveSeconds === undefined ? {} : { solveSeconds: solveSeconds(s.solveSeconds, 'stats.solveSeconds') }),
    ...(s.fit === undefined ? {} : { fit: readFitReport(s.fit) }),
  };
  if (!Array.isArray(d.history)) throw new SolutionFileError('history: expected an array of step records');
  const history = d.history.map((entry, i): StepHistoryRecord => {
    const r = record(entry, `history[${i}]`);
    return {
      t: finite(r.t, `history[${i}].t`),
      h: finite(r.h, `history[${i}].h`),
      cgIterations: count(r.cgIterations, `history[${i}].cgIterations`),
      residual: r.residual === null ? Number.NaN : finite(r.residual, `history[${i}].residual`),
      ...(r.heldOutResidual === undefined
        ? {}
        : {
            heldOutResidual:
              r.heldOutResidual === null ? Number.NaN : finite(r.heldOutResidual, `history[${i}].heldOutResidual`),
          }),
      ...(r.stiffness === undefined
        ? {}
        : { stiffness: r.stiffness === null ? Number.NaN : finite(r.stiffness, `history[${i}].stiffness`) }),
      restarted: r.restarted === true,
      ...(r.cost === undefined ? {} : { cost: stepCost(r.cost, `history[${i}].cost`) }),
      ...(r.refined === undefined ? {} : { refined: stepRefinement(r.refined, `history[${i}].refined`) }),
    };
  });
  return { config: { name, params, plan, options, session, parameterCount }, times, thetas, stats, history };
}

function restartLog(v: unknown, what: string): RestartEvent[] {
  if (!Array.isArray(v)) throw new SolutionFileError(`${what}: expected an array of restart records`);
  return v.map((entry, i) => {
    const r = record(entry, `${what}[${i}]`);
    if (r.reason !== 'timeFraction' && r.reason !== 'conditioning') {
      throw new SolutionFileError(`${what}[${i}].reason: expected 'timeFraction' or 'conditioning'`);
    }
    return {
      t: finite(r.t, `${what}[${i}].t`),
      reason: r.reason,
      refitError: r.refitError === null ? Number.NaN : finite(r.refitError, `${what}[${i}].refitError`),
      kept: r.kept === true,
    };
  });
}

function solveSeconds(v: unknown, what: string): SolveSeconds {
  const r = record(v, what);
  const part = (key: keyof SolveSeconds) => finite(r[key], `${what}.${key}`);
  return {
    sampling: part('sampling'),
    jets: part('jets'),
    plan: part('plan'),
    linearization: part('linearization'),
    preconditioner: part('preconditioner'),
    cg: part('cg'),
    heldOut: r.heldOut === undefined ? 0 : part('heldOut'),
  };
}

function stepCost(v: unknown, what: string): StepCost {
  const r = record(v, what);
  if (!Array.isArray(r.stages)) throw new SolutionFileError(`${what}.stages: expected an array`);
  return {
    ...solveSeconds(r, what),
    stages: r.stages.map((stage, k) => solveSeconds(stage, `${what}.stages[${k}]`)),
    preconditionerRank: count(r.preconditionerRank, `${what}.preconditionerRank`),
    preconditionerAge: count(r.preconditionerAge, `${what}.preconditionerAge`),
  };
}

function stepRefinement(v: unknown, what: string): StepRefinement {
  const r = record(v, what);
  // JSON writes a non-finite distance as null.
  const distance = (key: 'before' | 'after') => (r[key] === null ? Number.NaN : finite(r[key], `${what}.${key}`));
  return {
    before: distance('before'),
    after: distance('after'),
    iterations: count(r.iterations, `${what}.iterations`),
    seconds: finite(r.seconds, `${what}.seconds`),
  };
}

function readFitReport(v: unknown): FitReport {
  const f = record(v, 'stats.fit');
  const method = string(f.method, 'stats.fit.method');
  if (method !== 'gauss-newton' && method !== 'adam') {
    throw new SolutionFileError(`stats.fit.method: expected 'gauss-newton' or 'adam', got ${method}`);
  }
  const stopped = string(f.stopped, 'stats.fit.stopped');
  if (!['tol', 'budget', 'steps', 'stalled'].includes(stopped)) {
    throw new SolutionFileError(`stats.fit.stopped: expected 'tol', 'budget', 'steps' or 'stalled', got ${stopped}`);
  }
  return {
    // JSON writes a failed fit's NaN error as null.
    relativeError: f.relativeError === null ? Number.NaN : finite(f.relativeError, 'stats.fit.relativeError'),
    seconds: finite(f.seconds, 'stats.fit.seconds'),
    iterations: count(f.iterations, 'stats.fit.iterations'),
    method,
    stopped: stopped as FitStopReason,
    tol: f.tol === null ? null : finite(f.tol, 'stats.fit.tol'),
    message: string(f.message, 'stats.fit.message'),
    rejectedSteps: count(f.rejectedSteps, 'stats.fit.rejectedSteps'),
    cgIterations: count(f.cgIterations, 'stats.fit.cgIterations'),
    // Absent from files saved before the batch grew on stalls.
    samples: f.samples === undefined ? 0 : count(f.samples, 'stats.fit.samples'),
    headTuned: f.headTuned === true,
    // Absent from files saved before the report carried its advice.
    advice: f.advice === undefined ? [] : readAdvice(f.advice),
    // Absent from files saved before a field starting at zero was given its rate's features.
    rateFeatures: f.rateFeatures === undefined || f.rateFeatures === null ? null : readRateFeatures(f.rateFeatures),
  };
}

function readRateFeatures(v: unknown): RateFeaturesReport {
  const r = record(v, 'stats.fit.rateFeatures');
  if (!Array.isArray(r.fields)) throw new SolutionFileError('stats.fit.rateFeatures.fields: expected an array');
  return {
    fields: r.fields.map((f, i) => string(f, `stats.fit.rateFeatures.fields[${i}]`)),
    relativeError:
      r.relativeError === null ? Number.NaN : finite(r.relativeError, 'stats.fit.rateFeatures.relativeError'),
    seconds: finite(r.seconds, 'stats.fit.rateFeatures.seconds'),
  };
}

function readAdvice(v: unknown): FitAdvice[] {
  if (!Array.isArray(v)) throw new SolutionFileError('stats.fit.advice: expected an array');
  return v.map((item, i) => {
    const a = record(item, `stats.fit.advice[${i}]`);
    const now = a.now;
    if (now !== null && !['number', 'string', 'boolean'].includes(typeof now)) {
      throw new SolutionFileError(`stats.fit.advice[${i}].now: expected a number, string, boolean or null`);
    }
    return {
      option: string(a.option, `stats.fit.advice[${i}].option`),
      now: now as FitAdvice['now'],
      reason: string(a.reason, `stats.fit.advice[${i}].reason`),
    };
  });
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SolutionFileError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

function string(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new SolutionFileError(`${what}: expected a string`);
  return v;
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SolutionFileError(`${what}: expected a finite number`);
  return v;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new SolutionFileError(`${what}: expected a non-negative integer`);
  }
  return v;
}

function numberRecord(v: unknown, what: string): Record<string, number> {
  const o = record(v, what);
  for (const [k, x] of Object.entries(o)) finite(x, `${what}.${k}`);
  return o as Record<string, number>;
}

/**
 * The session config, checked and normalised as `sessionConfigFor` makes it (native code trusts
 * it): a dense solve keeps only `mu` (files written before the tagged union carried CG fields for
 * it too), PCG flags absent from older files are false and an absent `muScale` is 'absolute'
 * (what those files were solved with). The network section is checked by the
 * native Network itself, as for any user of `native().Network`.
 */
function readSession(v: unknown, plan: CompiledProblem): SessionConfig {
  const s = record(v, 'session');
  const network = record(s.network, 'session.network') as unknown as SessionConfig['network'];
  if (network.dim !== plan.dim) throw new SolutionFileError(`session.network.dim: expected ${plan.dim} (the plan's)`);
  const linear = record(s.linear, 'session.linear');
  if (linear.method !== 'pcg' && linear.method !== 'dense') {
    throw new SolutionFileError(`session.linear.method: expected "pcg" or "dense"`);
  }
  const linearConfig = {
    method: linear.method,
    ...savedValues(LINEAR, linear, 'session.linear', linear.method === 'dense' ? DENSE_KEYS : undefined),
    ...readGradientRows(linear, plan.fields.length),
  } as SessionLinearConfig;
  const samples = count(s.samples, 'session.samples');
  if (samples < 1) throw new SolutionFileError('session.samples: expected at least 1');
  return {
    network,
    plan,
    samples,
    ...(s.heldOutSamples === undefined ? {} : { heldOutSamples: count(s.heldOutSamples, 'session.heldOutSamples') }),
    sampling: readSampling(s.sampling),
    linear: linearConfig,
    ...(savedValues(TOP, s, 'session') as Pick<SessionConfig, 'seed'>),
    memoryBudget: count(s.memoryBudget, 'session.memoryBudget'),
  };
}

/** The gradient rows' weights (one per field) and stencil step; absent in older files: none. */
function readGradientRows(
  linear: Record<string, unknown>,
  fields: number,
): { gradientWeights?: number[]; stencilStep?: number; stencilDirections?: 'sampled' } {
  if (linear.gradientWeights === undefined) return {};
  const w = linear.gradientWeights;
  if (!Array.isArray(w) || w.length !== fields) {
    throw new SolutionFileError(`session.linear.gradientWeights: expected ${fields} numbers (one per field)`);
  }
  const stencilStep = finite(linear.stencilStep, 'session.linear.stencilStep');
  if (!(stencilStep > 0)) throw new SolutionFileError('session.linear.stencilStep: expected a positive number');
  const directions = linear.stencilDirections;
  if (directions !== undefined && directions !== 'sampled') {
    throw new SolutionFileError('session.linear.stencilDirections: expected "sampled" or no entry (every axis)');
  }
  return {
    gradientWeights: w.map((x, i) => nonNegative(x, `session.linear.gradientWeights[${i}]`)),
    stencilStep,
    ...(directions === undefined ? {} : { stencilDirections: directions }),
  };
}

/**
 * The options of `table` that a session config holds (those with a saved form), checked as that
 * form says; an option absent from an older file takes its `legacy` value.
 */
function savedValues(
  table: OptionTable,
  section: Record<string, unknown>,
  what: string,
  keys: readonly string[] = Object.keys(table),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const form = table[key].saved;
    if (form !== undefined) out[key] = savedValue(form, section[key], `${what}.${key}`);
  }
  return out;
}

function savedValue(form: SavedForm, v: unknown, what: string): unknown {
  if (v === undefined && 'legacy' in form && form.legacy !== undefined) return form.legacy;
  switch (form.type) {
    case 'positive': {
      const x = finite(v, what);
      if (!(x > 0)) throw new SolutionFileError(`${what}: expected a positive number`);
      return x;
    }
    case 'count': {
      const n = count(v, what);
      if (n < (form.min ?? 0)) throw new SolutionFileError(`${what}: expected an integer ≥ ${form.min}`);
      return n;
    }
    case 'share': {
      const x = finite(v, what);
      if (!(x > 0 && x <= 1)) throw new SolutionFileError(`${what}: expected a number in (0, 1]`);
      return x;
    }
    case 'partShare': {
      const x = finite(v, what);
      if (!(x >= 0 && x < 1)) throw new SolutionFileError(`${what}: expected a number in [0, 1)`);
      return x;
    }
    case 'nonNegative':
      return nonNegative(v, what);
    case 'boolean':
      if (typeof v !== 'boolean') throw new SolutionFileError(`${what}: expected true or false`);
      return v;
    case 'choice':
      if (typeof v !== 'string' || !form.choices.includes(v)) {
        throw new SolutionFileError(`${what}: expected ${form.choices.map((c) => `"${c}"`).join(' or ')}`);
      }
      return v;
  }
}

/** How the run drew its points; absent (files written before it existed): uniform, no importance. */
function readSampling(v: unknown): SessionSamplingConfig {
  if (v === undefined) return { sequence: 'uniform', importance: null };
  const s = record(v, 'session.sampling');
  if (s.sequence !== 'uniform' && s.sequence !== 'sobol') {
    throw new SolutionFileError('session.sampling.sequence: expected "uniform" or "sobol"');
  }
  if (s.importance === null || s.importance === undefined) return { sequence: s.sequence, importance: null };
  const i = record(s.importance, 'session.sampling.importance');
  const importance = savedValues(IMPORTANCE, i, 'session.sampling.importance') as NativeValues<typeof IMPORTANCE>;
  return { sequence: s.sequence, importance };
}

function nonNegative(v: unknown, what: string): number {
  const x = finite(v, what);
  if (x < 0) throw new SolutionFileError(`${what}: expected a non-negative number`);
  return x;
}

function readPlan(v: unknown): CompiledProblem {
  const p = record(v, 'problem.plan');
  count(p.dim, 'problem.plan.dim');
  if (!Array.isArray(p.fields) || p.fields.length === 0 || !p.fields.every((f) => typeof f === 'string')) {
    throw new SolutionFileError('problem.plan.fields: expected a non-empty array of field names');
  }
  for (const key of ['lower', 'upper']) {
    const b = p[key];
    if (!Array.isArray(b) || b.length !== p.dim) {
      throw new SolutionFileError(`problem.plan.${key}: expected ${p.dim} numbers`);
    }
    for (let i = 0; i < b.length; i++) finite(b[i], `problem.plan.${key}[${i}]`);
  }
  record(p.rhs, 'problem.plan.rhs');
  record(p.jets, 'problem.plan.jets');
  if (p.initial !== null) record(p.initial, 'problem.plan.initial');
  if (p.exact !== null) record(p.exact, 'problem.plan.exact');
  return p as unknown as CompiledProblem;
}

// ---------------------------------------------------------------------------------------------
// Atomic writes

/**
 * Writes `content` (a string, or chunks written in order) to `target` atomically: the data go to
 * a temporary file in the same folder, which is flushed and then renamed over `target`. Any
 * failure (a chunk that throws, a full disk, a missing folder) removes the temporary file and
 * leaves an existing `target` untouched.
 */
export async function writeFileAtomic(target: string, content: string | Iterable<string | Uint8Array>): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(temp, 'wx');
  } catch (e) {
    throw new SolutionFileError(`cannot write ${target}: ${fileProblem(e, dir)}`, { cause: e, file: target });
  }
  let closed = false;
  try {
    if (typeof content === 'string') {
      await file.writeFile(content, 'utf8');
    } else {
      for (const chunk of content) await file.writeFile(chunk);
    }
    await file.sync();
    await file.close();
    closed = true;
    await rename(temp, target);
  } catch (e) {
    if (!closed) await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw new SolutionFileError(`cannot write ${target}: ${fileProblem(e, dir)}`, { cause: e, file: target });
  }
}

/** The start of a solution file: `encodeSolution` writes the format first (a reformatted copy spaces it). */
const SOLUTION_START = new RegExp(`^\\s*\\{\\s*"format"\\s*:\\s*"${FORMAT_NAME}"`);
/** Bytes read to find it. */
const SOLUTION_START_BYTES = 256;

/**
 * Whether `target` holds something other than a solution file: a file whose first bytes are not a
 * solution's, or anything that is not a file. False when nothing is there. A user's own file at
 * the path is not replaced by a save unless they say so.
 */
export async function holdsOtherThanASolution(target: string): Promise<boolean> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(target, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    return code !== 'ENOENT';
  }
  try {
    if (!(await file.stat()).isFile()) return true;
    const head = Buffer.alloc(SOLUTION_START_BYTES);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return !SOLUTION_START.test(head.toString('utf8', 0, bytesRead));
  } catch {
    return true;
  } finally {
    await file.close().catch(() => {});
  }
}

/** A file system error in words, naming the folder when it is the folder that is missing. */
export function fileProblem(e: unknown, dir?: string): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      if (dir === undefined) return 'no such file';
      // A folder that exists and still says ENOENT to a new file (/proc, /sys) does not take files.
      return existsSync(dir) ? `the folder ${dir} does not accept new files` : `the folder ${dir} does not exist`;
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (e as Error | null)?.message ?? String(e);
  }
}
