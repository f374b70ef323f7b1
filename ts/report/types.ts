/**
 * The plain data a report is rendered from. `collectReportData` builds it from a `Solution`;
 * tests build it by hand. Everything here is JSON-friendly (numbers may be NaN or ±Infinity in
 * `history`, which the plots skip).
 */
import type { StepCost } from '../solver/solution';

/** A 2D slice of one field at one saved time: `values[j * nx + i]` = u(x_i, y_j). */
export interface HeatmapSlice {
  readonly kind: 'heatmap';
  readonly field: string;
  readonly t: number;
  /** The spatial axes on the horizontal and vertical directions. */
  readonly axes: readonly [number, number];
  /** The box range of each axis: [lower, upper]. */
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  /** Cells along x (columns) and y (rows). */
  readonly nx: number;
  readonly ny: number;
  /** ny×nx, row j = y_j (row 0 = lowest y), cell centres. */
  readonly values: ArrayLike<number>;
  /** What the other coordinates were fixed at (the box centre), for the caption. */
  readonly fixed?: readonly { readonly axis: number; readonly value: number }[];
}

/** A 1D problem's field at one saved time: u at `x[i]`. */
export interface ProfileSlice {
  readonly kind: 'profile';
  readonly field: string;
  readonly t: number;
  readonly axis: number;
  readonly x: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export type ReportSlice = HeatmapSlice | ProfileSlice;

/** One accepted step (as in `Solution.history`). */
export interface ReportStep {
  readonly t: number;
  readonly h: number;
  readonly cgIterations: number;
  readonly residual: number;
  /** The step's θ̇ on held-out points (absent when not measured). */
  readonly heldOutResidual?: number;
  readonly restarted: boolean;
  /** Where the step's time went (absent in solutions saved before it was recorded). */
  readonly cost?: ReportStepCost;
}

/** A step's `StepCost`, its per-stage parts as plain records. */
export type ReportStepCost = Omit<StepCost, 'stages'> & { readonly stages?: readonly ReportRecord[] };

/** Figures at one saved time; null where not measured (or not available: no `exact`). */
export interface SavedTimeMetrics {
  readonly t: number;
  readonly residual: number | null;
  readonly error: number | null;
}

export interface ReportProblem {
  readonly name: string;
  readonly dim: number;
  readonly fields: readonly string[];
  readonly boundary?: string;
  readonly lower?: readonly number[];
  readonly upper?: readonly number[];
  readonly params?: Readonly<Record<string, number>>;
  /** True when the problem has a closed-form `exact` solution. */
  readonly hasExact?: boolean;
}

/** A value shown in a table cell (nested objects are flattened to dotted keys). */
export type ReportValue = string | number | boolean | null | undefined | readonly ReportValue[] | ReportRecord;
export interface ReportRecord {
  readonly [key: string]: ReportValue;
}

export interface ReportData {
  /** Page title (default: "<problem name> — neural-ivp"). */
  readonly title?: string;
  readonly problem: ReportProblem;
  /** The solver options (nested objects allowed). */
  readonly options?: ReportRecord;
  /** Totals, as `Solution.stats` (without its `fit`). */
  readonly stats?: ReportRecord;
  /** The initial fit's report (`FitReport`), shown in its own table. */
  readonly fit?: ReportRecord;
  readonly history: readonly ReportStep[];
  /** The final time T (default: the end of the last step, or the last saved time). */
  readonly T?: number;
  readonly saved: readonly SavedTimeMetrics[];
  readonly slices: readonly ReportSlice[];
  /** Seconds spent in each phase. */
  readonly timings?: Readonly<Record<string, number>>;
  readonly machine?: ReportRecord;
  /** Set when the run stopped early: shown as a warning banner. */
  readonly warning?: string;
  /** Further warnings that did not stop the run (e.g. a fit that missed its tolerance). */
  readonly warnings?: readonly string[];
  /** ISO time the report was made. */
  readonly generatedAt?: string;
}
