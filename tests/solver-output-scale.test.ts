// network.outputScale: each field's size read from u0, and a problem that fits and evolves alike
// whatever the units of u.
import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops } from '../ts/problem';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { sessionConfigFor } from '../ts/solver/session-config';
import { testDevice } from './helpers/device';
import { narrowBump } from './helpers/narrow-bump';
import { specError } from './helpers/spec-error';

const { sin, exp, lap, d } = ops;
const k = Math.PI;

/** u_t = Δu on [0, 1]² from A·sin πx sin πy: u = A·e^{−2π²t} sin πx sin πy. */
function heat(A: number) {
  const mode = (x: readonly Expr[]) => sin(x[0].mul(k)).mul(sin(x[1].mul(k)));
  return defineProblem({
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: mode(x).mul(A) }),
    rhs: ({ u }) => ({ u: lap(u) }),
    exact: ({ x, t }) => ({
      u: mode(x)
        .mul(exp(t.mul(-2 * k * k)))
        .mul(A),
    }),
  });
}

/** A string from rest: u_t = v, v_t = u_xx, u0 = A·sin πx, v0 = 0. */
function stringFromRest(A: number) {
  return defineProblem({
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => ({ u: sin(x[0].mul(k)).mul(A), v: x[0].mul(0) }),
    rhs: ({ u, v }) => ({ u: v, v: d(d(u, 0), 0) }),
  });
}

describe('network.outputScale', () => {
  it("defaults to each field's largest |u0|, a zero field taking the largest other's", () => {
    for (const A of [1e-8, 1, 3e7]) {
      const c = resolveOptions(heat(A)).network.outputScale.u;
      expect(Math.abs(c / A - 1)).toBeLessThan(1e-9);
    }
    const string = resolveOptions(stringFromRest(-2e-5)).network.outputScale;
    expect(Math.abs(string.u / 2e-5 - 1)).toBeLessThan(1e-9);
    expect(string.v).toBe(string.u);
    // The compass search finds the top that 4,096 uniform pilot points miss by far.
    const linear = resolveOptions({ problem: narrowBump(5e3), network: { output: 'linear' } });
    expect(Math.abs(linear.network.outputScale.u / 5e3 - 1)).toBeLessThan(1e-6);
    // Under the log output m's bias carries the size.
    const log = resolveOptions({ problem: heat(1e-8), network: { output: 'exp' } });
    expect(log.network.outputScale).toEqual({ u: 1 });
  });

  it('is 1 under the paper preset and for a u0 that is zero everywhere; a given value wins', () => {
    expect(resolveOptions({ problem: heat(1e-8), preset: 'paper' }).network.outputScale).toEqual({ u: 1 });
    const source = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: x[0].mul(0) }),
      rhs: ({ x }) => ({ u: sin(x[0].mul(k)) }),
    });
    expect(resolveOptions(source).network.outputScale).toEqual({ u: 1 });
    expect(resolveOptions({ problem: heat(1e-8), network: { outputScale: 2 } }).network.outputScale).toEqual({ u: 2 });
    const given = resolveOptions({ problem: stringFromRest(1e-3), network: { outputScale: { v: 5 } } });
    expect(given.network.outputScale).toEqual({ u: 1, v: 5 });
    expect(sessionConfigFor(given, 'cpu').network.outputScale).toEqual([1, 5]);
  });

  it('a value that is not a positive number, or names no field, is a SpecError naming it', () => {
    const problem = stringFromRest(1);
    expect(specError(() => resolveOptions({ problem, network: { outputScale: 0 } })).path).toBe('network.outputScale');
    expect(specError(() => resolveOptions({ problem, network: { outputScale: { v: -1 } } })).path).toBe(
      'network.outputScale.v',
    );
    expect(specError(() => resolveOptions({ problem, network: { outputScale: { w: 1 } } })).path).toBe(
      'network.outputScale.w',
    );
    expect(
      specError(() => resolveOptions({ problem, network: { outputScale: 'big' as unknown as number } })).path,
    ).toBe('network.outputScale');
  });
});

/** Two uncoupled copies of the heat mode, u of size 1 and v of size `b`. */
function twoSizes(b: number) {
  const mode = (x: readonly Expr[]) => sin(x[0].mul(k)).mul(sin(x[1].mul(k)));
  return defineProblem({
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => ({ u: mode(x), v: mode(x).mul(b) }),
    rhs: ({ u, v }) => ({ u: lap(u), v: lap(v) }),
  });
}

/** Each field's relative L2 error at t against its size times the decaying mode, on a grid. */
function fieldErrors(values: Float64Array, points: Float64Array, sizes: readonly number[], t: number): number[] {
  const n = points.length / 2;
  return sizes.map((size, a) => {
    let e = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const exact = size * Math.exp(-2 * k * k * t) * Math.sin(k * points[2 * i]) * Math.sin(k * points[2 * i + 1]);
      e += (values[sizes.length * i + a] - exact) ** 2;
      s += exact ** 2;
    }
    return Math.sqrt(e / s);
  });
}

describe('a problem in any units', { timeout: 300_000 }, () => {
  const options = {
    network: { width: 24, depth: 2 },
    samples: 1500,
    fit: { tol: 1e-5, maxIterations: 40, maxSeconds: 60, samples: 1000, rank: 40 },
    integrator: { method: 'rk23' as const, rtol: 1e-3 },
    restarts: false as const,
    seed: 3,
    device: testDevice,
  };

  it('fits and evolves u0 = 1e-8 and 1e8 times a heat mode as it does the mode itself', async () => {
    const T = 0.05;
    const run = async (A: number) => {
      const sol = await new NeuralIVP({ problem: heat(A), ...options }).evolve(T);
      return {
        fit: sol.stats.fit?.relativeError ?? Number.NaN,
        error: await sol.error(T, 4000),
        steps: sol.stats.steps,
      };
    };
    const unit = await run(1);
    expect(unit.fit).toBeLessThan(1e-4);
    expect(unit.error).toBeLessThan(1e-2);
    for (const A of [1e-8, 1e8]) {
      const scaled = await run(A);
      // The same θ up to rounding: u/c is the same function.
      expect(scaled.fit / unit.fit, `fit at ${A}`).toBeGreaterThan(0.9);
      expect(scaled.fit / unit.fit, `fit at ${A}`).toBeLessThan(1.1);
      expect(scaled.error / unit.error, `error at ${A}`).toBeGreaterThan(0.9);
      expect(scaled.error / unit.error, `error at ${A}`).toBeLessThan(1.1);
      expect(scaled.steps).toBe(unit.steps);
    }
  });

  it('a field a millionth the size of the other evolves as accurately (its block regularised at its size)', async () => {
    const T = 0.05;
    const sol = await new NeuralIVP({ problem: twoSizes(1e-6), ...options }).evolve(T);
    const m = 40;
    const points = new Float64Array(2 * m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        points[2 * (i * m + j)] = (i + 0.5) / m;
        points[2 * (i * m + j) + 1] = (j + 0.5) / m;
      }
    }
    const [u, v] = fieldErrors(sol.evaluate(points, T), points, [1, 1e-6], T);
    expect(u).toBeLessThan(1e-2);
    // Regularised at the larger field's size, v's θ̇ was damped to nothing: v stayed at u0.
    expect(v).toBeLessThan(5 * u + 1e-3);
  });
});
