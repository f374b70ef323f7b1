/**
 * The report's figures as inline SVG strings, written by hand (no chart library, no network):
 * heatmaps of 2D slices with a colour bar, 1D profiles, and line plots over time with restart
 * markers. Each function returns exactly one <svg> element.
 */

import { colourAt, colourStops, escapeXml, formatNumber, linearTicks, logTicks, paddedDomain, px } from './svg';
import type { HeatmapSlice, ProfileSlice } from './types';

const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

/** The lowest and highest finite values (a unit range around a constant). */
export function valueRange(values: Iterable<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 1e-3;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function* arrayValues(a: ArrayLike<number>): Generator<number> {
  for (let i = 0; i < a.length; i++) yield a[i];
}

/** Heatmap of one slice: one <rect> per cell, inside <g class="cells">, plus a colour bar. */
export function heatmapSvg(slice: HeatmapSlice, range: readonly [number, number], id: string): string {
  const { nx, ny, values, xRange, yRange, axes } = slice;
  if (values.length !== nx * ny) {
    throw new RangeError(`heatmap '${slice.field}' at t = ${slice.t}: ${values.length} values for ${nx}×${ny} cells`);
  }
  const size = 256;
  const left = 52;
  const top = 30;
  const width = 400;
  const height = top + size + 48;
  const cw = size / nx;
  const ch = size / ny;
  const [lo, hi] = range;
  const cells: string[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = values[j * nx + i];
      const fill = colourAt(Number.isFinite(v) ? (v - lo) / (hi - lo) : Number.NaN);
      cells.push(`<rect x="${i}" y="${ny - 1 - j}" width="1" height="1" fill="${fill}"/>`);
    }
  }
  const out: string[] = [];
  const title = `${slice.field} at t = ${formatNumber(slice.t, 4)}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot heatmap" data-field="${escapeXml(slice.field)}" data-t="${slice.t}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(
    `<text class="plot-title" x="${left + size / 2}" y="18" text-anchor="middle" ${FONT} font-weight="600">${escapeXml(title)}</text>`,
  );
  out.push(
    `<g class="cells" transform="translate(${left} ${top}) scale(${px(cw)} ${px(ch)})" shape-rendering="crispEdges">${cells.join('')}</g>`,
  );
  out.push(
    `<rect class="frame" x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#333" stroke-width="1"/>`,
  );
  // Axes: ticks at both ends and the middle of each range.
  const axisTicks = (r: readonly [number, number]): number[] => [r[0], (r[0] + r[1]) / 2, r[1]];
  const ticks: string[] = [];
  axisTicks(xRange).forEach((v, k) => {
    const x = left + (k * size) / 2;
    ticks.push(`<line x1="${x}" y1="${top + size}" x2="${x}" y2="${top + size + 5}" stroke="#333"/>`);
    ticks.push(`<text x="${x}" y="${top + size + 18}" text-anchor="middle" ${FONT}>${formatNumber(v)}</text>`);
  });
  axisTicks(yRange).forEach((v, k) => {
    const y = top + size - (k * size) / 2;
    ticks.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`);
    ticks.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end" ${FONT}>${formatNumber(v)}</text>`);
  });
  out.push(`<g class="axes">${ticks.join('')}</g>`);
  out.push(
    `<text class="axis-label x-label" x="${left + size / 2}" y="${top + size + 36}" text-anchor="middle" ${FONT}>x${axes[0]}</text>`,
  );
  out.push(
    `<text class="axis-label y-label" x="14" y="${top + size / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + size / 2})" ${FONT}>x${axes[1]}</text>`,
  );
  // Colour bar.
  const barX = left + size + 22;
  const gradient = `grad-${id}`;
  const stops = colourStops()
    .map(([s, c]) => `<stop offset="${px(s * 100)}%" stop-color="${c}"/>`)
    .join('');
  out.push(`<defs><linearGradient id="${gradient}" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`);
  out.push(
    `<g class="legend"><rect class="colour-bar" x="${barX}" y="${top}" width="16" height="${size}" fill="url(#${gradient})" stroke="#333" stroke-width="0.5"/>`,
  );
  for (const v of linearTicks(lo, hi, 4)) {
    const y = top + size - ((v - lo) / (hi - lo)) * size;
    out.push(`<line x1="${barX + 16}" y1="${px(y)}" x2="${barX + 21}" y2="${px(y)}" stroke="#333"/>`);
    out.push(`<text x="${barX + 24}" y="${px(y + 4)}" ${FONT}>${formatNumber(v)}</text>`);
  }
  out.push(`<text x="${barX + 8}" y="${top - 8}" text-anchor="middle" ${FONT}>${escapeXml(slice.field)}</text></g>`);
  out.push('</svg>');
  return out.join('');
}

export interface Series {
  readonly label: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly colour: string;
  /** Draw a dot at each point (default: when there are at most 60 points). */
  readonly markers?: boolean;
}

export interface LinePlot {
  /** `data-plot` attribute, for lookups. */
  readonly name: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Logarithmic y axis (non-positive values are skipped). */
  readonly log?: boolean;
  readonly xDomain?: readonly [number, number];
  /** Fixed y domain (default: from the data). */
  readonly yDomain?: readonly [number, number];
  /** Times of restarts: dashed vertical markers. */
  readonly restarts?: readonly number[];
  /** Shown instead of the plot area when no series has a drawable point. */
  readonly empty?: string;
}

