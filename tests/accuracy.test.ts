// Accuracy fixes for transport (docs/accuracy.md): the sampling margin of problems without a
// boundary constraint, the Tikhonov term in units of the solution, and the function-space step
// error. Each is checked against a closed form.
import { describe, expect, it } from 'vitest';
import { native } from '../ts/native';
import { defineProblem, ops } from '../ts/problem';
import { problems } from '../ts/problems/index';
import { createSession } from '../ts/solver/native-session';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { type NeuralIVPOptions, resolveOptions } from '../ts/solver/options';
import type { NativeSession, SessionConfig } from '../ts/solver/session';
import { sessionConfigFor } from '../ts/solver/session-config';
import { testDevice } from './helpers/device';
import { relativeError } from './helpers/random';

/** θ of a network whose output is the constant c: every parameter 0 but the last layer's bias. */
function constantNetwork(config: SessionConfig, c: number): { theta: Float64Array; bias: number; firstWeight: number } {
  const layout = new (native().Network)(config.network).layout();
  const last = layout.layers[layout.layers.length - 1];
  const theta = new Float64Array(layout.fieldParameterCount * layout.fields);
  theta[last.biasOffset] = c;
  return { theta, bias: last.biasOffset, firstWeight: layout.layers[0].weightOffset };
}

function unit(p: number, i: number, value = 1): Float64Array {
  const v = new Float64Array(p);
  v[i] = value;
  return v;
}

describe('finishStep error norms', { timeout: 60_000 }, () => {
  const config = sessionConfigFor(
    // outputScale 1: the closed forms below are those of u = the last layer's bias.
    resolveOptions({
      problem: problems.advection({ dim: 2 }),
      network: { width: 8, depth: 2, outputScale: 1 },
      samples: 64,
    }),
    testDevice,
  );

  it("'function' is ‖J·err‖/‖u‖ on the samples and 'parameters' ‖err‖₂ (closed forms at u ≡ c)", async () => {
    const session: NativeSession = createSession(config);
    const c = -0.5;
    const { theta, bias, firstWeight } = constantNetwork(config, c);
    const p = theta.length;
    const y = session.write(theta);
    await session.stage(0, y, [], true); // draws the samples the function norm uses
    // u ≡ c, so J·e_bias ≡ 1 and ‖J·(α e_bias)‖/‖u‖ = |α|/|c| on any samples; a first-layer
    // weight does not move u while the last weights are 0, so its function norm is 0.
    const eBias = session.write(unit(p, bias));
    const eWeight = session.write(unit(p, firstWeight));
    const end = async (coefficient: number, e: number, norm?: 'parameters' | 'function') => {
      const r = await session.finishStep(y, [[1, e]], [[coefficient, e]], norm);
      expect(r.finite).toBe(true);
      session.release(r.y1);
      return r.errorNorm;
    };
    expect(await end(0.3, eBias, 'function')).toBeCloseTo(0.3 / 0.5, 12);
    expect(await end(-0.3, eBias, 'function')).toBeCloseTo(0.3 / 0.5, 12);
    expect(await end(2, eWeight, 'function')).toBe(0);
    expect(await end(0.3, eBias, 'parameters')).toBeCloseTo(0.3, 14);
    expect(await end(2, eWeight)).toBeCloseTo(2, 14); // the default is the parameter norm
  });

  it("'function' at u ≡ 0 is the absolute ‖J·err‖ (no division by zero)", async () => {
    const session = createSession(config);
    const { theta, bias } = constantNetwork(config, 0);
    const y = session.write(theta);
    await session.stage(0, y, [], true);
    const e = session.write(unit(theta.length, bias));
    const r = await session.finishStep(y, [], [[0.25, e]], 'function');
    // J·e_bias ≡ 1 on the 64 samples: ‖J·err‖ = 0.25·√64.
    expect(r.errorNorm).toBeCloseTo(0.25 * 8, 12);
  });

  it('rejects an unknown norm', async () => {
    const session = createSession(config);
    const y = session.write(constantNetwork(config, 1).theta);
    expect(() => session.finishStep(y, [], [[1, y]], 'state' as 'function')).toThrow(/norm must be/);
  });
});

