import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { defineProblem, type Expr, ops } from '../ts/problem';
import { heat } from '../ts/problems/heat';
import { wave as waveProblem } from '../ts/problems/wave';
import { CPU_MEMORY_BUDGET, memoryBudgetFor } from '../ts/solver/device-budget';
import {
  DEFAULT_OPTIONS,
  type NeuralIVPInput,
  PAPER_OPTIONS,
  type PcgOptions,
  type ResolvedOptions,
  resolveOptions,
} from '../ts/solver/options';
import { sessionConfigFor } from '../ts/solver/session-config';

const problem = heat({ dim: 2 });

function errorOf(input: unknown): SpecError {
  try {
    resolveOptions(input as NeuralIVPInput);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw new Error(`expected a SpecError, got ${String(e)}`);
  }
  throw new Error('expected resolveOptions to throw');
}

/** The package defaults, written out independently of the implementation. */
const defaults: Omit<ResolvedOptions, 'problem'> = {
  preset: 'default',
  network: {
    width: 48,
    depth: 3,
    activation: 'swish',
    frequencies: 3, // heat's u0 is the box's lowest mode: two octaves above it
    decay: 2, // heat reads a Laplacian: its derivative order
    embeddingScale: 1.5,
    embedding: true,
    output: 'linear', // heat's u0 is broad: it keeps the embedding
    outputScale: { u: expect.closeTo(1, 10) }, // heat's largest u0 is cos 0 = 1
    outputOffset: { u: 0 }, // a Dirichlet problem's u is 0 on the faces
  },
  samples: { count: 4000, heldOut: 1000, sequence: 'sobol', importance: false },
  margin: 0,
  linear: {
    method: 'pcg',
    tol: 1e-8,
    maxIters: 1000,
    rank: 100,
    maxRank: 400,
    mu: 1e-6,
    muScale: 'solution',
    mixedPrecision: false,
    reusePreconditioner: true,
    gradientWeight: { u: 0 },
    gradientDirections: 'axes', // heat is 1D
  },
  integrator: { method: 'rk45', rtol: 1e-4, errorNorm: 'parameters', stiffSwitch: false, refine: 0 },
  fit: {
    method: 'gauss-newton',
    tol: 1e-5,
    maxIterations: 200,
    maxSeconds: 60,
    steps: null,
    lr: 1e-3,
    batch: 2000,
    samples: 2000,
    maxSamples: 16_000,
    rank: 100,
    warmupSteps: 0,
    headTuning: true,
    headSamples: 20_000,
    rateFeatures: true,
    allowPoorFit: false,
  },
  restarts: { timeFraction: null, cgIterations: 500, fitSteps: null },
  dtype: 'float64',
  device: 'auto',
  distributed: null,
  seed: 0,
  memoryBudget: 'auto',
};

/** The paper's hyperparameters (appendix C): `preset: 'paper'`. */
const paper: Omit<ResolvedOptions, 'problem'> = {
  preset: 'paper',
  network: { ...defaults.network, width: 100, frequencies: 5, decay: 1, outputScale: { u: 1 } },
  samples: { count: 10_000, heldOut: 0, sequence: 'uniform', importance: false },
  margin: 0,
  linear: {
    method: 'pcg',
    tol: 1e-8,
    maxIters: 1000,
    rank: 200,
    maxRank: 0,
    mu: 1e-6,
    muScale: 'absolute',
    mixedPrecision: false,
    reusePreconditioner: false,
    gradientWeight: { u: 0 },
    gradientDirections: 'axes', // heat is 1D
  },
  integrator: { method: 'rk45', rtol: 1e-4, errorNorm: 'parameters', stiffSwitch: false, refine: 0 },
  fit: {
    method: 'adam',
    tol: null,
    maxIterations: 50_000,
    maxSeconds: null,
    steps: null,
    lr: 1e-3,
    batch: 10_000,
    samples: 10_000,
    maxSamples: 80_000,
    rank: 200,
    warmupSteps: 0,
    headTuning: true,
    headSamples: 50_000,
    rateFeatures: false,
    allowPoorFit: false,
  },
  restarts: { timeFraction: 0.5, cgIterations: null, fitSteps: null },
  dtype: 'float64',
  device: 'auto',
  seed: 0,
  memoryBudget: 'auto',
  distributed: null,
};

