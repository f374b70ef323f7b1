// The HTML report: rendered from synthetic data (no solve), checked as text, then opened in
// headless Chromium (Debian's /usr/bin/chromium through playwright-core) to check that the plots
// really render: element counts, non-empty bounding boxes, and a screenshot that is not blank.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../ts/report/render';
import type { HeatmapSlice, ReportData, ReportStep } from '../ts/report/types';

const NX = 24;
const NY = 16;
const TIMES = [0, 0.25, 0.5];
const FIELDS = ['u', 'v'];
const RESTART_STEPS = [12, 27];
const STEPS = 40;

function slice(field: string, t: number): HeatmapSlice {
  const values = new Float64Array(NX * NY);
  for (let j = 0; j < NY; j++) {
    for (let i = 0; i < NX; i++) {
      const x = -1 + (2 * (i + 0.5)) / NX;
      const y = -1 + (2 * (j + 0.5)) / NY;
      const wave =
        field === 'u' ? Math.cos((Math.PI * x) / 2) * Math.cos((Math.PI * y) / 2) : Math.sin(Math.PI * x) * y;
      values[j * NX + i] = Math.exp(-t) * wave;
    }
  }
  return {
    kind: 'heatmap',
    field,
    t,
    axes: [0, 1],
    xRange: [-1, 1],
    yRange: [-1, 1],
    nx: NX,
    ny: NY,
    values,
    fixed: [{ axis: 2, value: 0 }],
  };
}

function history(): ReportStep[] {
  const steps: ReportStep[] = [];
  let t = 0;
  for (let k = 0; k < STEPS; k++) {
    const h = 0.004 + 0.0005 * Math.sin(k);
    steps.push({
      t,
      h,
      cgIterations: 20 + 3 * (k % 7),
      residual: k === 5 ? Number.NaN : 1e-3 * (1 + k / 10),
      restarted: RESTART_STEPS.includes(k),
    });
    t += h;
  }
  return steps;
}

