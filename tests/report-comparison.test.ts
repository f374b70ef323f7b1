// renderComparison: the side-by-side page of the paper-reproduction examples.
import { describe, expect, it } from 'vitest';
import { renderComparison } from '../ts/report/index';

const page = renderComparison({
  title: 'EDNN vs <Neural IVP>',
  notes: ['residual & error'],
  table: {
    caption: 'Summary',
    header: ['run', 'p', 'error'],
    rows: [
      ['EDNN', 3091, 0.000123456],
      ['Neural IVP', 14593, null],
    ],
  },
  plots: [
    {
      name: 'residual',
      title: 'Relative PDE residual',
      xLabel: 't',
      yLabel: 'residual',
      log: true,
      series: [
        { label: 'EDNN', x: [0, 0.5, 1], y: [0.5, 0.4, 0.3], colour: '#1f77b4' },
        { label: 'Neural IVP', x: [0, 0.5, 1], y: [0.05, 0.04, Number.NaN], colour: '#ff7f0e' },
      ],
    },
  ],
  links: [['EDNN', 'ednn/report.html']],
});

describe('renderComparison', () => {
  it('writes a complete, escaped, script-free page', () => {
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('<title>EDNN vs &lt;Neural IVP&gt;</title>');
    expect(page).toContain('<p>residual &amp; error</p>');
    expect(page).not.toMatch(/<script|(src|href)="https?:/); // nothing fetched: only the SVG namespace URI
  });

  it('has one table row per run, integers whole, other numbers to 4 digits and — for null', () => {
    const body = /<tbody>(.*?)<\/tbody>/s.exec(page)?.[1] ?? '';
    const rows = body.match(/<tr>.*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('<td>EDNN</td>');
    expect(rows[0]).toMatch(/0\.0001235|1\.235e-4/);
    expect(rows[1]).toContain('<td class="num">—</td>');
    expect(rows[1]).toContain('<td class="num">14593</td>');
  });

  it('draws one path per series and links each run', () => {
    expect(page.match(/<path class="series"/g)).toHaveLength(2);
    expect(page).toContain('data-series="Neural IVP"');
    expect(page).toContain('<a href="ednn/report.html">EDNN</a>');
  });

  it('refuses rows that do not match the header', () => {
    expect(() =>
      renderComparison({ title: 't', table: { caption: 'c', header: ['a', 'b'], rows: [['x']] }, plots: [] }),
    ).toThrow(/row 0 has 1 cells for 2 columns/);
  });
});
