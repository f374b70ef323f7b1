// A field that starts at zero is given the features of its initial rate f(u0): which fields, the
// rate's values against its closed form, θ's layout against the native network, the fit's
// orchestration (fake session) and, end to end, the first step's rate against u0''.
import { describe, expect, it } from 'vitest';
import { native } from '../ts/native';
import { defineProblem, type Problem } from '../ts/problem/define';
import { ops } from '../ts/problem/ops';
import { initialRate } from '../ts/solver/initial-rhs';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { rateTargets, withRateFeatures, zeroFields } from '../ts/solver/rate-features';
import { decodeSolution, encodeSolution } from '../ts/solver/save-format';
import { testDevice } from './helpers/device';
import { relativeError, uniform } from './helpers/random';
import { fakeFactory } from './solver-fake-session';

const PI = Math.PI;
const u0xx = (x: number): number => -PI * PI * (Math.sin(PI * x) + 2.7 * Math.sin(3 * PI * x));

/** The string u_t = v, v_t = u_xx on [0, 1] from rest (v = 0), or with both fields given. */
function string(v0: 'rest' | 'moving' = 'rest', u: 'plucked' | 'flat' = 'plucked'): Problem {
  const { sin, lap } = ops;
  return defineProblem({
    name: 'string',
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => ({
      u: u === 'flat' ? 0 : sin(x[0].mul(PI)).add(sin(x[0].mul(3 * PI)).mul(0.3)),
      v: v0 === 'rest' ? 0 : sin(x[0].mul(PI)),
    }),
    rhs: ({ u, v }) => ({ u: v, v: lap(u) }),
  });
}

describe('zeroFields and rateTargets', () => {
  const n = 500;
  const x = uniform(n, 0.01, 0.99, 3);

  it('finds the fields that start at zero with a non-zero rate', () => {
    const zero = (problem: Problem) => zeroFields(initialRate(problem, x, n, [0], [1]));
    expect(zero(string())).toEqual([false, true]);
    expect(zero(string('moving'))).toEqual([false, false]);
    // At rest everywhere: both rates are zero, nothing to learn.
    expect(zero(string('rest', 'flat'))).toEqual([false, false]);
  });

  it("gives the zero field f(u0) = u0'' and the others zero", () => {
    const values = rateTargets(string(), [false, true], x, n, [0], [1]);
    expect(values).not.toBeNull();
    const v = Float64Array.from({ length: n }, (_, p) => (values as Float64Array)[2 * p + 1]);
    expect(relativeError(v, x.map(u0xx))).toBeLessThan(1e-6);
    for (let p = 0; p < n; p++) expect((values as Float64Array)[2 * p]).toBe(0);
  });

  it('gives null where the rate is not finite', () => {
    const problem = defineProblem({
      name: 'root',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: ops.cos(x[0].mul(PI)), v: 0 }),
      rhs: ({ u, v }) => ({ u: v, v: ops.sqrt(u) }),
    });
    expect(rateTargets(problem, [false, true], x, n, [0], [1])).toBeNull();
  });
});

describe('withRateFeatures', () => {
  it("takes the zero field's block from the rate fit with its last layer zero, the native layout", async () => {
    const width = 8;
    const net = new (native().Network)({
      dim: 1,
      fields: 2,
      width,
      depth: 2,
      frequencies: 2,
      lower: [0],
      upper: [1],
      device: testDevice,
    });
    const theta0 = net.initialParameters(0);
    const rateTheta = net.initialParameters(1);
    const theta = withRateFeatures(theta0, rateTheta, [false, true], width);
    const n = 64;
    const x = uniform(n, 0, 1, 5);
    const [before, rate, after] = await Promise.all(
      [theta0, rateTheta, theta].map(async (t) => (await net.forward(t, x, {})).values),
    );
    for (let p = 0; p < n; p++) {
      expect(after[2 * p]).toBe(before[2 * p]);
      expect(after[2 * p + 1]).toBe(0);
    }
    // Restoring the rate fit's last layer gives the rate fit's field back: the hidden layers are its.
    const last = net.layout().layers.at(-1);
    expect(last?.in).toBe(width);
    const block = theta.length / 2;
    const restored = Float64Array.from(theta);
    restored.set(rateTheta.subarray(2 * block - width - 1), 2 * block - width - 1);
    const back = (await net.forward(restored, x, {})).values;
    for (let p = 0; p < n; p++) expect(back[2 * p + 1]).toBeCloseTo(rate[2 * p + 1], 12);
  });
});

