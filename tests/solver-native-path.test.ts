// The native RK path (one worker call per stage, one per step end) against the pure-TypeScript
// reference (rkStep over Float64Arrays with arrayOps), the number of addon calls per step
// attempt, and Solution measuring on the evolve's session.
import { describe, expect, it } from 'vitest';
import { arrayOps, type OdeSystem, rk45, rkStep, type VectorOps } from '../ts/integrate/index';
import { problems } from '../ts/problems/index';
import { createSession } from '../ts/solver/native-session';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { type NeuralIVPOptions, resolveOptions } from '../ts/solver/options';
import type { Handle, NativeSession, SessionConfig } from '../ts/solver/session';
import { fitConfigFor, sessionConfigFor } from '../ts/solver/session-config';
import { Solution, type StepCost } from '../ts/solver/solution';
import { testDevice } from './helpers/device';
import { relativeError } from './helpers/random';

const heat = problems.heat({ dim: 2 });
const small: NeuralIVPOptions = {
  problem: heat,
  network: { width: 16, depth: 2 },
  samples: 500,
  fit: { steps: 100, batch: 500, headSamples: 1000 },
  linear: { method: 'dense' }, // deterministic given the samples: no sketch, no warm start
  integrator: { method: 'rk45', rtol: 1e-3 },
  restarts: false,
  device: testDevice,
};

/** A native session whose calls are counted by method, with whether each returned a promise. */
function counted(config: SessionConfig): { session: NativeSession; calls: { name: string; async: boolean }[] } {
  const target = createSession(config);
  const calls: { name: string; async: boolean }[] = [];
  const session = new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(t, args);
        calls.push({ name: String(prop), async: r instanceof Promise });
        return r;
      };
    },
  });
  return { session, calls };
}