describe('resolveOptions: defaults', () => {
  it('fills in the package defaults, and the problem shorthand gives the same', () => {
    const full = resolveOptions({ problem });
    expect(full).toEqual({ problem, ...defaults });
    expect(full.problem).toBe(problem);
    expect(resolveOptions(problem)).toEqual(full);
  });

  it("preset 'paper' fills in the paper's configuration, and options still override it", () => {
    expect(resolveOptions({ problem, preset: 'paper' })).toEqual({ problem, ...paper });
    const r = resolveOptions({ problem, preset: 'paper', network: { width: 64 }, fit: { method: 'gauss-newton' } });
    expect(r.network.width).toBe(64);
    expect(r.samples.count).toBe(10_000);
    // Switching the method takes that method's iteration default, not the preset's Adam steps.
    expect(r.fit).toMatchObject({ method: 'gauss-newton', maxIterations: 200, tol: null, rank: 200 });
    const p = resolveOptions({ problem, preset: 'paper' });
    expect(resolveOptions({ ...p })).toEqual(p);
  });

  it('returns a deeply frozen object and is idempotent', () => {
    const r = resolveOptions({ problem, linear: { method: 'dense' }, restarts: { cgIterations: 300 } });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.network)).toBe(true);
    expect(Object.isFrozen(r.linear)).toBe(true);
    expect(Object.isFrozen(r.restarts)).toBe(true);
    expect(resolveOptions({ ...r })).toEqual(r);
    const d = resolveOptions(problem);
    expect(resolveOptions({ ...d })).toEqual(d);
    const i = resolveOptions({ problem, samples: { importance: true }, fit: { tol: null, steps: 0 } });
    expect(resolveOptions({ ...i })).toEqual(i);
  });

  it("damps the embedding's octaves by the right-hand side's derivative order, at least 1", () => {
    const withRhs = (rhs: Parameters<typeof defineProblem>[0]['rhs']) =>
      defineProblem({
        name: 'order',
        dim: 2,
        domain: { lower: -1, upper: 1 },
        boundary: 'none',
        fields: ['u'],
        initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).neg()) }),
        rhs,
      });
    const decayOf = (input: NeuralIVPInput) => resolveOptions(input).network.decay;
    expect(decayOf(withRhs(({ u }) => ({ u: u.mul(-1) })))).toBe(1);
    expect(decayOf(withRhs(({ u }) => ({ u: ops.d(u, 1).neg() })))).toBe(1);
    expect(decayOf(withRhs(({ u }) => ({ u: ops.lap(u) })))).toBe(2);
    expect(decayOf(withRhs(({ u }) => ({ u: ops.d(ops.d(u, 0), 1) })))).toBe(2);
    expect(decayOf({ problem, network: { decay: 0 } })).toBe(0);
    expect(decayOf({ problem, preset: 'paper' })).toBe(1);
  });

  it('keeps given values and fills the rest of a section', () => {
    const r = resolveOptions({
      problem,
      network: { width: 64, activation: 'tanh', embedding: false },
      samples: 16,
      linear: { rank: 0, tol: 1e-6 },
      integrator: { method: 'rk23' },
      fit: { steps: 0, headTuning: false },
      dtype: 'float32',
      device: 'cpu',
      seed: 7,
      memoryBudget: 2 ** 20,
    });
    expect(r.network).toEqual({ ...defaults.network, width: 64, activation: 'tanh', embedding: false });
    expect(r.samples).toEqual({ ...defaults.samples, count: 16 });
    expect(r.linear).toEqual({
      method: 'pcg',
      tol: 1e-6,
      maxIters: 1000,
      rank: 0,
      maxRank: 400,
      mu: 1e-6,
      muScale: 'solution',
      mixedPrecision: false,
      reusePreconditioner: true,
      gradientWeight: { u: 0 },
      gradientDirections: 'axes', // heat is 1D
    });
    expect(r.integrator).toEqual({
      method: 'rk23',
      rtol: 1e-4,
      errorNorm: 'parameters',
      stiffSwitch: false,
      refine: 0,
    });
    expect(r.fit).toEqual({ ...defaults.fit, steps: 0, headTuning: false });
    expect([r.dtype, r.device, r.seed, r.memoryBudget]).toEqual(['float32', 'cpu', 7, 2 ** 20]);
    expect(resolveOptions({ problem, seed: undefined }).seed).toBe(0);
  });

  it('fit: method, tolerance and budgets; null means none', () => {
    expect(resolveOptions({ problem, fit: { method: 'adam' } }).fit).toEqual({
      ...defaults.fit,
      method: 'adam',
      maxIterations: 50_000,
    });
    expect(resolveOptions({ problem, fit: { tol: null, maxSeconds: null } }).fit).toMatchObject({
      tol: null,
      maxSeconds: null,
    });
    expect(resolveOptions({ problem, fit: { tol: 1e-3, maxIterations: 5, maxSeconds: 0.5 } }).fit).toMatchObject({
      tol: 1e-3,
      maxIterations: 5,
      maxSeconds: 0.5,
    });
  });

  it('samples: a count, or { count, sequence, importance }', () => {
    expect(resolveOptions({ problem, samples: 500 }).samples).toEqual({ ...defaults.samples, count: 500 });
    expect(resolveOptions({ problem, samples: { sequence: 'uniform' } }).samples).toEqual({
      ...defaults.samples,
      sequence: 'uniform',
    });
    const importance = { uniformShare: 0.2, kernels: 256, pilot: 4096, imageShare: 0.5 };
    expect(resolveOptions({ problem, samples: { count: 700, importance: true } }).samples).toEqual({
      count: 700,
      heldOut: 1000,
      sequence: 'sobol',
      importance,
    });
    expect(resolveOptions({ problem, samples: { importance: { kernels: 32, uniformShare: 1 } } }).samples).toEqual({
      ...defaults.samples,
      importance: { ...importance, kernels: 32, uniformShare: 1 },
    });
    expect(resolveOptions({ problem, samples: { importance: false } }).samples.importance).toBe(false);
    expect(resolveOptions({ problem, samples: { heldOut: 0 } }).samples.heldOut).toBe(0);
    expect(() => resolveOptions({ problem, samples: { heldOut: -1 } })).toThrow(/samples\.heldOut/);
    expect(() => resolveOptions({ problem, samples: { heldOut: 2.5 } })).toThrow(/samples\.heldOut/);
  });

  it('dense solves take only mu, its scale and the gradient norm', () => {
    const dense = (linear: object) => resolveOptions({ problem, linear: { method: 'dense', ...linear } }).linear;
    expect(dense({})).toEqual({
      method: 'dense',
      mu: 1e-6,
      muScale: 'solution',
      gradientWeight: { u: 0 },
      gradientDirections: 'axes',
    });
    expect(dense({ mu: 0, muScale: 'absolute' })).toEqual({
      method: 'dense',
      mu: 0,
      muScale: 'absolute',
      gradientWeight: { u: 0 },
      gradientDirections: 'axes',
    });
    const e = errorOf({ problem, linear: { method: 'dense', rank: 10 } });
    expect(e.path).toBe('linear.rank');
  });

  it('gradientWeight: one β for every field, or β by field name (others 0)', () => {
    const wave = waveProblem();
    const weights = (gradientWeight: unknown) =>
      resolveOptions({ problem: wave, linear: { gradientWeight } as PcgOptions }).linear.gradientWeight;
    // The default: in 2D the wave's energy norm, H¹ on phi (phi_t = psi, psi_t = Δphi) with β the
    // squared half-width of [-1, 1]²; in 3D (the catalogue's pulse) L², whose rows a CPU affords;
    // 'paper' keeps the paper's L² projection; 0 asks for it.
    const wave2d = waveProblem({ dim: 2 });
    expect(resolveOptions({ problem: wave2d }).linear.gradientWeight).toEqual({ phi: 1, psi: 0 });
    expect(weights(undefined)).toEqual({ phi: 0, psi: 0 });
    expect(resolveOptions({ problem: wave2d, preset: 'paper' }).linear.gradientWeight).toEqual({ phi: 0, psi: 0 });
    expect(resolveOptions({ problem: wave2d, linear: { gradientWeight: 0 } }).linear.gradientWeight).toEqual({
      phi: 0,
      psi: 0,
    });
    expect(weights(0.5)).toEqual({ phi: 0.5, psi: 0.5 });
    expect(weights({ phi: 2 })).toEqual({ phi: 2, psi: 0 });
    expect(weights({ psi: 0.1, phi: 0 })).toEqual({ phi: 0, psi: 0.1 });
    const r = resolveOptions({ problem: wave, linear: { method: 'dense', gradientWeight: { psi: 3 } } });
    expect(resolveOptions({ ...r })).toEqual(r);
    const e = errorOf({ problem: wave, linear: { gradientWeight: { phi: 1, u: 1 } } });
    expect([e.path, e.message]).toEqual(['linear.gradientWeight.u', expect.stringMatching(/allowed: phi, psi/)]);
    expect(errorOf({ problem: wave, linear: { gradientWeight: { psi: -1 } } }).path).toBe('linear.gradientWeight.psi');
  });

  it('restart policies: false, true, time fraction, CG iterations, both', () => {
    expect(resolveOptions({ problem, restarts: false }).restarts).toBe(false);
    expect(resolveOptions({ problem, restarts: true }).restarts).toEqual(defaults.restarts);
    expect(resolveOptions({ problem, restarts: {} }).restarts).toEqual(defaults.restarts);
    expect(resolveOptions({ problem, preset: 'paper', restarts: {} }).restarts).toEqual(paper.restarts);
    expect(resolveOptions({ problem, restarts: { timeFraction: 0.1 } }).restarts).toEqual({
      timeFraction: 0.1,
      cgIterations: null,
      fitSteps: null,
    });
    expect(resolveOptions({ problem, restarts: { cgIterations: 500 } }).restarts).toEqual({
      timeFraction: null,
      cgIterations: 500,
      fitSteps: null,
    });
    expect(resolveOptions({ problem, restarts: { timeFraction: 0.25, cgIterations: 500 } }).restarts).toEqual({
      timeFraction: 0.25,
      cgIterations: 500,
      fitSteps: null,
    });
    // fitSteps alone keeps the preset's policies.
    expect(resolveOptions({ problem, restarts: { fitSteps: 300 } }).restarts).toEqual({
      timeFraction: null,
      cgIterations: 500,
      fitSteps: 300,
    });
    expect(resolveOptions({ problem, preset: 'paper', restarts: { fitSteps: 300 } }).restarts).toEqual({
      timeFraction: 0.5,
      cgIterations: null,
      fitSteps: 300,
    });
  });

  it('margin: 0.5 for a problem without boundary constraint, 0 for Dirichlet; given values kept', () => {
    const free = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 2 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).neg()) }),
      rhs: ({ u }) => ({ u: ops.d(u, 0).neg() }),
    });
    expect(resolveOptions(free).margin).toBe(0.5);
    expect(resolveOptions({ problem: free, margin: 0 }).margin).toBe(0);
    expect(resolveOptions({ problem: free, margin: 1.25 }).margin).toBe(1.25);
    expect(resolveOptions({ problem, margin: 0 }).margin).toBe(0);
    // A right-hand side with no spatial derivative moves nothing across the faces: no margin,
    // unless one is given.
    const pointwise = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 2 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).neg()) }),
      rhs: ({ u, x }) => ({ u: u.mul(u.neg().add(1)).mul(x[0]) }),
    });
    expect(resolveOptions(pointwise).margin).toBe(0);
    expect(resolveOptions({ problem: pointwise, margin: 0.25 }).margin).toBe(0.25);
    expect(resolveOptions({ problem: free, margin: 0.75, integrator: { errorNorm: 'function' } }).integrator).toEqual({
      ...defaults.integrator,
      errorNorm: 'function',
    });
  });

  it('DEFAULT_OPTIONS and PAPER_OPTIONS hold the same defaults', () => {
    expect(DEFAULT_OPTIONS.network).toEqual({
      ...defaults.network,
      decay: 'derivativeOrder',
      frequencies: 'finestScale',
      embedding: 'sampleSpacing',
      output: 'density',
      outputScale: 'initialSize',
      outputOffset: 'initialMean',
    });
    expect({ ...DEFAULT_OPTIONS.linear, gradientWeight: { u: 0 }, gradientDirections: 'axes' }).toEqual(
      defaults.linear,
    );
    expect(DEFAULT_OPTIONS.integrator).toEqual({ ...defaults.integrator, errorNorm: 'output' });
    expect(DEFAULT_OPTIONS.fit).toEqual(defaults.fit);
    expect(PAPER_OPTIONS.fit).toEqual(paper.fit);
    expect(PAPER_OPTIONS.network).toEqual({ ...paper.network, outputScale: 1, outputOffset: 0 });
    expect(Object.isFrozen(DEFAULT_OPTIONS.fit)).toBe(true);
  });
});

