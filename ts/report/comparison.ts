/**
 * `renderComparison(data)`: a self-contained HTML page (inline CSS and SVG, no scripts) that sets
 * several runs side by side — the paper-reproduction examples use it for "EDNN vs Neural IVP vs
 * finite differences". It holds a summary table, line plots with one series per run, and links to
 * each run's own report.
 */
import { type LinePlot, linePlotSvg } from './plots';
import { STYLE } from './render';
import { escapeXml, formatNumber } from './svg';

/** A table cell: integers are shown whole, other numbers to 4 significant digits, null as —. */
export type ComparisonCell = string | number | null;

export interface ComparisonData {
  readonly title: string;
  /** Paragraphs under the title (plain text). */
  readonly notes?: readonly string[];
  readonly table: {
    readonly caption: string;
    readonly header: readonly string[];
    readonly rows: readonly (readonly ComparisonCell[])[];
  };
  readonly plots: readonly LinePlot[];
  /** Each run's report, relative to the page: [label, href]. */
  readonly links?: readonly (readonly [string, string])[];
  readonly generatedAt?: string;
}

function cellHtml(v: ComparisonCell): string {
  if (v === null) return '<td class="num">—</td>';
  if (typeof v === 'number') {
    return `<td class="num">${escapeXml(Number.isInteger(v) ? String(v) : formatNumber(v, 4))}</td>`;
  }
  return `<td>${escapeXml(v)}</td>`;
}

/** The HTML of the comparison page (a complete document). */
export function renderComparison(data: ComparisonData): string {
  const { table } = data;
  for (const [i, row] of table.rows.entries()) {
    if (row.length !== table.header.length) {
      throw new RangeError(`renderComparison: row ${i} has ${row.length} cells for ${table.header.length} columns`);
    }
  }
  const parts: string[] = [];
  parts.push('<!DOCTYPE html>');
  parts.push('<html lang="en"><head><meta charset="utf-8">');
  parts.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  parts.push(`<title>${escapeXml(data.title)}</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${escapeXml(data.title)}</h1>`);
  if (data.generatedAt !== undefined) parts.push(`<p class="meta">Generated ${escapeXml(data.generatedAt)}</p>`);
  for (const note of data.notes ?? []) parts.push(`<p>${escapeXml(note)}</p>`);

  const head = table.header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = table.rows.map((row) => `<tr>${row.map(cellHtml).join('')}</tr>`).join('');
  parts.push(
    `<section id="summary"><table class="comparison"><caption>${escapeXml(table.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`,
  );
  parts.push('<section id="plots"><div class="figures">');
  for (const plot of data.plots) parts.push(`<figure>${linePlotSvg(plot)}</figure>`);
  parts.push('</div></section>');
  if (data.links !== undefined && data.links.length > 0) {
    const items = data.links.map(([label, href]) => `<li><a href="${escapeXml(href)}">${escapeXml(label)}</a></li>`);
    parts.push(`<section id="runs"><h2>Reports of each run</h2><ul>${items.join('')}</ul></section>`);
  }
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