function data(overrides: Partial<ReportData> = {}): ReportData {
  return {
    problem: {
      name: 'synthetic <b>&amp; heat',
      dim: 3,
      fields: FIELDS,
      boundary: 'dirichlet',
      lower: [-1, -1, -1],
      upper: [1, 1, 1],
      params: { diffusivity: 0.1 },
      hasExact: true,
    },
    options: { network: { width: 32, depth: 2 }, samples: 2000, integrator: { method: 'rk23', rtol: 1e-3 } },
    stats: { steps: STEPS, rejectedSteps: 3, dynamicsEvaluations: 160, cgIterations: 3400, restarts: 2, seconds: 4.2 },
    history: history(),
    T: 0.5,
    saved: TIMES.map((t, i) => ({ t, residual: 1e-3 * (i + 1), error: 1e-4 * 3 ** i })),
    slices: TIMES.flatMap((t) => FIELDS.map((f) => slice(f, t))),
    timings: { fit: 1.5, evolve: 4.2, evaluate: 0.3, total: 6.1 },
    machine: { device: 'cpu', cpus: 2, torchVersion: '2.5.0' },
    generatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const SLICES = TIMES.length * FIELDS.length;
/** residual, CG iterations, step size, error. */
const LINE_PLOTS = 4;
const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

describe('renderReport (HTML text)', () => {
  const html = renderReport(data());

  it('is one self-contained document: no scripts, no external resources', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('has one <svg> per plot: a heatmap per field and saved time, and the line plots', () => {
    expect(count(html, /<svg\b/g)).toBe(SLICES + LINE_PLOTS);
    expect(count(html, /class="plot heatmap"/g)).toBe(SLICES);
    for (const name of ['residual', 'cg', 'step-size', 'error']) expect(html).toContain(`data-plot="${name}"`);
  });

  it('plots the seconds per step by part when the history records them', () => {
    expect(html).not.toContain('data-plot="cost"');
    const cost = {
      sampling: 0.01,
      jets: 0.2,
      plan: 0.001,
      linearization: 0,
      preconditioner: 0.05,
      cg: 0.4,
      heldOut: 0.002,
    };
    const costed = renderReport(
      data({
        history: history().map((r, k) => ({
          ...r,
          cost: { ...cost, cg: 0.4 + 0.01 * k, preconditionerRank: 150, preconditionerAge: k % 3 },
        })),
      }),
    );
    expect(count(costed, /<svg\b/g)).toBe(SLICES + LINE_PLOTS + 1);
    expect(costed).toContain('data-plot="cost"');
    for (const label of ['CG', 'jets + plan', 'preconditioner', 'linearisation', 'sampling']) {
      expect(costed).toContain(`>${label}<`);
    }
  });

  it('draws nx×ny cells per heatmap', () => {
    const groups = html.match(/<g class="cells"[^>]*>(.*?)<\/g>/g) ?? [];
    expect(groups).toHaveLength(SLICES);
    for (const g of groups) expect(count(g, /<rect\b/g)).toBe(NX * NY);
  });

  it('labels the axes and the colour scales', () => {
    expect(count(html, /class="axis-label x-label"[^>]*>x0</g)).toBe(SLICES);
    expect(count(html, /class="axis-label y-label"[^>]*>x1</g)).toBe(SLICES);
    expect(count(html, /class="axis-label x-label"[^>]*>t</g)).toBe(LINE_PLOTS);
    for (const label of ['relative residual', 'CG iterations', 'step size h', 'relative L2 error']) {
      expect(html).toMatch(new RegExp(`class="axis-label y-label"[^>]*>${label}<`));
    }
    expect(count(html, /class="colour-bar"/g)).toBe(SLICES);
    expect(html).toContain('x2 = 0'); // the slice's fixed coordinate, in the caption
  });

  it('marks each restart on every plot over time', () => {
    expect(count(html, /class="restart-marker"/g)).toBe(RESTART_STEPS.length * LINE_PLOTS);
    expect(html).toContain(`restart (${RESTART_STEPS.length})`);
  });

  it('tabulates the problem, options, totals and saved times, escaping text', () => {
    expect(html).toContain('synthetic &lt;b&gt;&amp;amp; heat');
    expect(html).not.toContain('<b>&amp; heat');
    expect(html).toContain('network.width');
    expect(html).toContain('integrator.method');
    expect(html).toContain('params.diffusivity');
    expect(html).toContain('<caption>Saved times</caption>');
    expect(html).toContain('relative L2 error');
  });

  it('leaves the error plot out without errors, and says so when there are no steps', () => {
    const noExact = renderReport(data({ saved: TIMES.map((t) => ({ t, residual: null, error: null })), history: [] }));
    expect(count(noExact, /<svg\b/g)).toBe(SLICES + LINE_PLOTS - 1);
    expect(noExact).not.toContain('data-plot="error"');
    expect(count(noExact, /no accepted steps/g)).toBe(3);
    expect(noExact).not.toContain('restart-marker');
  });

  it('draws 1D problems as profiles', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => -1 + (2 * (i + 0.5)) / 50);
    const html1 = renderReport(
      data({
        problem: { name: 'line', dim: 1, fields: ['u'] },
        slices: TIMES.map((t) => ({
          kind: 'profile',
          field: 'u',
          t,
          axis: 0,
          x,
          values: x.map((v) => Math.exp(-t) * v),
        })),
      }),
    );
    expect(count(html1, /<svg\b/g)).toBe(TIMES.length + LINE_PLOTS);
    expect(count(html1, /data-plot="profile-u"/g)).toBe(TIMES.length);
  });

  it('shows a warning banner for a run that stopped early', () => {
    expect(renderReport(data({ warning: 'stopped at t = 0.3' }))).toContain('class="warning">stopped at t = 0.3<');
  });

  it('tabulates the initial fit and shows warnings that did not stop the run', () => {
    const html = renderReport(
      data({
        fit: { relativeError: 3e-4, method: 'gauss-newton', stopped: 'budget', tol: 1e-6 },
        warnings: ['the fit missed <its> tolerance'],
      }),
    );
    expect(html).toContain('<caption>Initial fit</caption>');
    expect(html).toContain('<th>stopped</th><td>budget</td>');
    expect(html).toContain('class="warning">the fit missed &lt;its&gt; tolerance<');
    expect(renderReport(data())).not.toContain('Initial fit');
  });

  it('rejects a slice whose values do not fill its grid', () => {
    const bad = { ...slice('u', 0), values: new Float64Array(NX * NY - 1) };
    expect(() => renderReport(data({ slices: [bad] }))).toThrow(RangeError);
  });
});

/** The DOM members used inside the page (the project's TypeScript has no DOM lib). */
interface DomBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface DomElement {
  getBoundingClientRect(): DomBox;
  getBBox(): DomBox;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `report-html: ${CHROMIUM} is missing, so the browser rendering checks are skipped (install Debian's 'chromium' package: apt-get install -y chromium)`,
  );
}