describe('the fit of a field that starts at zero (fake session)', () => {
  const options = {
    problem: string(),
    device: 'cpu' as const,
    restarts: false as const,
    network: { width: 2, depth: 1 },
    fit: { tol: 1e-5, maxSeconds: 20 },
  };

  it('fits the rate on a pool at ten times the tolerance and half the time, then zeroes the head', async () => {
    const { make, sessions } = fakeFactory({ p: 12 });
    const ivp = new NeuralIVP(options, { createSession: make });
    const report = await ivp.fit();
    const session = sessions[0];
    expect(session.fits).toBe(2);
    expect(session.lastFitConfig).toMatchObject({ tol: 1e-4, maxSeconds: 10 });
    const pool = session.lastPool as { points: Float64Array; values: Float64Array };
    // Points within two difference steps (1e-4) of a face are read that far inside: compare the rest.
    const inside = Array.from(pool.points.keys()).filter((p) => Math.min(pool.points[p], 1 - pool.points[p]) > 1e-3);
    const v = Float64Array.from(inside, (p) => pool.values[2 * p + 1]);
    expect(inside.length).toBeGreaterThan(0.99 * pool.points.length);
    expect(
      relativeError(
        v,
        Float64Array.from(inside, (p) => u0xx(pool.points[p])),
      ),
    ).toBeLessThan(1e-6);
    expect(report.rateFeatures).toMatchObject({ fields: ['v'], relativeError: 1e-3 });
    // Both fake fits give θ_i = 1 + i/10: the u block as fitted, v's last layer (3 entries) zero.
    const solution = await ivp.evolve(1e-3);
    expect(Array.from(solution.theta(0))).toEqual(Array.from({ length: 12 }, (_, i) => (i >= 9 ? 0 : 1 + i / 10)));
    expect(solution.stats.fit?.rateFeatures?.fields).toEqual(['v']);
    const saved = decodeSolution(encodeSolution(solution.toData()));
    expect(saved.stats.fit?.rateFeatures).toEqual(report.rateFeatures);
  });

  it('fits once when no field starts at zero, when it is off, and with the paper preset', async () => {
    for (const extra of [
      { problem: string('moving') },
      { fit: { rateFeatures: false } },
      { preset: 'paper' as const, fit: { maxIterations: 10 } },
    ]) {
      const { make, sessions } = fakeFactory({ p: 12 });
      const report = await new NeuralIVP({ ...options, ...extra }, { createSession: make }).fit();
      expect(sessions[0].fits).toBe(1);
      expect(sessions[0].lastPool).toBeNull();
      expect(report.rateFeatures).toBeNull();
    }
  });

  it('aborts during the rate fit and leaves nothing stored', async () => {
    const { make, sessions } = fakeFactory({ p: 12, fitDelayMs: 200 });
    const ivp = new NeuralIVP(options, { createSession: make });
    const controller = new AbortController();
    const fit = ivp.fit({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(sessions[0].fits).toBe(2);
    controller.abort();
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 300));
    expect(sessions[0].store.size).toBe(0);
  });
});

describe('the first step of a string from rest (native)', () => {
  it("follows v_t = u0'' from the first step with the rate's features, and not without them", async () => {
    const T = 1e-4;
    const n = 200;
    const x = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const rateError = async (rateFeatures: boolean) => {
      const ivp = new NeuralIVP({
        problem: string(),
        device: testDevice,
        restarts: false,
        network: { width: 32, depth: 2 },
        // A budget far beyond the fits' few seconds: they stop at their tolerance, on any machine load.
        fit: { rateFeatures, maxSeconds: 120 },
        seed: 1,
      });
      const fit = await ivp.fit();
      const solution = await ivp.evolve(T);
      const [at0, atT] = [solution.evaluate(x, 0), solution.evaluate(x, T)];
      const v0 = at0.filter((_, i) => i % 2 === 1);
      const rate = atT.filter((_, i) => i % 2 === 1).map((v, p) => (v - v0[p]) / T);
      return { fit, v0, error: relativeError(rate, x.map(u0xx)) };
    };
    const withFeatures = await rateError(true);
    const without = await rateError(false);
    expect(withFeatures.fit.rateFeatures?.fields).toEqual(['v']);
    expect(without.fit.rateFeatures).toBeNull();
    // The rate's features come with a zero last layer: v0 is exactly zero (the plain fit to zero
    // leaves it near zero, whatever head tuning decided).
    expect(withFeatures.v0.every((v) => v === 0)).toBe(true);
    expect(Math.max(...without.v0.map(Math.abs))).toBeLessThan(1e-4);
    expect(withFeatures.error).toBeLessThan(1e-2);
    expect(without.error).toBeGreaterThan(10 * withFeatures.error);
  }, 300_000);
});
