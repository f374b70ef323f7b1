import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { defineProblem, ops } from '../ts/problem';
import { heat } from '../ts/problems/heat';
import { DEFAULT_OPTIONS, type NeuralIVPInput, type ResolvedOptions, resolveOptions } from '../ts/solver/options';

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

/** The paper's hyperparameters (appendix C), written out independently of the implementation. */
const paper: Omit<ResolvedOptions, 'problem'> = {
  network: {
    width: 100,
    depth: 3,
    activation: 'swish',
    frequencies: 5,
    decay: 1,
    embeddingScale: 1.5,
    embedding: true,
  },
  samples: 10_000,
  margin: 0,
  linear: {
    method: 'pcg',
    tol: 1e-8,
    maxIters: 1000,
    rank: 200,
    mu: 1e-6,
    muScale: 'solution',
    mixedPrecision: false,
    reusePreconditioner: false,
  },
  integrator: { method: 'rk45', rtol: 1e-4, errorNorm: 'parameters' },
  fit: { steps: 50_000, lr: 1e-3, batch: 10_000, headTuning: true, headSamples: 50_000 },
  restarts: { timeFraction: 0.5, cgIterations: null, fitSteps: null },
  dtype: 'float64',
  device: 'auto',
  seed: 0,
  memoryBudget: 4 * 2 ** 30,
  distributed: null,
};

describe('resolveOptions: defaults', () => {
  it('fills in the paper defaults, and the problem shorthand gives the same', () => {
    const full = resolveOptions({ problem });
    expect(full).toEqual({ problem, ...paper });
    expect(full.problem).toBe(problem);
    expect(resolveOptions(problem)).toEqual(full);
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
    expect(r.network).toEqual({ ...paper.network, width: 64, activation: 'tanh', embedding: false });
    expect(r.samples).toBe(16);
    expect(r.linear).toEqual({
      method: 'pcg',
      tol: 1e-6,
      maxIters: 1000,
      rank: 0,
      mu: 1e-6,
      muScale: 'solution',
      mixedPrecision: false,
      reusePreconditioner: false,
    });
    expect(r.integrator).toEqual({ method: 'rk23', rtol: 1e-4, errorNorm: 'parameters' });
    expect(r.fit).toEqual({ ...paper.fit, steps: 0, headTuning: false });
    expect([r.dtype, r.device, r.seed, r.memoryBudget]).toEqual(['float32', 'cpu', 7, 2 ** 20]);
    expect(resolveOptions({ problem, seed: undefined }).seed).toBe(0);
  });

  it('dense solves take only mu and its scale', () => {
    const dense = (linear: object) => resolveOptions({ problem, linear: { method: 'dense', ...linear } }).linear;
    expect(dense({})).toEqual({ method: 'dense', mu: 1e-6, muScale: 'solution' });
    expect(dense({ mu: 0, muScale: 'absolute' })).toEqual({ method: 'dense', mu: 0, muScale: 'absolute' });
    const e = errorOf({ problem, linear: { method: 'dense', rank: 10 } });
    expect(e.path).toBe('linear.rank');
  });

  it('restart policies: false, true, time fraction, CG iterations, both', () => {
    expect(resolveOptions({ problem, restarts: false }).restarts).toBe(false);
    expect(resolveOptions({ problem, restarts: true }).restarts).toEqual(paper.restarts);
    expect(resolveOptions({ problem, restarts: {} }).restarts).toEqual(paper.restarts);
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
    expect(resolveOptions({ problem, restarts: { fitSteps: 300 } }).restarts).toEqual({
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
    expect(resolveOptions({ problem: free, margin: 0.75, integrator: { errorNorm: 'function' } }).integrator).toEqual({
      ...paper.integrator,
      errorNorm: 'function',
    });
  });

  it('DEFAULT_OPTIONS holds the same defaults', () => {
    expect(DEFAULT_OPTIONS.network).toEqual(paper.network);
    expect(DEFAULT_OPTIONS.linear).toEqual(paper.linear);
    expect(DEFAULT_OPTIONS.integrator).toEqual(paper.integrator);
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
    ['linear.mixedPrecision', { linear: { mixedPrecision: true }, dtype: 'float32' }, /float64/],
    ['linear.mixedPrecision', { linear: { method: 'dense', mixedPrecision: true } }, /unknown key/],
    ['integrator.method', { integrator: { method: 'euler' } }, /'rk23', 'rk45'/],
    ['integrator.rtol', { integrator: { rtol: 0 } }],
    ['integrator.rtol', { integrator: { rtol: 2 } }],
    ['integrator.atol', { integrator: { atol: 1e-6 } }, /unknown key/],
    ['integrator.errorNorm', { integrator: { errorNorm: 'state' } }, /'parameters', 'function'/],
    ['fit.steps', { fit: { steps: -1 } }],
    ['fit.lr', { fit: { lr: 0 } }],
    ['fit.batch', { fit: { batch: 0 } }],
    ['fit.headTuning', { fit: { headTuning: 1 } }],
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