describe.skipIf(!hasChromium)('renderReport in headless Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    dir = await mkdtemp(path.join(tmpdir(), 'neural-ivp-report-'));
    const file = path.join(dir, 'report.html');
    await writeFile(file, renderReport(data()));
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) failed.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(failed).toEqual([]); // nothing fetched but the file itself
  });

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lays out every svg with a non-empty box', async () => {
    const boxes = await page.$$eval('svg', (svgs) =>
      (svgs as unknown as DomElement[]).map((s) => {
        const r = s.getBoundingClientRect();
        return { w: r.width, h: r.height, cls: s.getAttribute('class') ?? '' };
      }),
    );
    expect(boxes).toHaveLength(SLICES + LINE_PLOTS);
    for (const b of boxes) {
      expect(b.w).toBeGreaterThan(100);
      expect(b.h).toBeGreaterThan(100);
    }
  });

  it('renders every heatmap cell with a non-zero box inside its plot area', async () => {
    const cells = await page.$$eval('svg.heatmap', (svgs) =>
      (svgs as unknown as DomElement[]).map((svg) => {
        const frame = (svg.querySelector('rect.frame') as DomElement).getBoundingClientRect();
        const rects = Array.from(svg.querySelectorAll('g.cells rect'));
        let empty = 0;
        let outside = 0;
        const fills = new Set<string>();
        for (const rect of rects) {
          const r = rect.getBoundingClientRect();
          if (!(r.width > 0 && r.height > 0)) empty++;
          if (
            r.left < frame.left - 0.5 ||
            r.right > frame.right + 0.5 ||
            r.top < frame.top - 0.5 ||
            r.bottom > frame.bottom + 0.5
          ) {
            outside++;
          }
          fills.add(rect.getAttribute('fill') ?? '');
        }
        return { n: rects.length, empty, outside, fills: fills.size, frame: frame.width * frame.height };
      }),
    );
    expect(cells).toHaveLength(SLICES);
    for (const c of cells) {
      expect(c.n).toBe(NX * NY);
      expect(c.empty).toBe(0);
      expect(c.outside).toBe(0);
      expect(c.fills).toBeGreaterThan(30);
      expect(c.frame).toBeGreaterThan(200 * 200);
    }
  });

  it('draws the series as paths with extent, and the restart markers full height', async () => {
    const plots = await page.$$eval('svg.line-plot', (svgs) =>
      (svgs as unknown as DomElement[]).map((svg) => {
        const area = (svg.querySelector('rect.plot-area') as DomElement).getBoundingClientRect();
        const paths = Array.from(svg.querySelectorAll('path.series')).map((p) => p.getBBox());
        const markers = Array.from(svg.querySelectorAll('line.restart-marker')).map((l) => l.getBoundingClientRect());
        return {
          name: svg.getAttribute('data-plot'),
          areaHeight: area.height,
          paths: paths.map((b) => ({ w: b.width, h: b.height })),
          markers: markers.map((m) => ({
            h: m.height,
            x: m.left,
            inside: m.left >= area.left && m.right <= area.right,
          })),
        };
      }),
    );
    expect(plots.map((p) => p.name)).toEqual(['residual', 'cg', 'step-size', 'error']);
    for (const p of plots) {
      expect(p.paths.length).toBeGreaterThan(0);
      for (const b of p.paths) expect(b.w).toBeGreaterThan(10);
      expect(Math.max(...p.paths.map((b) => b.h))).toBeGreaterThan(10);
      expect(p.markers).toHaveLength(RESTART_STEPS.length);
      for (const m of p.markers) {
        expect(m.inside).toBe(true);
        expect(m.h).toBeGreaterThan(0.9 * p.areaHeight);
      }
      expect(p.markers[1].x).toBeGreaterThan(p.markers[0].x);
    }
  });

  it('paints a screenshot that is far from blank', async () => {
    const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
    const colours = new Set<number>();
    let ink = 0;
    const { data: px, width, height } = png;
    for (let i = 0; i < px.length; i += 4) {
      const [r, g, b] = [px[i], px[i + 1], px[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      if (r < 235 || g < 235 || b < 235) ink++;
    }
    expect(width).toBeGreaterThan(1000);
    expect(height).toBeGreaterThan(1000);
    expect(colours.size).toBeGreaterThan(300);
    expect(ink / (width * height)).toBeGreaterThan(0.05);

    // One heatmap on its own: mostly colour-mapped cells.
    const cellsElement = await page.$('svg.heatmap g.cells');
    expect(cellsElement).not.toBeNull();
    const one = PNG.sync.read(await (cellsElement as NonNullable<typeof cellsElement>).screenshot());
    const cellColours = new Set<number>();
    for (let i = 0; i < one.data.length; i += 4)
      cellColours.add((one.data[i] << 16) | (one.data[i + 1] << 8) | one.data[i + 2]);
    expect(cellColours.size).toBeGreaterThan(50);
  });
});