/** A line plot: one <path class="series"> per series and one <line class="restart-marker"> per restart. */
export function linePlotSvg(plot: LinePlot): string {
  const width = 620;
  const height = 300;
  const left = 76;
  const right = 20;
  const top = 50;
  const bottom = 52;
  const w = width - left - right;
  const h = height - top - bottom;
  const log = plot.log === true;
  const usable = (v: number): boolean => Number.isFinite(v) && (!log || v > 0);

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of plot.series) {
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && usable(s.y[i])) {
        xs.push(s.x[i]);
        ys.push(s.y[i]);
      }
    }
  }
  const restarts = plot.restarts ?? [];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot line-plot" data-plot="${escapeXml(plot.name)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(plot.title)}">`,
  );
  out.push(`<title>${escapeXml(plot.title)}</title>`);
  out.push(
    `<text class="plot-title" x="${left + w / 2}" y="20" text-anchor="middle" ${FONT} font-weight="600">${escapeXml(plot.title)}</text>`,
  );
  out.push(
    `<rect class="plot-area" x="${left}" y="${top}" width="${w}" height="${h}" fill="#fcfcfc" stroke="#333" stroke-width="1"/>`,
  );
  out.push(
    `<text class="axis-label x-label" x="${left + w / 2}" y="${height - 10}" text-anchor="middle" ${FONT}>${escapeXml(plot.xLabel)}</text>`,
  );
  out.push(
    `<text class="axis-label y-label" x="16" y="${top + h / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + h / 2})" ${FONT}>${escapeXml(plot.yLabel)}</text>`,
  );
  if (xs.length === 0) {
    out.push(
      `<text class="empty" x="${left + w / 2}" y="${top + h / 2}" text-anchor="middle" ${FONT} fill="#777">${escapeXml(plot.empty ?? 'no data')}</text>`,
    );
    out.push('</svg>');
    return out.join('');
  }

  const [x0, x1] = plot.xDomain ?? paddedX([...xs, ...restarts]);
  const [y0, y1] = plot.yDomain ?? paddedDomain(ys, log);
  const sx = (x: number): number => left + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = log
    ? (y: number): number => top + h - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1)) * h
    : (y: number): number => top + h - ((y - y0) / (y1 - y0 || 1)) * h;

  const grid: string[] = [];
  for (const v of linearTicks(x0, x1, 6)) {
    const x = px(sx(v));
    grid.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + h}" stroke="#e4e4e4"/>`);
    grid.push(`<line x1="${x}" y1="${top + h}" x2="${x}" y2="${top + h + 5}" stroke="#333"/>`);
    grid.push(`<text x="${x}" y="${top + h + 18}" text-anchor="middle" ${FONT}>${formatNumber(v)}</text>`);
  }
  for (const v of log ? logTicks(y0, y1) : linearTicks(y0, y1, 5)) {
    const y = px(sy(v));
    grid.push(`<line x1="${left}" y1="${y}" x2="${left + w}" y2="${y}" stroke="#e4e4e4"/>`);
    grid.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`);
    grid.push(`<text x="${left - 8}" y="${y}" dy="4" text-anchor="end" ${FONT}>${formatNumber(v, 2)}</text>`);
  }
  out.push(`<g class="axes">${grid.join('')}</g>`);

  for (const t of restarts) {
    const x = px(sx(t));
    out.push(
      `<line class="restart-marker" x1="${x}" y1="${top}" x2="${x}" y2="${top + h}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="5 3"><title>restart at t = ${formatNumber(t, 4)}</title></line>`,
    );
  }

  for (const s of plot.series) {
    let d = '';
    let pen = false;
    const dots: string[] = [];
    const markers = s.markers ?? s.x.length <= 60;
    for (let i = 0; i < s.x.length; i++) {
      if (!(Number.isFinite(s.x[i]) && usable(s.y[i]))) {
        pen = false;
        continue;
      }
      const x = px(sx(s.x[i]));
      const y = px(sy(s.y[i]));
      d += `${pen ? 'L' : 'M'}${x} ${y}`;
      pen = true;
      if (markers) dots.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.colour}"/>`);
    }
    if (d === '') continue;
    out.push(
      `<path class="series" data-series="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.8" stroke-linejoin="round"/>`,
    );
    if (dots.length > 0) out.push(`<g class="markers">${dots.join('')}</g>`);
  }

  // Legend: each series, and the restart marker when there are restarts.
  const entries: string[] = [];
  let lx = left;
  const ly = top - 12;
  const legend = [
    ...plot.series.map((s) => ({ label: s.label, colour: s.colour, dash: '' })),
    ...(restarts.length > 0 ? [{ label: `restart (${restarts.length})`, colour: '#d62728', dash: '5 3' }] : []),
  ];
  if (legend.length > 1 || restarts.length > 0) {
    for (const e of legend) {
      entries.push(
        `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${e.colour}" stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ''}/>`,
      );
      entries.push(`<text x="${lx + 27}" y="${ly + 4}" ${FONT}>${escapeXml(e.label)}</text>`);
      lx += 40 + 7 * e.label.length;
    }
    out.push(`<g class="legend">${entries.join('')}</g>`);
  }
  out.push('</svg>');
  return out.join('');
}

function paddedX(xs: readonly number[]): [number, number] {
  const [lo, hi] = valueRange(xs);
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** A 1D profile: u against x, on a y range shared with the field's other times. */
export function profileSvg(slice: ProfileSlice, range: readonly [number, number]): string {
  const pad = (range[1] - range[0]) * 0.05;
  const xs = Array.from(arrayValues(slice.x));
  return linePlotSvg({
    name: `profile-${slice.field}`,
    title: `${slice.field} at t = ${formatNumber(slice.t, 4)}`,
    xLabel: `x${slice.axis}`,
    yLabel: slice.field,
    series: [{ label: slice.field, x: slice.x, y: slice.values, colour: '#1f77b4', markers: false }],
    xDomain: xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : undefined,
    yDomain: [range[0] - pad, range[1] + pad],
  });
}

export { arrayValues };