describe("linear.muScale 'solution'", { timeout: 60_000 }, () => {
  // u_t = sin(πx): a source that does not depend on u, so θ̇ at the constant network u ≡ c is
  // the regularised least-squares fit of sin(πx) by the last layer, with μ·mean(u²) = μc².
  const source = defineProblem({
    dim: 1,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u'],
    initial: () => ({ u: 0 }),
    rhs: ({ x }) => ({ u: ops.sin(x[0].mul(Math.PI)) }),
  });
  const configFor = (linear: NeuralIVPOptions['linear']) =>
    sessionConfigFor(
      resolveOptions({ problem: source, network: { width: 6, depth: 1 }, samples: 50, linear, margin: 0 }),
      testDevice,
    );
  const thetaDot = async (config: SessionConfig, c: number) => {
    const session = createSession(config); // one seed: every session draws the same samples
    const r = await session.stage(0, session.write(constantNetwork(config, c).theta), [], true);
    return session.read(r.handle);
  };

  it('solves with μ times the mean square of u on the samples (dense, exact)', async () => {
    const c = 0.2;
    const scaled = await thetaDot(configFor({ method: 'dense', mu: 1e-2, muScale: 'solution' }), c);
    const same = await thetaDot(configFor({ method: 'dense', mu: 1e-2 * c * c, muScale: 'absolute' }), c);
    const unscaled = await thetaDot(configFor({ method: 'dense', mu: 1e-2, muScale: 'absolute' }), c);
    expect(relativeError(scaled, same)).toBeLessThan(1e-12);
    expect(relativeError(scaled, unscaled)).toBeGreaterThan(1e-3); // μ matters at this size
  });

  it('makes the relative residual independent of the amplitude of u (advection, u → 10⁻³u)', async () => {
    // The network with its last layer scaled by s is s·u exactly; for a linear PDE the relative
    // residual of the ideal (unregularised) solve is the same for both. A fixed μ regularises the
    // directions that move the hidden layers (∝ s² in M) far more at small s; μ·mean(u²) does not.
    const ratio = async (muScale: 'solution' | 'absolute') => {
      const config = sessionConfigFor(
        resolveOptions({
          problem: problems.advection({ dim: 1 }),
          margin: 0,
          network: { width: 16, depth: 2 },
          samples: 300,
          linear: { method: 'dense', muScale },
        }),
        testDevice,
      );
      const network = new (native().Network)(config.network);
      const last = network.layout().layers[2];
      const residual = async (s: number) => {
        const theta = network.initialParameters(3);
        for (let i = last.weightOffset; i <= last.biasOffset; i++) theta[i] *= s;
        const session = createSession(config); // same seed, same samples
        return (await session.stage(0, session.write(theta), [], true)).residual;
      };
      return (await residual(1e-3)) / (await residual(1));
    };
    const scaled = await ratio('solution');
    expect(scaled).toBeGreaterThan(0.8);
    expect(scaled).toBeLessThan(1.25);
    expect(await ratio('absolute')).toBeGreaterThan(2);
  });

  it('PCG solves the same system', async () => {
    const c = 0.2;
    const pcg = await thetaDot(configFor({ method: 'pcg', mu: 1e-2, muScale: 'solution', rank: 4, tol: 1e-12 }), c);
    const dense = await thetaDot(configFor({ method: 'dense', mu: 1e-2 * c * c, muScale: 'absolute' }), c);
    expect(relativeError(pcg, dense)).toBeLessThan(1e-8);
  });
});

describe('margin: a problem without boundary constraint is sampled beyond its domain', { timeout: 300_000 }, () => {
  it('grows the network box (and only for boundary none)', () => {
    const config = sessionConfigFor(resolveOptions({ problem: problems.advection({ dim: 2 }), margin: 0.5 }), 'cpu');
    expect(config.network.lower).toEqual([-1.5, -1.5]);
    expect(config.network.upper).toEqual([1.5, 1.5]);
    expect(config.plan.lower).toEqual([-1, -1]); // measurements stay on the domain
    const heat = sessionConfigFor(resolveOptions(problems.heat({ dim: 2 })), 'cpu');
    expect([heat.network.lower, heat.network.upper]).toEqual([
      [-1, -1],
      [1, 1],
    ]);
  });

  it('1D advection to T = 0.5: what flows in was fitted and evolved, not extrapolated', async () => {
    // u_t = -u_x from a Gaussian: at T the strip [-1, -1 + T] holds what was in [-1 - T, -1] at t = 0.
    const T = 0.5;
    const problem = problems.advection({ dim: 1 });
    const grid = Float64Array.from({ length: 1000 }, (_, i) => -1 + (2 * (i + 0.5)) / 1000);
    const exact = grid.map((x) => Math.exp(-((x - T) ** 2) / (2 * 0.25 ** 2)));
    const solve = async (margin?: number) => {
      const ivp = new NeuralIVP({
        problem,
        ...(margin === undefined ? {} : { margin }),
        network: { width: 24, depth: 2 },
        samples: 400,
        fit: { steps: 1000, batch: 400, headSamples: 4000 },
        integrator: { method: 'rk23', rtol: 1e-4 },
        linear: { rank: 40 },
        restarts: false,
        device: testDevice,
      });
      const solution = await ivp.evolve(T);
      return { onGrid: relativeError(solution.evaluate(grid, T), exact), measured: await solution.error(T, 20_000) };
    };
    const withMargin = await solve(); // the default, 0.5: covers speed·T = 0.5
    const without = await solve(0);
    expect(withMargin.onGrid).toBeLessThan(1e-2);
    expect(without.onGrid).toBeGreaterThan(10 * withMargin.onGrid);
    // Solution.error measures on the domain [-1, 1], not on the sampled box.
    expect(withMargin.measured).toBeCloseTo(withMargin.onGrid, 3);
  });
});
