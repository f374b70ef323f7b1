// The check evolve makes on the fit it starts from: the bound, the rate and advice read from the
// fit, and the refusal (and `fit.allowPoorFit`) through the native session.
import { describe, expect, it } from 'vitest';
import { defineProblem, ops } from '../ts/index';
import { problems } from '../ts/problems/index';
import {
  checkFit,
  type FitTracePoint,
  fitAdvice,
  POOR_FIT_FACTOR,
  PoorFitError,
  poorFitBound,
  RATE_MIN_ITERATIONS,
  RATE_MIN_SECONDS,
  recentRate,
} from '../ts/solver/fit-guard';
import { type FitReport, fitReport } from '../ts/solver/fit-report';
import type { InitialShape } from '../ts/solver/initial-shape';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { type NeuralIVPInput, resolveOptions } from '../ts/solver/options';
import { testDevice } from './helpers/device';

const report = (over: Partial<FitReport> = {}): FitReport => ({
  ...fitReport(
    {
      relativeError: 4e-2,
      seconds: 60,
      iterations: 50,
      stopped: 'budget',
      message: 'ran out of time',
      rejected: 0,
      cgIterations: 1000,
      samples: 2000,
      headTuned: false,
    },
    'gauss-newton',
    1e-5,
    61,
  ),
  ...over,
});

const broad: InitialShape = {
  occupiedFraction: 0.5,
  finestOctave: 0,
  positive: true,
  faceShare: 0,
  keepsPositive: true,
};
const options = (input: Omit<NeuralIVPInput, 'problem'> = {}) =>
  resolveOptions({ problem: problems.heat({ dim: 2 }), device: 'cpu', ...input });

/** A fit whose error falls by `factor` every 10 s from 1 at t = 0, one iteration per second. */
const geometric = (factor: number, seconds: number): FitTracePoint[] =>
  Array.from({ length: seconds }, (_, i) => ({ seconds: i + 1, error: factor ** ((i + 1) / 10) }));

