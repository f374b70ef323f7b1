// `neural-ivp run` end to end: with a JavaScript stand-in session (always), and with the native
// session (once the addon has it) on a tiny 2D heat problem.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interrupted } from '../ts/cli/errors';
import { Solution } from '../ts/solver/solution';
import { cli } from './cli-helpers';
import { fakeFactory } from './solver-fake-session';

interface Metrics {
  status: string;
  warning?: string;
  problem: { name: string; dim: number; fields: string[]; source: string; hasExact: boolean };
  T: number;
  saveAt: number[];
  parameterCount: number;
  options: {
    network: { width: number; depth: number };
    samples: number;
    linear: { method: string };
    restarts: unknown;
  };
  fit: {
    relativeError: number;
    seconds: number;
    method: string;
    stopped: string;
    tol: number | null;
    advice: { option: string }[];
  };
  warnings: string[];
  stats: { steps: number; restarts: number; solveSeconds?: Record<string, number> };
  saved: { t: number; residual: number | null; error: number | null }[];
  history: {
    t: number;
    h: number;
    cgIterations: number;
    residual: number | null;
    restarted: boolean;
    cost?: { stages: unknown[] };
  }[];
  timings: Record<string, number>;
  machine: Record<string, unknown>;
  command: string[];
}

const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;
const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neural-ivp-cli-run-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('neural-ivp run (stand-in session)', () => {
  it('writes solution.json, metrics.json and report.html, and the solution loads', async () => {
    const fake = fakeFactory();
    const out = path.join(root, 'heat');
    const args = ['run', 'heat', '--dim', '2', '--T', '0.2', '--save-at', '0,0.1,0.2', '--out', out, '--grid', '12'];
    const r = await cli(
      [...args, '--width', '16', '--depth', '2', '--samples', '500', '--no-restarts', '--seed', '3'],
      {
        createSession: fake.make,
      },
    );
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const files = ['solution.json', 'metrics.json', 'report.html'].map((f) => path.join(out, f));
    expect(r.stdout.trim().split('\n')).toEqual(files);

    const config = fake.sessions[0].config;
    expect(config.network.width).toBe(16);
    expect(config.network.depth).toBe(2);
    expect(config.network.dim).toBe(2);
    expect(config.samples).toBe(500);
    expect(config.seed).toBe(3);

    const m = await readJson<Metrics>(files[1]);
    expect(m.status).toBe('complete');
    expect(m.problem).toMatchObject({ name: 'heat-2d', dim: 2, fields: ['u'], source: 'heat', hasExact: true });
    expect(m.T).toBe(0.2);
    expect(m.saveAt).toEqual([0, 0.1, 0.2]);
    expect(m.options.network).toMatchObject({ width: 16, depth: 2 });
    expect(m.options.restarts).toBe(false);
    expect(m.saved.map((s) => s.t)).toEqual([0, 0.1, 0.2]);
    for (const s of m.saved) {
      expect(s.residual).toBe(0.01);
      expect(s.error).toBe(0.02);
    }
    expect(m.history.length).toBe(m.stats.steps);
    expect(m.history.length).toBeGreaterThan(0);
    // The stand-in fit (error 1e-3) misses the default tolerance: a warning, not a failure.
    expect(m.fit).toMatchObject({ relativeError: 1e-3, method: 'gauss-newton', stopped: 'steps', tol: 1e-5 });
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toMatch(/above its tolerance/);
    expect(r.stderr).toMatch(/warning: the initial fit reached a relative error of 1\.00e-3/);
    // The solver's own advice, not a generic remedy: the stand-in fit ran out of iterations.
    const advice = /what would help: fit\.maxIterations \(now \d+\): the fit ran out of iterations/;
    expect(m.warnings[0]).toMatch(advice);
    expect(r.stderr).toMatch(advice);
    expect(m.fit.advice).toEqual([expect.objectContaining({ option: 'fit.maxIterations' })]);
    expect(Object.keys(m.timings).sort()).toEqual(['evaluate', 'evolve', 'fit', 'total']);
    expect(m.machine).toHaveProperty('cpus');
    expect(m.machine).toHaveProperty('node');
    expect(m.command).toEqual([
      'neural-ivp',
      ...args,
      '--width',
      '16',
      '--depth',
      '2',
      '--samples',
      '500',
      '--no-restarts',
      '--seed',
      '3',
    ]);

    const html = await readFile(files[2], 'utf8');
    // a heatmap per saved time; residual, CG, h, seconds per step by part, error
    expect(count(html, /<svg\b/g)).toBe(3 + 5);
    expect(html).toContain('data-plot="cost"');
    for (const g of html.match(/<g class="cells"[^>]*>(.*?)<\/g>/g) ?? []) expect(count(g, /<rect\b/g)).toBe(144);

    const loaded = await Solution.load(files[0], { makeSession: fakeFactory().make });
    expect(loaded.times).toEqual([0, 0.1, 0.2]);
    expect(loaded.stats).toEqual(m.stats);
    expect(loaded.theta(0.2).length).toBe(m.parameterCount);
  });

  it('--quiet writes nothing on stderr; the progress lines appear otherwise', async () => {
    const quiet = await cli(
      ['run', 'heat', '--T', '0.1', '--out', path.join(root, 'quiet'), '--grid', '4', '--quiet'],
      {
        createSession: fakeFactory().make,
      },
    );
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const loud = await cli(['run', 'heat', '--T', '0.1', '--out', path.join(root, 'loud'), '--grid', '4'], {
      createSession: fakeFactory().make,
    });
    expect(loud.code).toBe(0);
    expect(loud.stderr).toMatch(/fitting the initial condition/);
    expect(loud.stderr).toMatch(/evolving to T = 0\.1/);
    expect(loud.stderr).toMatch(/steps \(\d+ rejected\)/);
    expect(loud.stderr).not.toMatch(/held-out/);
  });

  it('says after three steps, and again in the summary and metrics.json, when θ̇ misses f between its samples', async () => {
    const out = path.join(root, 'held-out');
    const r = await cli(['run', 'heat', '--T', '0.1', '--out', out, '--grid', '4'], {
      createSession: fakeFactory({ heldOutResidual: 0.5 }).make,
    });
    expect(r.code).toBe(0);
    const said = r.stderr.split('\n').filter((l) => l.includes('not on held-out points (median 5.00e-1)'));
    expect(said).toHaveLength(2);
    const m = await readJson<{ warnings: string[] }>(path.join(out, 'metrics.json'));
    expect(m.warnings).toContainEqual(expect.stringContaining('median residual 1.00e-2'));
  });

  it('maps the solver flags onto the options', async () => {
    const fake = fakeFactory();
    const out = path.join(root, 'flags');
    const r = await cli(
      ['run', 'wave', '--dim', '3', '--T', '0.05', '--out', out, '--grid', '4', '--quiet'].concat(
        [
          '--method',
          'rk23',
          '--rtol',
          '0.001',
          '--linear',
          'pcg',
          '--rank',
          '7',
          '--gradient-weight',
          'phi=2',
          '--gradient-directions',
          'axes',
          '--fit-steps',
          '11',
          '--fit-batch',
          '99',
        ],
        ['--dtype', 'float32', '--device', 'cpu', '--restarts'],
      ),
      { createSession: fake.make },
    );
    expect(r.code).toBe(0);
    const m = await readJson<Metrics & { options: Record<string, unknown> }>(path.join(out, 'metrics.json'));
    expect(m.options).toMatchObject({
      integrator: { method: 'rk23', rtol: 0.001 },
      linear: { method: 'pcg', rank: 7, gradientWeight: { phi: 2, psi: 0 }, gradientDirections: 'axes' },
      fit: { steps: 11, batch: 99 },
      dtype: 'float32',
      device: 'cpu',
      restarts: { timeFraction: null, cgIterations: 500 },
    });
    expect(fake.sessions[0].config.network.dtype).toBe('float32');
    // φ's weight reaches the native config, with a stencil step of 1e-4 times the half-width (1).
    expect(fake.sessions[0].config.linear).toMatchObject({ gradientWeights: [2, 0], stencilStep: 1e-4 });
    // Every axis, as asked (a 3D problem's default is one sampled direction per point).
    expect(fake.sessions[0].config.linear).not.toHaveProperty('stencilDirections');
    expect(fake.sessions[0].lastFitConfig?.maxIterations).toBe(11);
  });

  it('--fit-steps raises the iteration cap above the method default as well as lowering it', async () => {
    const fake = fakeFactory();
    const out = path.join(root, 'fit-steps-up');
    const r = await cli(['run', 'heat', '--T', '0.05', '--out', out, '--grid', '4', '--quiet', '--fit-steps', '500'], {
      createSession: fake.make,
    });
    expect(r.code).toBe(0);
    const m = await readJson<Metrics & { options: Record<string, unknown> }>(path.join(out, 'metrics.json'));
    expect(m.options).toMatchObject({ fit: { steps: 500, maxIterations: 500 } });
    expect(fake.sessions[0].lastFitConfig?.maxIterations).toBe(500);
  });

  it("a boundary-'none' problem's margin covers what flows into the domain by --T", async () => {
    // The catalogue's advection moves at speed 1 on [-1, 1]: by T = 2 it reads 2 half-widths out.
    const fake = fakeFactory();
    const out = path.join(root, 'inflow');
    const r = await cli(['run', 'advection', '--T', '2', '--out', out, '--grid', '4', '--quiet'], {
      createSession: fake.make,
    });
    expect(r.code).toBe(0);
    const m = await readJson<Metrics & { options: Record<string, unknown> }>(path.join(out, 'metrics.json'));
    expect(m.options.margin).toBe(2);
    expect(fake.sessions[0].config.network).toMatchObject({ lower: [-3, -3], upper: [3, 3] });
    expect(r.stderr).not.toContain('NIVP_MARGIN');
  });

  it('maps the fit and sampling flags onto the options', async () => {
    const fake = fakeFactory();
    const out = path.join(root, 'fit-flags');
    const r = await cli(
      ['run', 'heat', '--T', '0.05', '--out', out, '--grid', '4', '--quiet', '--no-restarts'].concat([
        '--preset',
        'paper',
        '--fit-method',
        'gauss-newton',
        '--fit-tol',
        '1e-4',
        '--fit-seconds',
        '5',
        '--samples',
        '600',
        '--held-out',
        '300',
        '--sequence',
        'uniform',
        '--importance',
      ]),
      { createSession: fake.make },
    );
    expect(r.code).toBe(0);
    const m = await readJson<{ options: Record<string, unknown> }>(path.join(out, 'metrics.json'));
    expect(m.options).toMatchObject({
      preset: 'paper',
      network: { width: 100 },
      samples: { count: 600, heldOut: 300, sequence: 'uniform', importance: { uniformShare: 0.2 } },
      fit: { method: 'gauss-newton', tol: 1e-4, maxSeconds: 5 },
    });
    expect(fake.sessions[0].config.sampling).toEqual({
      sequence: 'uniform',
      importance: { uniformShare: 0.2, kernels: 256, pilot: 4096, imageShare: 0.5 },
    });
    expect(fake.sessions[0].config.heldOutSamples).toBe(300);
    expect(fake.sessions[0].lastFitConfig).toMatchObject({ method: 'gauss-newton', tol: 1e-4, maxSeconds: 5 });
    const bad = await cli(['run', 'heat', '--out', out, '--fit-tol', '0'], { createSession: fake.make });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fit-tol/);
  });

  it('a run that stops early exits 1 and still writes what it reached', async () => {
    const out = path.join(root, 'nan');
    const r = await cli(['run', 'heat', '--T', '0.5', '--out', out, '--grid', '4', '--quiet', '--no-restarts'], {
      createSession: fakeFactory({ nanAfterSolves: 20 }).make,
    });
    expect(r.code).toBe(1);
    const m = await readJson<Metrics>(path.join(out, 'metrics.json'));
    expect(m.status).toBe('incomplete');
    expect(m.warning).toMatch(/stopped early/);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('class="warning"');
    const loaded = await Solution.load(path.join(out, 'solution.json'), { makeSession: fakeFactory().make });
    expect(loaded.times[0]).toBe(0);
  });

  it('a fit far above its tolerance stops the run before evolving, unless --allow-poor-fit', async () => {
    // The stand-in fit ends at 1e-3 after its iteration cap; --fit-tol 1e-7 puts the bound at 1e-4.
    const out = path.join(root, 'poor-fit');
    const args = ['run', 'heat', '--T', '0.05', '--out', out, '--grid', '4', '--quiet', '--fit-tol', '1e-7'];
    const fake = fakeFactory();
    const r = await cli(args, { createSession: fake.make });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: the initial fit reached a relative error of 1\.00e-3 on held-out points, above 1\.0e-4 = 1000 × fit\.tol \(1\.0e-7\)/,
    );
    expect(r.stderr).toMatch(/What would help: fit\.maxIterations \(now 200\)/);
    // No flag of its own sets fit.maxIterations: --fit-steps is the fit's iteration cap.
    expect(r.stderr).toMatch(
      /Flags: --fit-steps \(fit\.maxIterations\); --allow-poor-fit evolves from this fit anyway/,
    );
    // A cap set by --fit-steps is named as that cap.
    const capped = await cli([...args, '--fit-steps', '3'], { createSession: fakeFactory().make });
    expect(capped.code).toBe(1);
    expect(capped.stderr).toMatch(/What would help: fit\.steps \(now 3\): the fit ran out of iterations/);
    expect(capped.stderr).toMatch(/Flags: --fit-steps \(fit\.steps\);/);
    expect(fake.sessions[0].fits).toBe(1);
    expect(fake.sessions[0].solves).toBe(0);
    expect(r.stdout).toBe('');
    const allowed = await cli([...args, '--allow-poor-fit'], { createSession: fakeFactory().make });
    expect(allowed.code).toBe(0);
    const m = await readJson<Metrics & { options: { fit: { allowPoorFit: boolean } } }>(path.join(out, 'metrics.json'));
    expect(m.status).toBe('complete');
    expect(m.options.fit.allowPoorFit).toBe(true);
    expect(m.warnings[0]).toMatch(/above its tolerance/);
  });

  it('a default-preset run whose pace puts T hours away stops, and writes the steps it took', async () => {
    // The stand-in's steps take 7 × 2 ms; T = 1e6 at its step size is over a million steps.
    const out = path.join(root, 'slow');
    const r = await cli(['run', 'heat', '--T', '1e6', '--out', out, '--grid', '4', '--quiet'], {
      createSession: fakeFactory({ delayMs: 2 }).make,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^warning: The run stopped early: at the pace of its last 3 steps \(h ≈ [0-9.e+-]+, [0-9.]+ s per step on this machine\)/,
    );
    expect(r.stderr).toMatch(
      /reaching T = 1000000 takes about \d+ more steps and [0-9.]+ h, past the 4\.0 h a run of the default preset.*\(evolve stopped at t = \S+ of T = 1000000\)/,
    );
    const m = await readJson<Metrics & { stopped: { reason: string; t: number; cause: string } }>(
      path.join(out, 'metrics.json'),
    );
    expect(m.status).toBe('incomplete');
    expect(m.stopped.reason).toBe('stopped');
    expect(m.stopped.cause).toMatch(/^at the pace of its last 3 steps/);
    const loaded = await Solution.load(path.join(out, 'solution.json'), { makeSession: fakeFactory().make });
    expect(loaded.times).toEqual([0, m.stopped.t]);
    expect(loaded.history.length).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toBe(
      `${['solution.json', 'metrics.json', 'report.html'].map((f) => path.join(out, f)).join('\n')}\n`,
    );
  });

  it("lists the solver's other warnings in metrics.json and the report, not only the fit's", async () => {
    // θ̇ = −200θ: RK45's steps are held at its stability limit, which the solver says (NIVP_STIFF).
    const out = path.join(root, 'stiff');
    const r = await cli(['run', 'heat', '--T', '1', '--out', out, '--grid', '4', '--quiet'], {
      createSession: fakeFactory({ rate: 200 }).make,
    });
    expect(r.code).toBe(0);
    const m = await readJson<Metrics>(path.join(out, 'metrics.json'));
    expect(m.warnings).toHaveLength(2);
    expect(m.warnings[0]).toMatch(/above its tolerance/);
    expect(m.warnings[1]).toMatch(/^the steps were held at rk45's stability limit/);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<p class="warning">the steps were held at rk45&#39;s stability limit');
  });

  it('--max-seconds stops the integration and writes the saved times reached', async () => {
    const out = path.join(root, 'budget');
    const r = await cli(
      ['run', 'heat', '--T', '100', '--save-at', '0,0.01,100', '--max-seconds', '0.3', '--out', out, '--grid', '4'],
      { createSession: fakeFactory({ delayMs: 5 }).make },
    );
    expect(r.code).toBe(1);
    const m = await readJson<Metrics>(path.join(out, 'metrics.json'));
    expect(m.status).toBe('incomplete');
    expect(m.warning).toMatch(/maxSeconds/);
    const loaded = await Solution.load(path.join(out, 'solution.json'), { makeSession: fakeFactory().make });
    expect(loaded.times.slice(0, 2)).toEqual([0, 0.01]);
    expect(loaded.times.at(-1)).toBeLessThan(100);
    const bad = await cli(['run', 'heat', '--out', out, '--max-seconds', '0'], { createSession: fakeFactory().make });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-seconds/);
  });

  it('--max-seconds holds within a step attempt: a slow one is cut and the steps before it are kept', async () => {
    const out = path.join(root, 'budget-cut');
    // The first 30 solves are instant; every later one would take 20 s unless cancelled.
    const r = await cli(['run', 'heat', '--T', '100', '--max-seconds', '0.4', '--out', out, '--grid', '4', '--quiet'], {
      createSession: fakeFactory({ delayMs: (solves) => (solves >= 30 ? 20_000 : 0) }).make,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^warning: The run stopped early: evolve stopped at t = \S+ of T = 100 \(maxSeconds\)/);
    const m = await readJson<Metrics & { stopped: { reason: string; t: number } }>(path.join(out, 'metrics.json'));
    expect(m.status).toBe('incomplete');
    expect(m.stopped.reason).toBe('maxSeconds');
    expect(m.timings.evolve).toBeGreaterThanOrEqual(0.39);
    expect(m.timings.evolve).toBeLessThan(0.4 + 0.3);
    expect(m.stats.steps).toBeGreaterThanOrEqual(1);
    const loaded = await Solution.load(path.join(out, 'solution.json'), { makeSession: fakeFactory().make });
    expect(loaded.times).toEqual([0, m.stopped.t]);
    expect(m.stopped.t).toBeGreaterThan(0);
  });

  it('SIGTERM or Ctrl-C while evolving stops the run and writes its accepted steps, beside a complete run', async () => {
    const out = path.join(root, 'interrupted');
    const args = ['run', 'heat', '--T', '0.5', '--out', out, '--grid', '4', '--quiet'];
    expect((await cli(args, { createSession: fakeFactory().make })).code).toBe(0);
    const complete = await readFile(path.join(out, 'solution.json'), 'utf8');
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const controller = new AbortController();
      const pending = cli([...args, '--T', '100'], {
        createSession: fakeFactory({ delayMs: 5 }).make,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Interrupted(signal)), 300);
      const r = await pending;
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(
        new RegExp(
          `^warning: The run stopped early: interrupted \\(${signal}\\) \\(evolve stopped at t = \\S+ of T = 100\\)`,
        ),
      );
      expect(r.stderr).toMatch(/writing the steps accepted so far/);
      const m = await readJson<Metrics & { stopped: { reason: string; t: number } }>(
        path.join(`${out}-incomplete`, 'metrics.json'),
      );
      expect(m.status).toBe('incomplete');
      expect(m.stopped.reason).toBe('stopped');
      expect(m.stopped.t).toBeGreaterThan(0);
      const loaded = await Solution.load(path.join(`${out}-incomplete`, 'solution.json'), {
        makeSession: fakeFactory().make,
      });
      expect(loaded.times).toEqual([0, m.stopped.t]);
      // The complete run is left as it was.
      expect(await readFile(path.join(out, 'solution.json'), 'utf8')).toBe(complete);
    }
  });

  it('a signal during the fit exits with its status and writes nothing', async () => {
    const out = path.join(root, 'interrupted-fit');
    const controller = new AbortController();
    const pending = cli(['run', 'heat', '--out', out, '--quiet'], {
      createSession: fakeFactory({ fitDelayMs: 10_000 }).make,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Interrupted('SIGTERM')), 100);
    const r = await pending;
    expect(r.code).toBe(143);
    expect(r.stderr).toBe('interrupted (SIGTERM)\n');
    await expect(readFile(path.join(out, 'solution.json'))).rejects.toThrow(/ENOENT/);
  });

  it('an aborted run exits 130', async () => {
    const controller = new AbortController();
    const pending = cli(['run', 'heat', '--T', '0.5', '--out', path.join(root, 'abort'), '--quiet'], {
      createSession: fakeFactory({ delayMs: 50 }).make,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const r = await pending;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
  });

  it('loads a problem module: a function of { dim, ...params } (a 1D problem gives profiles)', async () => {
    const file = path.join(root, 'decay.mjs');
    const define = path.resolve('ts/problem/define.ts');
    await writeFile(
      file,
      [
        `import { defineProblem } from ${JSON.stringify(define)};`,
        'export default ({ dim = 1, rate = 1 }) => defineProblem({',
        "  name: 'decay', dim, domain: { lower: 0, upper: 2 }, boundary: 'none', fields: ['u', 'w'],",
        '  initial: ({ x }) => ({ u: x[0], w: x[0].mul(2) }),',
        '  rhs: ({ u, w }) => ({ u: u.mul(-rate), w: w.mul(-rate) }),',
        '  params: { rate },',
        '});',
        '',
      ].join('\n'),
    );
    const out = path.join(root, 'decay');
    const fake = fakeFactory();
    const r = await cli(['run', file, '--param', 'rate=2', '--T', '0.1', '--out', out, '--grid', '8', '--quiet'], {
      createSession: fake.make,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = await readJson<Metrics & { problem: { params: Record<string, number> } }>(path.join(out, 'metrics.json'));
    expect(m.problem).toMatchObject({ name: 'decay', dim: 1, fields: ['u', 'w'], source: file, hasExact: false });
    expect(m.problem.params).toEqual({ rate: 2 });
    expect(m.saved.every((s) => s.error === null)).toBe(true);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(count(html, /data-plot="profile-(u|w)"/g)).toBe(4); // 2 fields × 2 saved times
    expect(html).not.toContain('data-plot="error"');

    const twoD = await cli(['run', file, '--dim', '2', '--out', path.join(root, 'dim2'), '--quiet', '--T', '0.1'], {
      createSession: fakeFactory().make,
    });
    expect(twoD.code).toBe(0); // the function takes dim
    expect((await readJson<Metrics>(path.join(root, 'dim2', 'metrics.json'))).problem.dim).toBe(2);

    const notAProblem = path.join(root, 'nothing.mjs');
    await writeFile(notAProblem, 'export default 42;\n');
    const bad = await cli(['run', notAProblem, '--out', path.join(root, 'bad')], { createSession: fakeFactory().make });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/<problem>: .*default export must be a Problem/);
  });
});

describe('neural-ivp run (native session)', () => {
  it('run heat --dim 2 with a tiny configuration writes the three files and the solution loads', async () => {
    const out = path.join(root, 'native-heat');
    const r = await cli([
      'run',
      'heat',
      '--dim',
      '2',
      '--T',
      '0.1',
      '--save-at',
      '0,0.05,0.1',
      '--width',
      '16',
      '--depth',
      '2',
      '--samples',
      '1000',
      '--fit-tol',
      '1e-3',
      '--fit-steps',
      '20',
      '--linear',
      'dense',
      '--method',
      'rk23',
      '--rtol',
      '0.001',
      '--no-restarts',
      '--device',
      'cpu',
      '--grid',
      '16',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = await readJson<Metrics>(path.join(out, 'metrics.json'));
    expect(m.status).toBe('complete');
    expect(m.fit).toMatchObject({ method: 'gauss-newton', stopped: 'tol', tol: 1e-3 });
    expect(m.fit.relativeError).toBeLessThanOrEqual(1e-3);
    expect(m.warnings).toEqual([]);
    expect(m.saved.map((s) => s.t)).toEqual([0, 0.05, 0.1]);
    for (const s of m.saved) {
      expect(s.residual).not.toBeNull();
      expect(s.error).not.toBeNull();
      expect(s.error as number).toBeLessThan(0.3);
    }
    expect(m.machine).toHaveProperty('torchVersion');
    expect(m.stats.solveSeconds?.cg).toBeGreaterThan(0);
    expect(m.history[0].cost?.stages).toHaveLength(4); // rk23: four stages per attempt
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(count(html, /<svg\b/g)).toBe(3 + 5);

    const loaded = await Solution.load(path.join(out, 'solution.json'));
    expect(loaded.times).toEqual([0, 0.05, 0.1]);
    const points = [
      [0, 0],
      [0.3, -0.4],
    ];
    const u = await loaded.evaluateAsync(points, 0.1);
    expect(u.length).toBe(2);
    // u(0, 0, t) = exp(-κDπ²t/4) with κ = 0.1, D = 2.
    expect(u[0]).toBeCloseTo(Math.exp((-0.1 * 2 * Math.PI ** 2 * 0.1) / 4), 1);
    expect(await loaded.error(0.1)).toBeCloseTo(m.saved[2].error as number, 1);
  });
});
