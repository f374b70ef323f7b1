// `integrator.refine`: Gauss–Newton from the projected step toward the step's target in function
// space, u(y) + Σ wᵢ·f(tᵢ, u(θᵢ)). The native target is checked against closed forms (f = −u makes
// y's distance from it exactly h/(1 − h)) and finite differences (u_t = −u_x), and the driver's
// hook against the fake session, whose projection is exact.
import { describe, expect, it } from 'vitest';
import { defineProblem, ops } from '../ts/problem/index';
import { createSession } from '../ts/solver/native-session';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { type NeuralIVPOptions, resolveOptions } from '../ts/solver/options';
import type { FitConfig, NativeSession } from '../ts/solver/session';
import { fitConfigFor, sessionConfigFor } from '../ts/solver/session-config';
import { testDevice } from './helpers/device';
import { relativeError, uniform } from './helpers/random';
import { type FakeSession, fakeFactory } from './solver-fake-session';

/** A 1D problem on [-1, 1] without boundary factor, u0 a bump, u_t given by `rhs`. */
function line(rhs: 'decay' | 'advection'): NeuralIVPOptions {
  const problem = defineProblem({
    dim: 1,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u'],
    initial: ({ x }) => ({ u: ops.exp(x[0].mul(x[0]).mul(-4)) }),
    rhs: ({ u }) => ({ u: rhs === 'decay' ? u.mul(-1) : ops.d(u, 0).mul(-1) }),
  });
  return {
    problem,
    network: { width: 24, depth: 2 },
    samples: 1000,
    fit: { maxIterations: 30, tol: 1e-5 },
    restarts: false,
    device: testDevice,
    seed: 3,
  };
}

/** A session with θ fitted to u0, and the refinement's fit config (`iterations` Gauss–Newton steps). */
async function fitted(
  options: NeuralIVPOptions,
  iterations: number,
): Promise<{ session: NativeSession; theta: number; refine: FitConfig }> {
  const resolved = resolveOptions(options);
  const session = createSession(sessionConfigFor(resolved, testDevice));
  const fit = await session.fitInitial(fitConfigFor(resolved), null);
  const refine = { ...fitConfigFor(resolved), maxIterations: iterations, tol: 0, maxSeconds: 0, headTuning: false };
  return { session, theta: fit.theta, refine };
}

describe('a step refined toward its function-space target', { timeout: 300_000 }, () => {
  it('with f = −u the target is (1 − h)·u(y): y starts h/(1 − h) away and is refined onto it', async () => {
    const { session, theta, refine } = await fitted(line('decay'), 8);
    const h = 0.1;
    // One stage at y with weight h: the target is u(y) − h·u(y).
    const r = await session.refineStep(theta, [{ t: 0, weight: h, terms: [] }], theta, refine);
    expect(r.finite).toBe(true);
    expect(r.initialError).toBeCloseTo(h / (1 - h), 10);
    const points = uniform(400, -1, 1, 11);
    const u = await session.evaluate(theta, points);
    const refined = await session.evaluate(r.theta, points);
    const truth = u.map((v) => (1 - h) * v);
    expect(relativeError(refined, truth)).toBeLessThan(1e-4);
    expect(r.relativeError).toBeLessThan(1e-4);
  });

  it('with u_t = −u_x an Euler step refined from y lands on u(y) − h·∂ₓu(y) (finite differences)', async () => {
    const { session, theta, refine } = await fitted(line('advection'), 6);
    const h = 0.02;
    // The Euler step's own y1 (θ + h·θ̇) as the start, its single stage at y.
    const stage = await session.stage(0, theta, [], true);
    const y1 = await session.combine(theta, [[h, stage.handle]]);
    const r = await session.refineStep(theta, [{ t: 0, weight: h, terms: [] }], y1, refine);
    const points = uniform(400, -0.9, 0.9, 12);
    const step = 1e-5;
    const plus = await session.evaluate(
      theta,
      points.map((x) => x + step),
    );
    const minus = await session.evaluate(
      theta,
      points.map((x) => x - step),
    );
    const u = await session.evaluate(theta, points);
    const target = u.map((v, i) => v - (h * (plus[i] - minus[i])) / (2 * step));
    const before = relativeError(await session.evaluate(y1, points), target);
    const after = relativeError(await session.evaluate(r.theta, points), target);
    expect(r.initialError).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(1e-3);
    expect(r.relativeError).toBeLessThanOrEqual(r.initialError as number);
  });
});

describe('integrator.refine in the driver', () => {
  const { problem } = line('decay');

  it('refines every accepted step with its stages, and an exact projection leaves θ as it was', async () => {
    const sessions: FakeSession[] = [];
    const run = async (refine: number) => {
      const { make, sessions: made } = fakeFactory();
      const ivp = new NeuralIVP(
        { problem, device: 'cpu', integrator: { refine }, restarts: false },
        { createSession: make },
      );
      const solution = await ivp.evolve(0.5);
      sessions.push(...made);
      return solution;
    };
    const plain = await run(0);
    const refined = await run(2);
    const fake = sessions[1];
    expect(sessions[0].refinements).toHaveLength(0);
    expect(fake.refinements).toHaveLength(refined.stats.steps);
    for (const [k, stages] of fake.refinements.entries()) {
      // RK45's six weighted stages (b₂ = b₇ = 0), the weights summing to the step size.
      const h = refined.history[k].h;
      expect(stages).toHaveLength(5);
      expect(stages.reduce((s, st) => s + st.weight, 0)).toBeCloseTo(h, 14);
      expect(stages[0].terms).toHaveLength(0);
    }
    for (const record of refined.history) {
      expect(record.refined?.iterations).toBe(2);
      expect(record.refined?.before).toBeLessThan(1e-14);
    }
    expect(plain.history.every((r) => r.refined === undefined)).toBe(true);
    expect(relativeError(refined.theta(0.5), plain.theta(0.5))).toBeLessThan(1e-14);
  });

  it('rejects a refinement count that is not an integer in [0, 100], naming the option', () => {
    expect(() => new NeuralIVP({ problem, integrator: { refine: -1 } })).toThrow(/integrator\.refine/);
    expect(() => new NeuralIVP({ problem, integrator: { refine: 1.5 } })).toThrow(/integrator\.refine/);
  });
});