describe('the bound', () => {
  it('is POOR_FIT_FACTOR times the tolerance, none without one', () => {
    expect(POOR_FIT_FACTOR).toBe(1000);
    expect(poorFitBound(1e-5)).toBeCloseTo(1e-2, 15);
    expect(poorFitBound(null)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('recentRate', () => {
  it('is the factor per second over the last half of the fit', () => {
    // Halving every 10 s: 0.5^(1/10) per second, whatever part of the trace it reads.
    expect(recentRate(geometric(0.5, 60))).toBeCloseTo(0.5 ** 0.1, 12);
  });
  it('reads only the last half: a fit that stopped improving has rate 1', () => {
    const trace = [...geometric(0.01, 20), ...Array.from({ length: 40 }, (_, i) => ({ seconds: 21 + i, error: 1e-4 }))];
    expect(recentRate(trace)).toBe(1);
  });
  it('is null without two points', () => {
    expect(recentRate([])).toBeNull();
    expect(recentRate([{ seconds: 3, error: 0.1 }])).toBeNull();
  });
});

describe('fitAdvice', () => {
  it('a budget-bound fit that still improves: more time, and how much', () => {
    // Error 4e-2 halving every 10 s: the bound 1e-2 is two halvings (20 s) away, the tolerance
    // 1e-5 log2(4000) halvings (119.7 s).
    const advice = fitAdvice(report(), options(), () => broad, geometric(0.5, 60));
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ option: 'fit.maxSeconds', now: 60 });
    expect(advice[0].reason).toMatch(/×0\.50 per 10 s/);
    expect(advice[0].reason).toMatch(/1\.0e-2 after about 20 s more and the tolerance after about 120 s more/);
  });
  it('a fit already within the bound is told the time to its tolerance alone, in words below a second', () => {
    // 1.6e-5 halving every 10 s: the tolerance 1e-5 is 6.8 s away; 1.01e-5 is 0.14 s away.
    const near = fitAdvice(report({ relativeError: 1.6e-5 }), options(), () => broad, geometric(0.5, 60));
    expect(near[0].reason).toMatch(
      /at that rate, which a fit seldom keeps, it reaches the tolerance after about 7 s more$/,
    );
    const nearer = fitAdvice(report({ relativeError: 1.01e-5 }), options(), () => broad, geometric(0.5, 60));
    expect(nearer[0].reason).toMatch(/the tolerance after under a second more$/);
  });
  it('a fit too short to read a rate from is told to run longer, with no time promised', () => {
    // A second of fit whose error fell ×1e-40 per 10 s in its last half: extrapolated, it would
    // promise its tolerance at once.
    const steep: FitTracePoint[] = Array.from({ length: 10 }, (_, i) => ({
      seconds: (i + 1) / 10,
      error: 10 ** -(i + 1),
    }));
    const short = fitAdvice(report({ relativeError: 1e-3, seconds: 1 }), options(), () => broad, steep);
    expect(short[0]).toMatchObject({ option: 'fit.maxSeconds' });
    expect(short[0].reason).toBe(
      'the error still fell when the fit ran out, after 1.0 s: too short a fit to tell how much longer it needs',
    );
    // Two seconds and five iterations in the last half are enough.
    const enough = fitAdvice(report(), options(), () => broad, geometric(0.5, 4 + RATE_MIN_SECONDS + 6));
    expect(enough[0].reason).toMatch(/per 10 s over its last half/);
    expect(RATE_MIN_ITERATIONS).toBe(5);
  });
  it('an iteration cap without a trace: more iterations', () => {
    const advice = fitAdvice(report({ stopped: 'steps' }), options(), () => broad, []);
    expect(advice.map((a) => a.option)).toEqual(['fit.maxIterations']);
  });
  it('an iteration cap set by fit.steps names fit.steps, the cap that bound', () => {
    const advice = fitAdvice(report({ stopped: 'steps' }), options({ fit: { steps: 0 } }), () => broad, []);
    expect(advice).toEqual([{ option: 'fit.steps', now: 0, reason: 'the fit ran out of iterations' }]);
    // A steps cap above maxIterations did not bind.
    const above = fitAdvice(report({ stopped: 'steps' }), options({ fit: { steps: 500 } }), () => broad, []);
    expect(above.map((a) => [a.option, a.now])).toEqual([['fit.maxIterations', 200]]);
  });
  it('a stall on a concentrated u0 finer than the embedding: sampling, octaves, width, points', () => {
    const shape: InitialShape = {
      occupiedFraction: 2e-3,
      finestOctave: 6.3,
      positive: true,
      faceShare: 0,
      keepsPositive: true,
    };
    const o = options({ samples: { count: 2000, importance: false }, network: { frequencies: 5 } });
    const fit = report({ stopped: 'stalled', samples: o.fit.maxSamples });
    const advice = fitAdvice(fit, o, () => shape, geometric(0.5, 60));
    expect(advice.map((a) => a.option)).toEqual([
      'samples.importance',
      'network.frequencies',
      'network.decay',
      'network.width',
      'fit.maxSamples',
    ]);
    expect(advice[0].reason).toMatch(/0\.20 % of the sampled box/);
    expect(advice[1].reason).toMatch(/octave 6\.3 .* highest, 5: 7 would resolve it/);
  });
  it('a budget-bound fit whose error stopped falling: capacity, not time', () => {
    const trace = [...geometric(0.1, 20), ...Array.from({ length: 40 }, (_, i) => ({ seconds: 21 + i, error: 4e-2 }))];
    const advice = fitAdvice(report(), options(), () => broad, trace);
    expect(advice.map((a) => a.option)).toEqual(['network.decay', 'network.width']);
    expect(advice[1].reason).toMatch(/stopped falling/);
    // Without the damped octaves to blame, capacity alone.
    const undamped = fitAdvice(report(), options({ network: { decay: 0 } }), () => broad, trace);
    expect(undamped.map((a) => a.option)).toEqual(['network.width']);
  });
  it('a fit still improving, but too slowly to reach its tolerance in two more budgets: the damped octaves too', () => {
    // Error 4e-2 falling ×0.87 per 10 s: the tolerance 1e-5 is ln(4000)/ln(1/0.87) × 10 s ≈ 596 s
    // away, ten budgets of 60 s.
    const slow = fitAdvice(report(), options(), () => broad, geometric(0.87, 60));
    expect(slow.map((a) => a.option)).toEqual(['fit.maxSeconds', 'network.decay']);
    expect(slow[0].reason).toMatch(/tolerance after about 596 s more/);
    expect(slow[1]).toMatchObject({ now: 2 });
    expect(slow[1].reason).toMatch(/2\^\(−2k\).*; 1 weighs them more/);
    // The raw point has no octaves; a fit that gets there within two budgets needs time alone.
    expect(
      fitAdvice(report(), options({ network: { embedding: false } }), () => broad, geometric(0.87, 60)).map(
        (a) => a.option,
      ),
    ).toEqual(['fit.maxSeconds']);
    expect(fitAdvice(report(), options(), () => broad, geometric(0.5, 60)).map((a) => a.option)).toEqual([
      'fit.maxSeconds',
    ]);
  });
});

describe('checkFit', () => {
  const shape = () => broad;
  // The report as `fit` leaves it: with the advice its trace gives.
  const advised = (r: FitReport, trace: readonly FitTracePoint[]): FitReport => ({
    ...r,
    advice: fitAdvice(r, options(), shape, trace),
  });
  it('refuses above the bound with the figures, and lets a fit at or below it go', () => {
    expect(() => checkFit(advised(report({ relativeError: 1e-2 }), []), options())).not.toThrow();
    let error: unknown;
    try {
      checkFit(advised(report(), geometric(0.5, 60)), options());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoorFitError);
    const e = error as PoorFitError;
    expect(e.name).toBe('PoorFitError');
    expect(e).toMatchObject({ relativeError: 4e-2, tol: 1e-5 });
    expect(e.bound).toBeCloseTo(1e-2, 15);
    expect(e.message).toMatch(
      /relative error of 4\.00e-2 on held-out points, above 1\.0e-2 = 1000 × fit\.tol \(1\.0e-5\)/,
    );
    expect(e.message).toMatch(/stopped after 50 iterations and 61 s \(budget: ran out of time\)/);
    expect(e.message).toMatch(/fit\.maxSeconds \(now 60\)/);
    expect(e.message).toMatch(/fit\.allowPoorFit: true/);
  });
  it('refuses a non-finite fit, pointing at the network rather than its width', () => {
    expect(() => checkFit(advised(report({ relativeError: Number.NaN }), []), options())).toThrow(PoorFitError);
    const gaussNewton = fitAdvice(report({ relativeError: Number.NaN, stopped: 'stalled' }), options(), shape, []);
    expect(gaussNewton.map((a) => a.option)).toEqual(['network']);
    expect(gaussNewton[0].reason).toMatch(/not finite: u0 is finite where points are drawn/);
    const adam = fitAdvice(
      report({ relativeError: Number.POSITIVE_INFINITY, method: 'adam' }),
      options({ fit: { method: 'adam' } }),
      shape,
      [],
    );
    expect(adam.map((a) => a.option)).toEqual(['fit.lr']);
  });
  it('never refuses with fit.allowPoorFit or without a tolerance', () => {
    expect(() => checkFit(advised(report(), []), options({ fit: { allowPoorFit: true } }))).not.toThrow();
    expect(() => checkFit(report({ tol: null }), options({ fit: { tol: null } }))).not.toThrow();
  });
});

describe('evolve from a poor fit (native session)', () => {
  // A 2D bump a tenth of the box wide, fitted by one Gauss–Newton iteration of a width-8 network:
  // far from a 1e-7 tolerance (the bound is 1e-4).
  const bump = defineProblem({
    name: 'bump-2d',
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).add(x[1].pow(2)).mul(-50)) }),
    rhs: ({ u }) => ({ u: ops.lap(u).mul(0.01) }),
    exact: ({ x, t }) => {
      // The free-space heat kernel from variance 0.01 per axis: exact while the bump is far from
      // the faces (its value there is below e^-45 up to t = 0.05).
      const s = t.mul(0.02).add(0.01);
      return {
        u: ops
          .constant(0.01)
          .div(s)
          .mul(ops.exp(x[0].pow(2).add(x[1].pow(2)).div(s.mul(-2)))),
      };
    },
  });
  const input = (allowPoorFit: boolean): NeuralIVPInput => ({
    problem: bump,
    network: { width: 8, depth: 1 },
    samples: { count: 400, importance: false },
    fit: { tol: 1e-7, maxIterations: 1, samples: 200, headTuning: false, allowPoorFit },
    linear: { method: 'pcg', rank: 20 },
    integrator: { method: 'rk23', rtol: 1e-2 },
    restarts: false,
    device: testDevice,
    seed: 0,
  });

  it('rejects with a PoorFitError carrying the fit, before any step', async () => {
    const ivp = new NeuralIVP(input(false));
    const fit = await ivp.fit();
    expect(fit.stopped).toBe('steps');
    expect(fit.relativeError).toBeGreaterThan(1e-4);
    const error = await ivp.evolve(0.05).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoorFitError);
    const e = error as PoorFitError;
    expect(e.fit).toBe(fit);
    expect(e.relativeError).toBe(fit.relativeError);
    expect(e.bound).toBeCloseTo(1e-4, 18);
    expect(e.message).toContain(`relative error of ${fit.relativeError.toExponential(2)}`);
    expect(e.advice[0].option).toBe('fit.maxIterations');
  });

  it('with fit.allowPoorFit evolves, from a start as poor as the fit said', async () => {
    const ivp = new NeuralIVP(input(true));
    const solution = await ivp.evolve(0.05);
    expect(solution.times).toEqual([0, 0.05]);
    const fit = solution.stats.fit as FitReport;
    expect(fit.relativeError).toBeGreaterThan(1e-4);
    // The error at t = 0 against the closed form, on points of its own, is the fit's held-out error.
    const atStart = await solution.error(0, 20_000);
    expect(atStart / fit.relativeError).toBeGreaterThan(0.8);
    expect(atStart / fit.relativeError).toBeLessThan(1.25);
  });
});
