// The HTML report of a solve: `collectReportData` evaluates a Solution, `renderReport` writes the page.
export type { CollectOptions } from './collect';
export { collectReportData, slicePoints } from './collect';
export { type ComparisonCell, type ComparisonData, renderComparison } from './comparison';
export type { LinePlot, Series } from './plots';
export { heatmapSvg, linePlotSvg, profileSvg } from './plots';
export { renderReport } from './render';
export type {
  HeatmapSlice,
  ProfileSlice,
  ReportData,
  ReportProblem,
  ReportRecord,
  ReportSlice,
  ReportStep,
  ReportValue,
  SavedTimeMetrics,
} from './types';