describe('resolveOptions: errors', () => {
  const bad: [string, Record<string, unknown>, RegExp?][] = [
    ['network', { network: 5 }, /plain object/],
    ['network.width', { network: { width: 0 } }, /1\.\.65536/],
    ['network.width', { network: { width: 2.5 } }],
    ['network.width', { network: { width: '100' } }],
    ['network.depth', { network: { depth: 0 } }],
    ['network.activation', { network: { activation: 'relu' } }, /'swish', 'tanh'/],
    ['network.decay', { network: { decay: -400 } }, /a damping: 0 weighs every octave alike/],
    ['network.frequencies', { network: { frequencies: 31 } }],
    ['network.frequencies', { network: { frequencies: -1 } }],
    ['network.decay', { network: { decay: Number.NaN } }],
    ['network.embeddingScale', { network: { embeddingScale: 0 } }],
    ['network.embedding', { network: { embedding: 'yes' } }, /true or false/],
    ['network.size', { network: { size: 3 } }, /unknown key/],
    ['samples', { samples: 15 }, /16\.\./],
    ['samples', { samples: 1e4 + 0.5 }],
    ['samples', { samples: Number.POSITIVE_INFINITY }],
    ['linear', { linear: 'pcg' }],
    ['linear.method', { linear: { method: 'cholesky' } }, /'pcg', 'dense'/],
    ['linear.tol', { linear: { tol: 0 } }],
    ['linear.tol', { linear: { tol: 1 } }, /\(0, 1\)/],
    ['linear.maxIters', { linear: { maxIters: 0 } }],
    ['linear.rank', { linear: { rank: -1 } }, /Nyström/],
    ['linear.rank', { linear: { rank: 1.5 } }],
    ['linear.mu', { linear: { mu: -1e-6 } }],
    ['linear.muScale', { linear: { muScale: 'relative' } }, /'solution', 'absolute'/],
    ['linear.muScale', { linear: { method: 'dense', muScale: 1 } }],
    ['margin', { margin: 0.5 }, /'dirichlet'/],
    ['margin', { margin: -0.1 }],
    ['margin', { margin: Number.NaN }],
    ['margin', { margin: 9 }, /at most 8/],
    ['linear.precond', { linear: { precond: true } }, /unknown key/],
    ['linear.mixedPrecision', { linear: { mixedPrecision: 1 } }, /true or false/],
    ['linear.gradientWeight', { linear: { gradientWeight: -1 } }, /non-negative.*squared length/],
    ['linear.gradientWeight', { linear: { gradientWeight: Number.NaN } }],
    ['linear.gradientWeight', { linear: { gradientWeight: '1' } }, /by field name/],
    ['linear.gradientWeight', { linear: { gradientWeight: [1] } }, /by field name/],
    ['linear.gradientWeight.u', { linear: { method: 'dense', gradientWeight: { u: -1 } } }],
    ['linear.mixedPrecision', { linear: { mixedPrecision: true }, dtype: 'float32' }, /float64/],
    ['linear.mixedPrecision', { linear: { method: 'dense', mixedPrecision: true } }, /unknown key/],
    ['integrator.method', { integrator: { method: 'euler' } }, /'rk23', 'rk45'/],
    ['integrator.rtol', { integrator: { rtol: 0 } }],
    ['integrator.rtol', { integrator: { rtol: 2 } }],
    ['integrator.atol', { integrator: { atol: 1e-6 } }, /unknown key/],
    ['integrator.errorNorm', { integrator: { errorNorm: 'state' } }, /'parameters', 'function'/],
    ['fit.steps', { fit: { steps: -1 } }],
    ['fit.method', { fit: { method: 'lbfgs' } }, /'gauss-newton', 'adam'/],
    ['fit.tol', { fit: { tol: 0 } }, /positive/],
    ['fit.tol', { fit: { tol: -1e-6 } }],
    ['fit.tol', { fit: { tol: Number.NaN } }],
    ['fit.tol', { fit: { tol: '1e-6' } }],
    ['fit.maxIterations', { fit: { maxIterations: 0 } }, /at least 1/],
    ['fit.maxIterations', { fit: { maxIterations: 2.5 } }],
    ['fit.maxSeconds', { fit: { maxSeconds: 0 } }],
    ['fit.maxSeconds', { fit: { maxSeconds: Number.POSITIVE_INFINITY } }],
    ['fit.samples', { fit: { samples: 8 } }],
    ['fit.maxSamples', { fit: { maxSamples: 8 } }],
    ['fit.maxSamples', { fit: { maxSamples: 2000.5 } }],
    ['fit.rank', { fit: { rank: -1 } }],
    ['fit.warmupSteps', { fit: { warmupSteps: -1 } }],
    ['fit.batchSize', { fit: { batchSize: 10 } }, /unknown key/],
    ['preset', { preset: 'gpu' }, /'default', 'paper'/],
    ['samples', { samples: '4000' }, /a count or/],
    ['samples.count', { samples: { count: 15 } }],
    ['samples.sequence', { samples: { sequence: 'halton' } }, /'uniform', 'sobol'/],
    ['samples.importance', { samples: { importance: 'yes' } }],
    ['samples.importance.uniformShare', { samples: { importance: { uniformShare: 0 } } }],
    ['samples.importance.uniformShare', { samples: { importance: { uniformShare: 1.5 } } }, /\(0, 1\]/],
    ['samples.importance.uniformShare', { samples: { importance: { uniformShare: Number.NaN } } }],
    ['samples.importance.imageShare', { samples: { importance: { imageShare: 1 } } }, /\[0, 1\)/],
    ['samples.importance.imageShare', { samples: { importance: { imageShare: -0.1 } } }],
    ['samples.importance.kernels', { samples: { importance: { kernels: 0 } } }],
    ['samples.importance.pilot', { samples: { importance: { pilot: 4 } } }],
    ['samples.importance.bandwidth', { samples: { importance: { bandwidth: 0.1 } } }, /unknown key/],
    ['samples.points', { samples: { points: 10 } }, /unknown key/],
    ['fit.lr', { fit: { lr: 0 } }],
    ['fit.batch', { fit: { batch: 0 } }],
    ['fit.headTuning', { fit: { headTuning: 1 } }],
    ['fit.allowPoorFit', { fit: { allowPoorFit: 'yes' } }],
    ['fit.headSamples', { fit: { headSamples: 8 } }],
    ['restarts', { restarts: 'often' }],
    ['restarts', { restarts: { timeFraction: null, cgIterations: null } }, /restarts: false/],
    ['restarts.timeFraction', { restarts: { timeFraction: 0 } }],
    ['restarts.timeFraction', { restarts: { timeFraction: -0.5 } }],
    ['restarts.cgIterations', { restarts: { cgIterations: 0 } }],
    ['restarts.count', { restarts: { count: 10 } }, /unknown key/],
    ['dtype', { dtype: 'float16' }, /'float64', 'float32'/],
    ['device', { device: 'gpu' }, /'auto', 'cpu', 'cuda'/],
    ['seed', { seed: -1 }],
    ['seed', { seed: 0.5 }],
    ['memoryBudget', { memoryBudget: 1000 }, /1 MiB/],
    ['memoryBudget', { memoryBudget: 'max' }, /'auto'/],
    ['tolerance', { tolerance: 1e-4 }, /unknown key 'tolerance'/],
  ];
  for (const [path, override, message] of bad) {
    it(`${path}: ${JSON.stringify(override)}`, () => {
      const e = errorOf({ problem, ...override });
      expect(e.path).toBe(path);
      expect(e.message.startsWith(`${path}: `)).toBe(true);
      if (message !== undefined) expect(e.message).toMatch(message);
    });
  }

  it('importance sampling needs a density that is not zero everywhere', () => {
    const zero = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: x[0].mul(0) }),
      rhs: ({ u }) => ({ u: ops.d(u, 0) }),
    });
    const e = errorOf({ problem: zero, samples: { importance: true } });
    expect(e.path).toBe('samples.importance');
    expect(e.message).toMatch(/zero everywhere/);
    expect(resolveOptions({ problem: zero }).samples.importance).toBe(false);
  });

  it('needs an initial condition finite wherever points are drawn, margin included', () => {
    const spec = (boundary: 'dirichlet' | 'none', u: (x: readonly Expr[]) => Expr) =>
      defineProblem({
        dim: 1,
        domain: { lower: -1, upper: 1 },
        boundary,
        fields: ['u'],
        initial: ({ x }) => ({ u: u(x) }),
        rhs: ({ u: v }) => ({ u: ops.lap(v) }),
      });
    const log = errorOf({ problem: spec('dirichlet', (x) => ops.log(x[0])) });
    expect(log.path).toBe('problem.initial.u');
    expect(log.message).toMatch(/u0 is NaN at x = \(-0\.\d+\), in the domain/);
    // √(1 − x²) is finite on the domain but not in its margin.
    const disc = (x: readonly Expr[]) => ops.sqrt(ops.constant(1).sub(x[0].pow(2)));
    expect(errorOf({ problem: spec('none', disc) }).message).toMatch(
      /in the sampled box \(the domain grown by margin 0\.5\)/,
    );
    expect(resolveOptions({ problem: spec('none', disc), margin: 0 }).margin).toBe(0);
  });

  it('needs a problem made by defineProblem', () => {
    expect(errorOf({}).path).toBe('problem');
    expect(errorOf({}).message).toMatch(/missing/);
    expect(errorOf({ problem: { dim: 2 } }).path).toBe('problem');
    expect(errorOf({ problem: { ...problem } }).path).toBe('problem');
    expect(errorOf(null).path).toBe('');
    expect(errorOf('heat').path).toBe('');
    const own = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.sin(x[0]) }),
      rhs: ({ u }) => ({ u: ops.d(u, 0) }),
    });
    expect(resolveOptions(own).problem).toBe(own);
  });

  it('checks every option before touching the problem (no side effects)', () => {
    // A bad field after a good problem still throws; the input object is left as it was.
    const input = { problem, network: { width: 10 }, seed: -3 };
    expect(errorOf(input).path).toBe('seed');
    expect(input).toEqual({ problem, network: { width: 10 }, seed: -3 });
    expect(Object.isFrozen(input.network)).toBe(false);
  });
});

describe('memoryBudget', () => {
  it("'auto' is 4 GiB on a CPU and bytes are kept as given, in the session's config", () => {
    expect(memoryBudgetFor('auto', 'cpu')).toBe(CPU_MEMORY_BUDGET);
    expect(memoryBudgetFor(3 * 2 ** 20, 'cpu')).toBe(3 * 2 ** 20);
    expect(memoryBudgetFor(3 * 2 ** 20, 'cuda')).toBe(3 * 2 ** 20);
    const auto = sessionConfigFor(resolveOptions({ problem, memoryBudget: 'auto' }), 'cpu');
    expect([auto.memoryBudget, auto.network.memoryBudget]).toEqual([CPU_MEMORY_BUDGET, CPU_MEMORY_BUDGET]);
    const given = sessionConfigFor(resolveOptions({ problem, memoryBudget: 2 ** 21 }), 'cpu');
    expect([given.memoryBudget, given.network.memoryBudget]).toEqual([2 ** 21, 2 ** 21]);
  });
});
