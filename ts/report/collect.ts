/**
 * `collectReportData(solution, problem)`: evaluates a solution for the report — a grid slice of
 * each field at each saved time, and the relative residual and error at the saved times — and
 * returns it as plain `ReportData`.
 */
import { describeBoundary } from '../problem/boundary';
import type { Problem } from '../problem/define';
import { fitWarning } from '../solver/fit-report';
import { heldOutWarning } from '../solver/projection-check';
import type { Solution, SolveSeconds } from '../solver/solution';
import type { HeatmapSlice, ProfileSlice, ReportData, ReportRecord, ReportSlice, SavedTimeMetrics } from './types';

export interface CollectOptions {
  /** Cells per axis of the 2D slices (default 64; 1D profiles use 4× as many points). */
  grid?: number;
  /** Measure the residual at each saved time (default true). */
  residuals?: boolean;
  /** Measure the error at each saved time when the problem has `exact` (default true). */
  errors?: boolean;
  /** Fresh samples for those measurements (default: the run's `samples`). */
  samples?: number;
}

/** The points of a grid slice through the box centre on axes 0 and 1 (cell centres, row-major). */
export function slicePoints(
  lower: readonly number[],
  upper: readonly number[],
  nx: number,
  ny: number,
): { points: Float64Array; fixed: { axis: number; value: number }[] } {
  const D = lower.length;
  const centre = lower.map((lo, a) => (lo + upper[a]) / 2);
  const points = new Float64Array(nx * ny * D);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const row = (j * nx + i) * D;
      for (let a = 0; a < D; a++) points[row + a] = centre[a];
      points[row] = lower[0] + ((i + 0.5) * (upper[0] - lower[0])) / nx;
      points[row + 1] = lower[1] + ((j + 0.5) * (upper[1] - lower[1])) / ny;
    }
  }
  const fixed = centre.slice(2).map((value, k) => ({ axis: k + 2, value }));
  return { points, fixed };
}

/** Runs `f`, giving null when it throws (a figure that could not be measured). */
async function measured(f: () => Promise<number>): Promise<number | null> {
  try {
    const v = await f();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Evaluates `solution` (computed for `problem`) into report data. */
export async function collectReportData(
  solution: Solution,
  problem: Problem,
  options: CollectOptions = {},
): Promise<ReportData> {
  const grid = options.grid ?? 64;
  if (!(Number.isInteger(grid) && grid >= 2 && grid <= 1024)) {
    throw new RangeError(`collectReportData: grid must be an integer in [2, 1024], got ${grid}`);
  }
  const { lower, upper } = problem;
  const D = problem.dim;
  const k = problem.fields.length;
  const hasExact = problem.plan.exact !== null;
  const slices: ReportSlice[] = [];
  const saved: SavedTimeMetrics[] = [];

  const heat = D >= 2 ? slicePoints(lower, upper, grid, grid) : undefined;
  const line =
    D === 1
      ? Float64Array.from({ length: grid * 4 }, (_, i) => lower[0] + ((i + 0.5) * (upper[0] - lower[0])) / (grid * 4))
      : undefined;

  for (const t of solution.times) {
    const points = heat?.points ?? (line as Float64Array);
    const values = await solution.evaluateAsync(points, t);
    const n = points.length / D;
    for (let f = 0; f < k; f++) {
      const column = new Float64Array(n);
      for (let i = 0; i < n; i++) column[i] = values[i * k + f];
      if (heat !== undefined) {
        const slice: HeatmapSlice = {
          kind: 'heatmap',
          field: problem.fields[f],
          t,
          axes: [0, 1],
          xRange: [lower[0], upper[0]],
          yRange: [lower[1], upper[1]],
          nx: grid,
          ny: grid,
          values: column,
          fixed: heat.fixed,
        };
        slices.push(slice);
      } else {
        const slice: ProfileSlice = {
          kind: 'profile',
          field: problem.fields[f],
          t,
          axis: 0,
          x: line as Float64Array,
          values: column,
        };
        slices.push(slice);
      }
    }
    const residual = options.residuals === false ? null : await measured(() => solution.residual(t, options.samples));
    const error =
      hasExact && options.errors !== false ? await measured(() => solution.error(t, options.samples)) : null;
    saved.push({ t, residual, error });
  }

  const lastStep = solution.history.at(-1);
  const { fit, ...stats } = solution.stats;
  const warnings = [fit === undefined ? undefined : fitWarning(fit), heldOutWarning(solution.history)].filter(
    (w): w is string => w !== undefined,
  );
  return {
    problem: {
      name: solution.name,
      dim: D,
      fields: [...problem.fields],
      boundary: describeBoundary(problem.boundary),
      lower: [...lower],
      upper: [...upper],
      params: { ...problem.params },
      hasExact,
    },
    options: { ...(solution.options as unknown as ReportRecord), parameterCount: solution.parameterCount },
    stats: {
      ...stats,
      restartLog: stats.restartLog?.map((event): ReportRecord => ({ ...event })),
      solveSeconds: stats.solveSeconds && plain(stats.solveSeconds),
    },
    ...(fit === undefined
      ? {}
      : {
          fit: {
            ...fit,
            advice: fit.advice.map((a): ReportRecord => ({ ...a })),
            rateFeatures:
              fit.rateFeatures === null ? null : { ...fit.rateFeatures, fields: [...fit.rateFeatures.fields] },
          },
        }),
    ...(warnings.length === 0 ? {} : { warnings }),
    history: solution.history.map((r) => ({ ...r, cost: r.cost && { ...r.cost, stages: r.cost.stages.map(plain) } })),
    T: Math.max(lastStep === undefined ? 0 : lastStep.t + lastStep.h, solution.times.at(-1) ?? 0),
    saved,
    slices,
    generatedAt: new Date().toISOString(),
  };
}

/** Solve seconds as a plain record (the report's data is JSON-shaped). */
function plain(s: SolveSeconds): ReportRecord {
  return { ...s };
}
