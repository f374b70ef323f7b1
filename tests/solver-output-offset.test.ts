// network.outputOffset: a field that is a large constant plus a small variation is fitted and
// evolved as its variation is.
import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops } from '../ts/problem';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { sessionConfigFor } from '../ts/solver/session-config';
import { narrowBump } from './helpers/narrow-bump';
import { SMALL_RUN } from './helpers/small-run';
import { specError } from './helpers/spec-error';

const { sin, cos, exp, lap } = ops;
const tau = 2 * Math.PI;
const mode = (x: readonly Expr[]) => sin(x[0].mul(tau)).mul(cos(x[1].mul(tau)));

/** u_t = Δu on the periodic [0, 1]² from O + sin 2πx cos 2πy: u = O + e^{−8π²t} sin 2πx cos 2πy. */
function offsetHeat(O: number, boundary: 'periodic' | 'none' = 'periodic') {
  return defineProblem({
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: mode(x).add(O) }),
    rhs: ({ u }) => ({ u: lap(u) }),
    exact: ({ x, t }) => ({
      u: mode(x)
        .mul(exp(t.mul(-2 * tau * tau)))
        .add(O),
    }),
  });
}

/** Two fields: u with an offset of 300, v a bump on a zero background. */
function twoFields() {
  return defineProblem({
    dim: 1,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u', 'v'],
    initial: ({ x }) => ({ u: cos(x[0].mul(Math.PI)).add(300), v: exp(x[0].pow(2).mul(-20)) }),
    rhs: ({ u, v }) => ({ u: lap(u).mul(0.01), v: lap(v).mul(0.01) }),
  });
}

describe('network.outputOffset', () => {
  it("defaults to a field's mean where it dominates the field's spread, and scales u − o", () => {
    const options = resolveOptions(offsetHeat(300));
    // The mean of sin 2πx cos 2πy over the box is 0: the offset is 300 to the pilot points' mean.
    expect(Math.abs(options.network.outputOffset.u - 300)).toBeLessThan(0.05);
    expect(Math.abs(options.network.outputScale.u - 1)).toBeLessThan(0.05);
    const two = resolveOptions(twoFields()).network;
    // The mean of cos πx over the sampled box [−1.5, 1.5] (margin 0.5) is 2 sin(1.5π)/(3π).
    expect(Math.abs(two.outputOffset.u - (300 - 2 / (3 * Math.PI)))).toBeLessThan(0.02);
    // The bump's mean (about 0.13 over the sampled box) is under twice its spread: no offset.
    expect(two.outputOffset.v).toBe(0);
    expect(two.outputScale.v).toBeCloseTo(1, 6);
    // A hot spot far narrower than the pilot points' spacing on 300: its height is found by the
    // climb on |u0 − o|, so the scale is the spot's, not the pilot points' glimpse of it.
    const hot = resolveOptions(narrowBump(1, 300)).network;
    expect(Math.abs(hot.outputOffset.u - 300)).toBeLessThan(1e-3);
    expect(Math.abs(hot.outputScale.u - 1)).toBeLessThan(1e-3);
    // No offset where it does not dominate, or where the network cannot carry one.
    expect(resolveOptions(offsetHeat(0.5)).network.outputOffset.u).toBe(0);
    expect(resolveOptions({ problem: offsetHeat(300), preset: 'paper' }).network.outputOffset.u).toBe(0);
    // A plateau that falls to zero on the faces: 1 − (2x − 1)³², mean 0.97, spread 0.12.
    const plateau = (boundary: 'dirichlet' | 'none') =>
      defineProblem({
        dim: 1,
        domain: { lower: 0, upper: 1 },
        boundary,
        fields: ['u'],
        initial: ({ x }) => ({ u: x[0].mul(2).sub(1).pow(32).neg().add(1) }),
        rhs: ({ u }) => ({ u: lap(u) }),
      });
    expect(resolveOptions({ problem: plateau('none'), margin: 0 }).network.outputOffset.u).toBeGreaterThan(0.9);
    expect(resolveOptions(plateau('dirichlet')).network.outputOffset.u).toBe(0);
    expect(resolveOptions({ problem: offsetHeat(300), network: { output: 'exp' } }).network.outputOffset.u).toBe(0);
    const constant = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'periodic',
      fields: ['u'],
      initial: () => ({ u: 300 }),
      rhs: ({ x }) => ({ u: sin(x[0].mul(tau)) }),
    });
    expect(resolveOptions(constant).network.outputOffset.u).toBe(0);
  });

  it('takes a number or a record by field; a non-finite value, or one the network cannot carry, is a SpecError', () => {
    expect(resolveOptions({ problem: twoFields(), network: { outputOffset: 5 } }).network.outputOffset).toEqual({
      u: 5,
      v: 5,
    });
    const given = resolveOptions({ problem: twoFields(), network: { outputOffset: { v: -2 } } });
    expect(given.network.outputOffset).toEqual({ u: 0, v: -2 });
    expect(sessionConfigFor(given, 'cpu').network.outputOffset).toEqual([0, -2]);
    const problem = twoFields();
    expect(specError(() => resolveOptions({ problem, network: { outputOffset: Number.NaN } })).path).toBe(
      'network.outputOffset',
    );
    expect(specError(() => resolveOptions({ problem, network: { outputOffset: { w: 1 } } })).path).toBe(
      'network.outputOffset.w',
    );
    const exp = specError(() => resolveOptions({ problem, network: { output: 'exp', outputOffset: 1 } }));
    expect(exp.path).toBe('network.outputOffset');
    expect(exp.message).toContain("'exp'");
  });
});

/** ‖u − u*‖ / ‖u* − O‖ at t on a 40×40 grid: the error of the variation, not of u. */
function variationError(values: Float64Array, points: Float64Array, O: number, t: number): number {
  let [e, s] = [0, 0];
  for (let i = 0; i < values.length; i++) {
    const v = Math.exp(-2 * tau * tau * t) * Math.sin(tau * points[2 * i]) * Math.cos(tau * points[2 * i + 1]);
    e += (values[i] - O - v) ** 2;
    s += v * v;
  }
  return Math.sqrt(e / s);
}

describe('a field on a large offset', { timeout: 300_000 }, () => {
  const options = SMALL_RUN;
  const T = 1 / (2 * tau * tau);
  const m = 40;
  const grid = new Float64Array(2 * m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) [grid[2 * (i * m + j)], grid[2 * (i * m + j) + 1]] = [(i + 0.5) / m, (j + 0.5) / m];

  it('follows its variation as it follows the same variation without the offset', async () => {
    const run = async (O: number, network: Record<string, unknown> = {}) => {
      const sol = await new NeuralIVP({
        problem: offsetHeat(O),
        ...options,
        network: { ...options.network, ...network },
      }).evolve(T);
      return variationError(sol.evaluate(grid, T), grid, O, T);
    };
    const plain = await run(0);
    const offset = await run(300);
    expect(plain).toBeLessThan(1e-3);
    expect(offset).toBeLessThan(2 * plain);
    // Without the offset the MLP carries u/300: its variation is 1/300 of what it fits, and both
    // the fit's tolerance and the steps' are loose by that factor.
    const without = await run(300, { outputOffset: 0 });
    expect(without).toBeGreaterThan(10 * offset);
  });
});