describe('the native RK path', { timeout: 300_000 }, () => {
  it('reproduces the pure-TypeScript rkStep over plain vectors (rk45, dense dynamics)', async () => {
    const config = sessionConfigFor(resolveOptions(small), testDevice);
    // Two sessions with one seed draw the same samples; one runs each path.
    const fast = createSession(config);
    const slow = createSession(config);
    const fit = fitConfigFor(
      resolveOptions({ ...small, fit: { method: 'adam', maxIterations: 50, batch: 500, headSamples: 1000 } }),
    );
    const fitted = await fast.fitInitial(fit, null);
    const theta0 = fast.read(fitted.theta);

    let resample = true; // the attempt's first stage draws its samples, as EvolveRun does
    const converged: boolean[] = [];
    const reference: OdeSystem<Float64Array> = {
      async derivative(t, y) {
        const h = slow.write(y);
        const r = await slow.stage(t, h, [], resample);
        converged.push(r.converged);
        resample = false;
        const k = slow.read(r.handle);
        slow.releaseMany([h, r.handle]);
        return k;
      },
    };
    const h = 0.02;
    const want = await rkStep(rk45, reference, arrayOps, 0, theta0, h, { errorScale: 1e-3 });
    expect(converged).toEqual(new Array(7).fill(true)); // dense solves report convergence

    let first = true;
    const system: OdeSystem<Handle> = {
      derivative: () => Promise.reject(new Error('the native path uses stage')),
      async stage(t, base, terms) {
        const r = await fast.stage(t, base, terms, first);
        first = false;
        return { k: r.handle, finite: r.finite };
      },
    };
    const ops: VectorOps<Handle> = {
      combine: (b, terms) => fast.combine(b, terms),
      norm: (v) => fast.norm(v),
      isFinite: (v) => fast.isFinite(v),
      releaseMany: (vs) => fast.releaseMany(vs),
      finishStep: (y, solution, error) => fast.finishStep(y, solution, error),
    };
    const before = fast.storedVectors?.() ?? 0;
    const got = await rkStep(rk45, system, ops, 0, fitted.theta, h, { errorScale: 1e-3 });
    expect(got.err).toBeUndefined(); // the error estimate never became a vector
    const y1 = fast.read(got.y1);
    const kLast = relativeError(fast.read(got.kLast), want.kLast);
    const errNorm = Math.abs(got.errNorm - want.errNorm) / want.errNorm;
    console.log(
      `native vs reference rk45 step: y1 ${relativeError(y1, want.y1).toExponential(2)}, last stage ${kLast.toExponential(2)}, errNorm ${errNorm.toExponential(2)}`,
    );
    // The stage inputs differ in the last bit (torch's add_ against JavaScript's loop); the solves
    // (M + μI)θ̇ = F, with κ up to 1/μ, carry that into θ̇.
    expect(relativeError(y1, want.y1)).toBeLessThan(1e-8);
    expect(kLast).toBeLessThan(1e-6);
    expect(errNorm).toBeLessThan(1e-6);
    fast.releaseMany([got.y1, got.k1, got.kLast]);
    expect(fast.storedVectors?.()).toBe(before); // every stage released
  });

  it('one accepted RK45 step attempt makes 13 addon calls (4 of them the stiffness estimate), all but the release on the worker pool', async () => {
    const sessions: ReturnType<typeof counted>[] = [];
    const ivp = new NeuralIVP(
      { ...small, linear: { method: 'pcg', rank: 20 } },
      {
        createSession: (config) => {
          const c = counted(config);
          sessions.push(c);
          return c.session;
        },
      },
    );
    await ivp.fit();
    const { calls } = sessions[0];
    let mark = calls.length;
    let rejected = 0;
    const perAttempt: Record<string, number>[] = [];
    const costs: StepCost[] = [];
    const sol = await ivp.evolve(0.05, {
      onProgress: (p) => {
        costs.push(p.cost);
        const slice = calls.slice(mark);
        mark = calls.length;
        // an accepted step after the first, with no rejected attempt since the last: one attempt
        if (p.step > 1 && p.rejectedSteps === rejected) {
          const count: Record<string, number> = { total: slice.length, sync: 0 };
          for (const c of slice) {
            count[c.name] = (count[c.name] ?? 0) + 1;
            if (!c.async) count.sync++;
          }
          perAttempt.push(count);
        }
        rejected = p.rejectedSteps;
      },
    });
    expect(perAttempt.length).toBeGreaterThan(0);
    console.log(`addon calls per RK45 attempt: ${JSON.stringify(perAttempt[0])}`);
    for (const count of perAttempt) {
      expect(count).toEqual({ total: 13, sync: 1, stage: 7, finishStep: 1, combine: 2, norm: 2, releaseMany: 1 });
    }
    expect(sessions).toHaveLength(1);
    // Each accepted step's cost: seven stages, the samples drawn by the first, every part ≥ 0 and
    // the step's parts the stages' sums; the history records the same.
    const parts = ['sampling', 'jets', 'plan', 'linearization', 'preconditioner', 'cg'] as const;
    expect(sol.history.map((r) => r.cost)).toEqual(costs);
    for (const cost of costs) {
      expect(cost.stages).toHaveLength(7);
      expect(cost.stages[0].sampling).toBeGreaterThan(0);
      for (const stage of cost.stages.slice(1)) expect(stage.sampling).toBe(0);
      for (const part of parts) {
        for (const stage of cost.stages) expect(stage[part]).toBeGreaterThanOrEqual(0);
        expect(cost[part]).toBeCloseTo(
          cost.stages.reduce((sum, stage) => sum + stage[part], 0),
          12,
        );
      }
      expect(cost.jets).toBeGreaterThan(0);
      expect(cost.cg).toBeGreaterThan(0);
      expect(cost.preconditionerRank).toBeGreaterThan(0);
      expect(cost.preconditionerRank).toBeLessThanOrEqual(20);
    }
    const total = sol.stats.solveSeconds;
    expect(total).toBeDefined();
    for (const part of parts) {
      expect(total?.[part]).toBeGreaterThanOrEqual(costs.reduce((sum, c) => sum + c[part], 0) * (1 - 1e-12));
    }
  });

  it("a solution measures with the evolve's session, as a loaded copy measures with its own", async () => {
    let made = 0;
    const ivp = new NeuralIVP(small, {
      createSession: (config) => {
        made++;
        return createSession(config);
      },
    });
    const sol = await ivp.evolve(0.05, { saveAt: [0, 0.025, 0.05] });
    const error = await sol.error(0.05);
    const residual = await sol.residual(0.025);
    expect(made).toBe(1);
    // the same numbers from a fresh session holding the same θ (the save/load path)
    const copy = new Solution(sol.toData());
    expect(await copy.error(0.05)).toBe(error);
    expect(await copy.residual(0.025)).toBe(residual);
    // and measuring leaves the next evolve unchanged: a twin instance that never measured agrees
    const twin = new NeuralIVP(small);
    await twin.evolve(0.05, { saveAt: [0, 0.025, 0.05] }); // the same steps (the saved times cut them)
    const again = await ivp.evolve(0.05);
    const twinAgain = await twin.evolve(0.05);
    expect(again.theta(0.05)).toEqual(twinAgain.theta(0.05));
    expect(error).toBeLessThan(0.1);
  });
});
