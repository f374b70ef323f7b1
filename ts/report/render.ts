/**
 * `renderReport(data)`: a self-contained HTML page (inline CSS and SVG, no scripts, no network)
 * for one solve: the problem and options, the solution's slices at the saved times, and the run's
 * convergence plots (relative PDE residual, CG iterations and step size over time with restarts
 * marked, and the error against `exact` when there is one).
 */
import { heatmapSvg, linePlotSvg, profileSvg, valueRange } from './plots';
import { escapeXml, formatNumber } from './svg';
import type { ReportData, ReportRecord, ReportSlice, ReportStepCost, ReportValue } from './types';

/** The reports' stylesheet (also used by `renderComparison`). */
export const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1280px; padding: 0 16px; color: #222; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; font-size: 0.9em; }
.warning { background: #fff3cd; border: 1px solid #e0c36a; padding: 8px 12px; border-radius: 4px; }
.tables { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; font-weight: 500; }
td.num { font-variant-numeric: tabular-nums; text-align: right; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; }
figcaption { color: #666; font-size: 0.85em; }
svg { display: block; }
`;

/** The mark in every report's head, by which `neural-ivp run` knows a report it may replace. */
export const REPORT_GENERATOR = '<meta name="generator" content="neural-ivp">';

/** The HTML of the report (a complete document). */
export function renderReport(data: ReportData): string {
  const title = data.title ?? `${data.problem.name} — neural-ivp`;
  const parts: string[] = [];
  parts.push('<!DOCTYPE html>');
  parts.push('<html lang="en"><head><meta charset="utf-8">');
  parts.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  parts.push(REPORT_GENERATOR);
  parts.push(`<title>${escapeXml(title)}</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${escapeXml(title)}</h1>`);
  if (data.generatedAt !== undefined) parts.push(`<p class="meta">Generated ${escapeXml(data.generatedAt)}</p>`);
  if (data.warning !== undefined) parts.push(`<p class="warning">${escapeXml(data.warning)}</p>`);
  for (const w of data.warnings ?? []) parts.push(`<p class="warning">${escapeXml(w)}</p>`);

  parts.push('<section id="setup"><h2>Problem and options</h2><div class="tables">');
  parts.push(table('Problem', problemRows(data)));
  if (data.options !== undefined) parts.push(table('Options', flatten(data.options)));
  parts.push('</div></section>');

  parts.push('<section id="run"><h2>Run</h2><div class="tables">');
  if (data.stats !== undefined) parts.push(table('Totals', flatten(data.stats)));
  if (data.fit !== undefined) parts.push(table('Initial fit', flatten(data.fit)));
  if (data.timings !== undefined) {
    parts.push(
      table(
        'Timings (seconds)',
        Object.entries(data.timings).map(([k, v]) => [k, formatNumber(v, 4)]),
      ),
    );
  }
  if (data.saved.length > 0) parts.push(savedTable(data));
  if (data.machine !== undefined) parts.push(table('Machine', flatten(data.machine)));
  parts.push('</div></section>');

  parts.push('<section id="solution"><h2>Solution at the saved times</h2>');
  parts.push(slicesSection(data.slices));
  parts.push('</section>');

  parts.push('<section id="convergence"><h2>Convergence</h2><div class="figures">');
  for (const svg of convergencePlots(data)) parts.push(`<figure>${svg}</figure>`);
  parts.push('</div></section>');
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

function table(caption: string, rows: readonly (readonly [string, string])[]): string {
  const body = rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('');
  return `<table><caption>${escapeXml(caption)}</caption><tbody>${body}</tbody></table>`;
}

function valueText(v: ReportValue): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v, 6);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x: ReportValue) => valueText(x)).join(', ');
  return JSON.stringify(v);
}

/** Nested records as [dotted.key, text] rows. */
function flatten(record: ReportRecord, prefix = ''): [string, string][] {
  const rows: [string, string][] = [];
  for (const [k, v] of Object.entries(record)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) rows.push(...flatten(v as ReportRecord, key));
    else rows.push([key, valueText(v)]);
  }
  return rows;
}

function problemRows(data: ReportData): [string, string][] {
  const p = data.problem;
  const rows: [string, string][] = [
    ['name', p.name],
    ['dimension', String(p.dim)],
    ['fields', p.fields.join(', ')],
  ];
  if (p.lower !== undefined && p.upper !== undefined) {
    const lower = p.lower;
    const upper = p.upper;
    const same = lower.every((v) => v === lower[0]) && upper.every((v) => v === upper[0]);
    rows.push([
      'domain',
      same
        ? `[${formatNumber(lower[0], 6)}, ${formatNumber(upper[0], 6)}]^${p.dim}`
        : lower.map((lo, i) => `[${formatNumber(lo, 6)}, ${formatNumber(upper[i], 6)}]`).join(' × '),
    ]);
  }
  if (p.boundary !== undefined) rows.push(['boundary', p.boundary]);
  if (p.hasExact !== undefined) rows.push(['exact solution', p.hasExact ? 'yes' : 'no']);
  for (const [k, v] of Object.entries(p.params ?? {})) rows.push([`params.${k}`, formatNumber(v, 6)]);
  return rows;
}

function savedTable(data: ReportData): string {
  const cell = (v: number | null): string => `<td class="num">${v === null ? '—' : escapeXml(formatNumber(v, 4))}</td>`;
  const rows = data.saved.map(
    (s) => `<tr><td class="num">${escapeXml(formatNumber(s.t, 6))}</td>${cell(s.residual)}${cell(s.error)}</tr>`,
  );
  return `<table class="saved"><caption>Saved times</caption><thead><tr><th>t</th><th>relative residual</th><th>relative L2 error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function slicesSection(slices: readonly ReportSlice[]): string {
  if (slices.length === 0) return '<p class="meta">No slices were evaluated.</p>';
  // One colour (or y) range per field, shared across the saved times.
  const ranges = new Map<string, [number, number]>();
  for (const field of new Set(slices.map((s) => s.field))) {
    const values: number[] = [];
    for (const s of slices) {
      if (s.field !== field) continue;
      for (let i = 0; i < s.values.length; i++) values.push(s.values[i]);
    }
    ranges.set(field, valueRange(values));
  }
  const out: string[] = [];
  const first = slices[0];
  if (first.kind === 'heatmap') {
    const fixed = first.fixed ?? [];
    const where =
      fixed.length === 0
        ? ''
        : `; the other coordinates at the box centre (${fixed.map((f) => `x${f.axis} = ${formatNumber(f.value)}`).join(', ')})`;
    out.push(
      `<p class="meta">2D slices on axes x${first.axes[0]}, x${first.axes[1]}, ${first.nx}×${first.ny} cells${escapeXml(where)}. Each field has one colour scale across times.</p>`,
    );
  }
  for (const field of ranges.keys()) {
    out.push(`<h3>${escapeXml(field)}</h3><div class="figures">`);
    slices.forEach((s, k) => {
      if (s.field !== field) return;
      const range = ranges.get(field) as [number, number];
      out.push(`<figure>${s.kind === 'heatmap' ? heatmapSvg(s, range, `s${k}`) : profileSvg(s, range)}</figure>`);
    });
    out.push('</div>');
  }
  return out.join('');
}

function convergencePlots(data: ReportData): string[] {
  const h = data.history;
  const t = h.map((r) => r.t);
  const lastStep = h.length > 0 ? h[h.length - 1].t + h[h.length - 1].h : 0;
  const lastSaved = data.saved.length > 0 ? data.saved[data.saved.length - 1].t : 0;
  const T = data.T ?? Math.max(lastStep, lastSaved);
  const xDomain: [number, number] | undefined = T > 0 ? [0, T] : undefined;
  const restarts = h.filter((r) => r.restarted).map((r) => r.t);
  const empty = 'no accepted steps';
  const savedResidual = data.saved.filter((s) => s.residual !== null);
  const heldOut = h.filter((r) => r.heldOutResidual !== undefined);
  const plots = [
    linePlotSvg({
      name: 'residual',
      title: 'Relative PDE residual',
      xLabel: 't',
      yLabel: 'relative residual',
      log: true,
      xDomain,
      restarts,
      empty,
      series: [
        { label: 'per step', x: t, y: h.map((r) => r.residual), colour: '#1f77b4' },
        ...(heldOut.length > 0
          ? [
              {
                label: "the step's θ̇ on held-out points",
                x: heldOut.map((r) => r.t),
                y: heldOut.map((r) => r.heldOutResidual as number),
                colour: '#17becf',
              },
            ]
          : []),
        ...(savedResidual.length > 0
          ? [
              {
                label: 'saved times (fresh samples)',
                x: savedResidual.map((s) => s.t),
                y: savedResidual.map((s) => s.residual as number),
                colour: '#ff7f0e',
                markers: true,
              },
            ]
          : []),
      ],
    }),
    linePlotSvg({
      name: 'cg',
      title: 'CG iterations per step',
      xLabel: 't',
      yLabel: 'CG iterations',
      xDomain,
      restarts,
      empty,
      series: [{ label: 'CG iterations', x: t, y: h.map((r) => r.cgIterations), colour: '#2ca02c' }],
    }),
    linePlotSvg({
      name: 'step-size',
      title: 'Step size h',
      xLabel: 't',
      yLabel: 'step size h',
      log: true,
      xDomain,
      restarts,
      empty,
      series: [{ label: 'h', x: t, y: h.map((r) => r.h), colour: '#9467bd' }],
    }),
  ];
  const costed = h.filter((r) => r.cost !== undefined);
  if (costed.length > 0) {
    const part = (label: string, colour: string, of: (c: ReportStepCost) => number) => ({
      label,
      x: costed.map((r) => r.t),
      y: costed.map((r) => of(r.cost as ReportStepCost)),
      colour,
    });
    plots.push(
      linePlotSvg({
        name: 'cost',
        title: 'Seconds per step by part (all stages of the accepted attempt)',
        xLabel: 't',
        yLabel: 'seconds',
        xDomain,
        restarts,
        empty,
        series: [
          part('CG', '#2ca02c', (c) => c.cg),
          part('jets + plan', '#1f77b4', (c) => c.jets + c.plan),
          part('preconditioner', '#d62728', (c) => c.preconditioner),
          part('linearisation', '#9467bd', (c) => c.linearization),
          part('sampling', '#7f7f7f', (c) => c.sampling),
          part('held-out residual', '#17becf', (c) => c.heldOut),
        ],
      }),
    );
  }
  const errors = data.saved.filter((s) => s.error !== null);
  if (errors.length > 0) {
    plots.push(
      linePlotSvg({
        name: 'error',
        title: 'Relative L2 error against the exact solution',
        xLabel: 't',
        yLabel: 'relative L2 error',
        log: true,
        xDomain,
        restarts,
        empty: 'no positive errors to plot',
        series: [
          {
            label: 'error',
            x: errors.map((s) => s.t),
            y: errors.map((s) => s.error as number),
            colour: '#8c564b',
            markers: true,
          },
        ],
      }),
    );
  }
  return plots;
}
