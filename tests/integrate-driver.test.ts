import { describe, expect, it } from 'vitest';
import {
  AbortError,
  arrayOps,
  constantController,
  IntegrationError,
  integrate,
  MIN_DECAY,
  type OdeSystem,
  rk23,
  rk45,
  rkc,
  SWITCH_STEPS_LEFT,
  type VectorOps,
} from '../ts/integrate';
import { fused } from './integrate-fused';

type Vec = Float64Array;
const system = (f: (t: number, y: Vec) => Vec): OdeSystem<Vec> => ({ derivative: async (t, y) => f(t, y) });

const decay = system((_t, y) => y.map((v) => -v));
const square = system((_t, y) => Float64Array.of(y[0] * y[0])); // y(0) = 1: y = 1/(1 − t)
/** y' = −y, counting its evaluations. */
function countedDecay(): { sys: OdeSystem<Vec>; evaluations: () => number } {
  let evals = 0;
  const sys = system((_t, y) => {
    evals++;
    return Float64Array.of(-y[0]);
  });
  return { sys, evaluations: () => evals };
}
const rotation = system((_t, y) => Float64Array.of(-3 * y[1], 3 * y[0])); // (cos 3t, sin 3t)

/**
 * arrayOps with handle bookkeeping: every vector the engine gets from `combine` or the derivative
 * is tracked; using a released vector or releasing twice throws.
 */
function trackedOps(): { ops: VectorOps<Vec>; live: Set<Vec>; wrap: (s: OdeSystem<Vec>) => OdeSystem<Vec> } {
  const live = new Set<Vec>();
  const dead = new WeakSet<Vec>();
  const use = (v: Vec): Vec => {
    if (dead.has(v)) throw new Error('use after release');
    return v;
  };
  const ops: VectorOps<Vec> = {
    combine(base, terms) {
      if (base !== null) use(base);
      for (const [, v] of terms) use(v);
      const out = arrayOps.combine(base, terms) as Vec;
      live.add(out);
      return out;
    },
    norm: (v) => arrayOps.norm(use(v)),
    isFinite: (v) => arrayOps.isFinite(use(v)),
    release(v) {
      if (dead.has(v)) throw new Error('double release');
      if (!live.has(v)) throw new Error('release of a vector the engine does not own');
      live.delete(v);
      dead.add(v);
    },
  };
  const wrap = (s: OdeSystem<Vec>): OdeSystem<Vec> => ({
    async derivative(t, y) {
      const k = await s.derivative(t, use(y));
      live.add(k);
      return k;
    },
  });
  return { ops, live, wrap };
}

describe('integrate: accuracy', () => {
  const problems = [
    { name: "y' = −y", sys: decay, y0: [1], T: 2, exact: (t: number) => [Math.exp(-t)] },
    {
      name: "y' = Ay (rotation)",
      sys: rotation,
      y0: [1, 0],
      T: 1,
      exact: (t: number) => [Math.cos(3 * t), Math.sin(3 * t)],
    },
    { name: "y' = y²", sys: square, y0: [1], T: 0.5, exact: (t: number) => [1 / (1 - t)] },
  ];
  for (const tableau of [rk23, rk45]) {
    for (const p of problems) {
      it(`${tableau.name}, ${p.name}: the global error at T shrinks with rtol`, async () => {
        const errs: number[] = [];
        for (const rtol of [1e-3, 1e-5, 1e-7]) {
          const r = await integrate({
            tableau,
            system: p.sys,
            ops: arrayOps,
            y0: Float64Array.from(p.y0),
            T: p.T,
            rtol,
          });
          expect(r.t).toBe(p.T);
          const err = Math.hypot(...p.exact(p.T).map((e, i) => r.y[i] - e));
          expect(err).toBeLessThan(10 * rtol); // ‖y0‖ = 1
          errs.push(err);
        }
        expect(errs[1]).toBeLessThan(errs[0] / 5);
        expect(errs[2]).toBeLessThan(errs[1] / 5);
      });
    }
  }

  it('hits every saveAt time exactly and matches the exact solution there', async () => {
    const saveAt = [0, 0.1, 1 / 3, 0.7, 0.70001, 1.3];
    const r = await integrate({
      tableau: rk45,
      system: rotation,
      ops: arrayOps,
      y0: Float64Array.of(1, 0),
      T: 1.5,
      rtol: 1e-8,
      saveAt,
    });
    expect(r.times.length).toBe(saveAt.length);
    r.times.forEach((t, i) => {
      expect(t === saveAt[i]).toBe(true);
      expect(r.states[i][0]).toBeCloseTo(Math.cos(3 * t), 6);
      expect(r.states[i][1]).toBeCloseTo(Math.sin(3 * t), 6);
    });
    expect(r.t).toBe(1.5);
    expect(r.y[0]).toBeCloseTo(Math.cos(4.5), 6);
    // Accepted steps tile [0, T]: each starts where the previous ended.
    const accepted = r.steps.filter((s) => s.accepted);
    expect(accepted[0].t).toBe(0);
    for (let i = 1; i < accepted.length; i++)
      expect(accepted[i].t).toBeCloseTo(accepted[i - 1].t + accepted[i - 1].h, 14);
  });

  it('defaults saveAt to [t0, T] and supports t0 ≠ 0', async () => {
    const y0 = Float64Array.of(1);
    const r = await integrate({ tableau: rk45, system: decay, ops: arrayOps, y0, t0: 1, T: 3, rtol: 1e-6 });
    expect(r.times).toEqual([1, 3]);
    expect(r.states[0]).toBe(y0);
    expect(r.states[1][0]).toBeCloseTo(Math.exp(-2), 6);
    expect(r.steps[0].h).toBe(20 * 2 * 1e-6);
  });

  it('a clipped step does not shrink the next proposal', async () => {
    // Constant controller: h stays 0.1 although the step before 0.35 is clipped to 0.05.
    const r = await integrate({
      tableau: rk23,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 0.6,
      rtol: 1,
      firstStep: 0.1,
      saveAt: [0.35],
      controller: constantController(),
    });
    const hs = r.steps.map((s) => s.h);
    expect(hs[3]).toBeCloseTo(0.05, 14);
    expect(hs[4]).toBe(0.1);
  });
});

/**
 * y' = −y whose n-th evaluation (from 1) waits 10 s when `slow(n)`, unless `cancel` came first or
 * comes during the wait (then it rejects with an AbortError), like native work at its checks.
 */
function cancellableDecay(slow: (n: number) => boolean) {
  let evaluations = 0;
  let cancels = 0;
  const waiting = new Set<(e: Error) => void>();
  const aborted = () => Object.assign(new Error('cancelled'), { name: 'AbortError' });
  const system: OdeSystem<Vec> = {
    derivative: async (_t, y) => {
      if (slow(++evaluations)) {
        await new Promise<void>((resolve, reject) => {
          if (cancels > 0) {
            reject(aborted());
            return;
          }
          const timer = setTimeout(resolve, 10_000);
          waiting.add((e) => {
            clearTimeout(timer);
            reject(e);
          });
        });
      }
      return y.map((v) => -v);
    },
    cancel: () => {
      cancels++;
      for (const reject of waiting) reject(aborted());
      waiting.clear();
    },
  };
  return { system, cancels: () => cancels, evaluations: () => evaluations };
}

describe('integrate: the step loop', () => {
  it('the first step is 20·T·rtol (appendix D)', async () => {
    for (const [T, rtol] of [
      [2, 1e-4],
      [0.5, 1e-3],
    ]) {
      const r = await integrate({ tableau: rk23, system: decay, ops: arrayOps, y0: Float64Array.of(1), T, rtol });
      expect(r.steps[0].h).toBe(20 * T * rtol);
      expect(r.steps[0].t).toBe(0);
    }
    const given = await integrate({
      tableau: rk23,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-4,
      firstStep: 0.003,
    });
    expect(given.steps[0].h).toBe(0.003);
  });

  it('FSAL: RK45 spends 6 evaluations per attempt after the first (7 without reuse)', async () => {
    const run = (fsal: boolean) =>
      integrate({ tableau: rk45, system: square, ops: arrayOps, y0: Float64Array.of(1), T: 0.5, rtol: 1e-6, fsal });
    const r = await run(true);
    expect(r.stats.steps).toBeGreaterThan(3);
    expect(r.stats.derivativeEvaluations).toBe(1 + 6 * r.steps.length);
    const noReuse = await run(false);
    expect(noReuse.stats.derivativeEvaluations).toBe(7 * noReuse.steps.length);
    const r23 = await integrate({
      tableau: rk23,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-6,
    });
    expect(r23.stats.derivativeEvaluations).toBe(1 + 3 * r23.steps.length);
  });

  it('rejects steps that fail the error test and counts them', async () => {
    // A huge first step on a fast-decaying system must be rejected and shrunk.
    const fast = system((_t, y) => Float64Array.of(-50 * y[0]));
    const r = await integrate({
      tableau: rk45,
      system: fast,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-6,
      firstStep: 0.5,
    });
    expect(r.steps[0].accepted).toBe(false);
    expect(r.steps[0].errNorm).toBeGreaterThan(1);
    expect(r.steps[1].h).toBeLessThan(0.5);
    expect(r.stats.rejectedSteps).toBe(r.steps.filter((s) => !s.accepted).length);
    expect(r.stats.steps).toBe(r.steps.filter((s) => s.accepted).length);
    expect(r.stats.failedSteps).toBe(0);
    expect(Math.abs(r.y[0] - Math.exp(-50))).toBeLessThan(1e-5); // error per step ≤ rtol·‖y0‖
  });

  it('a derivative that returns NaN once rejects that step, shrinks h by 4, and still succeeds', async () => {
    let poisoned = false;
    const sys = system((t, y) => {
      if (!poisoned && t > 0.3) {
        poisoned = true;
        return Float64Array.of(Number.NaN);
      }
      return Float64Array.of(-y[0]);
    });
    const r = await integrate({ tableau: rk45, system: sys, ops: arrayOps, y0: Float64Array.of(1), T: 1, rtol: 1e-7 });
    const i = r.steps.findIndex((s) => s.failure !== undefined);
    expect(i).toBeGreaterThan(0);
    expect(r.steps[i]).toMatchObject({ accepted: false, failure: 'nonfinite' });
    expect(Number.isNaN(r.steps[i].errNorm)).toBe(true);
    expect(r.steps[i + 1].t).toBe(r.steps[i].t);
    expect(r.steps[i + 1].h).toBeCloseTo(r.steps[i].h * 0.25, 14);
    expect(r.stats.failedSteps).toBe(1);
    expect(r.y[0]).toBeCloseTo(Math.exp(-1), 6);
  });

  it('a derivative that rejects once is a failed step, not a crash', async () => {
    let thrown = false;
    const sys: OdeSystem<Vec> = {
      async derivative(t, y) {
        if (!thrown && t > 0.5) {
          thrown = true;
          throw new Error('CG did not converge');
        }
        return Float64Array.of(-y[0]);
      },
    };
    const r = await integrate({ tableau: rk23, system: sys, ops: arrayOps, y0: Float64Array.of(1), T: 1, rtol: 1e-6 });
    expect(r.steps.filter((s) => s.failure === 'derivative').length).toBe(1);
    expect(r.y[0]).toBeCloseTo(Math.exp(-1), 5);
  });

  it('a derivative that turns NaN for good throws IntegrationError with the last good state', async () => {
    let calls = 0;
    const sys = system((_t, y) => Float64Array.of(++calls > 30 ? Number.NaN : -y[0]));
    const e = await integrate({
      tableau: rk45,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-6,
      saveAt: [0, 0.001, 1],
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('rejections');
    expect(err.t).toBeGreaterThan(0.001);
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 8);
    expect(err.times).toEqual([0, 0.001]);
    expect(err.states[1][0]).toBeCloseTo(Math.exp(-0.001), 8);
    const steps = err.progress.steps;
    expect(steps.slice(-10).every((s) => s.failure === 'nonfinite' && s.t === err.t)).toBe(true);
    expect(steps[steps.length - 11].accepted).toBe(true);
    expect(err.progress.stats.failedSteps).toBe(10);
    // Each retry reuses the finite first stage: one new evaluation per failed attempt.
    expect(calls).toBe(30 + 10);
  });

  it('a derivative that is NaN past t = 0.5 stops there with an IntegrationError', async () => {
    const sys = system((t, y) => Float64Array.of(t > 0.5 ? Number.NaN : -y[0]));
    const e = await integrate({
      tableau: rk23,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-8,
      saveAt: [0, 0.25, 1],
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(['rejections', 'stepSize']).toContain(err.reason);
    expect(err.t).toBeGreaterThan(0.49);
    expect(err.t).toBeLessThanOrEqual(0.5);
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 6);
    expect(err.times).toEqual([0, 0.25]);
  });

  it('wraps an unexpected error (from a hook) in IntegrationError without losing the state', async () => {
    const e = await integrate({
      tableau: rk23,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-4,
      onStep: (s) => {
        if (s.t > 0.2) throw new TypeError('boom');
      },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IntegrationError);
    expect((e as IntegrationError).reason).toBe('error');
    expect(((e as IntegrationError).cause as Error).message).toBe('boom');
    const err = e as IntegrationError<Vec>;
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 3);
  });

  it('maxSteps bounds the attempts', async () => {
    const e = await integrate({
      tableau: rk23,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-8,
      maxSteps: 5,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IntegrationError);
    expect((e as IntegrationError).reason).toBe('maxSteps');
    expect((e as IntegrationError).progress.steps.length).toBe(5);
  });

  it('maxSeconds stops before the attempt past the budget, keeping what was reached', async () => {
    const slowDecay = system((_t, y) => {
      const until = performance.now() + 5;
      while (performance.now() < until); // each evaluation costs 5 ms of wall time
      return y.map((v) => -v);
    });
    const started = performance.now();
    const e = await integrate({
      tableau: rk23,
      system: slowDecay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 100,
      rtol: 1e-6,
      saveAt: [0, 0.01, 100],
      maxSeconds: 0.2,
    }).catch((x: unknown) => x);
    const elapsed = (performance.now() - started) / 1000;
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('maxSeconds');
    expect(elapsed).toBeGreaterThanOrEqual(0.2);
    expect(err.t).toBeGreaterThan(0.01);
    expect(err.t).toBeLessThan(100);
    expect(err.times).toEqual([0, 0.01]);
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 5);
  });

  it('maxSeconds cuts an evaluation in flight through system.cancel, keeping the accepted steps', async () => {
    const { ops, live, wrap } = trackedOps();
    // The first 40 evaluations are instant, every later one would take 10 s unless cancelled.
    const slow = cancellableDecay((n) => n > 40);
    const slowLater = slow.system;
    const started = performance.now();
    const y0 = Float64Array.of(1);
    const e = await integrate({
      tableau: rk23,
      system: { ...wrap(slowLater), cancel: slowLater.cancel },
      ops,
      y0,
      T: 100,
      rtol: 1e-6,
      saveAt: [0, 0.01, 100],
      maxSeconds: 0.3,
    }).catch((x: unknown) => x);
    const elapsed = (performance.now() - started) / 1000;
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('maxSeconds');
    expect(err.message).toBe('the budget of maxSeconds = 0.3 s ran out');
    expect(slow.cancels()).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(0.29);
    expect(elapsed).toBeLessThan(0.3 + 0.25);
    expect(err.times).toEqual([0, 0.01]);
    expect(err.t).toBeGreaterThan(0.01);
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 5);
    // Nothing of the stopped attempt is left: the driver holds only the states it returns.
    for (const v of live) expect(v === err.y || err.states.includes(v)).toBe(true);
  });

  it('stop ends the run in the attempt in flight, keeping the accepted steps, with its reason', async () => {
    const { ops, live, wrap } = trackedOps();
    const stop = new AbortController();
    // Evaluation 30 fires the stop and then waits (10 s) until cancelled.
    const slow = cancellableDecay((n) => {
      if (n === 30) stop.abort(new Error('interrupted (SIGINT)'));
      return n === 30;
    });
    const system = slow.system;
    const started = performance.now();
    const y0 = Float64Array.of(1);
    const e = await integrate({
      tableau: rk23,
      system: { ...wrap(system), cancel: system.cancel },
      ops,
      y0,
      T: 100,
      rtol: 1e-6,
      saveAt: [0, 0.01, 100],
      stop: stop.signal,
    }).catch((x: unknown) => x);
    expect((performance.now() - started) / 1000).toBeLessThan(5);
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('stopped');
    expect(err.message).toBe('stopped by the caller: interrupted (SIGINT)');
    expect(slow.cancels()).toBe(1);
    expect(slow.evaluations()).toBe(30);
    expect(err.times).toEqual([0, 0.01]);
    expect(err.t).toBeGreaterThan(0.01);
    expect(err.y[0]).toBeCloseTo(Math.exp(-err.t), 5);
    for (const v of live) expect(v === err.y || err.states.includes(v)).toBe(true);
  });

  it('a stop that fired before the run ends it at t0 with y0 saved', async () => {
    const { ops, wrap } = trackedOps();
    let evaluations = 0;
    const system = wrap({
      derivative: async (_t, y) => {
        evaluations++;
        return y.map((v) => -v);
      },
    });
    const y0 = Float64Array.of(2);
    const e = await integrate({ tableau: rk45, system, ops, y0, T: 1, rtol: 1e-6, stop: AbortSignal.abort() }).catch(
      (x: unknown) => x,
    );
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('stopped');
    expect(err.message).toBe('stopped by the caller');
    expect(evaluations).toBe(0);
    expect(err.t).toBe(0);
    expect(err.times).toEqual([0]);
    expect(Array.from(err.states[0])).toEqual([2]);
  });

  it('maxSeconds stops an attempt between stages when the system cannot cancel', async () => {
    const { ops, live, wrap } = trackedOps();
    // Each evaluation takes 100 ms and cannot be cut: an rk45 attempt (7 stages) takes 0.7 s.
    const slow = wrap({
      derivative: async (_t, y) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return y.map((v) => -v);
      },
    });
    const y0 = Float64Array.of(1);
    const started = performance.now();
    const e = await integrate({ tableau: rk45, system: slow, ops, y0, T: 1, rtol: 1e-6, maxSeconds: 0.25 }).catch(
      (x: unknown) => x,
    );
    const elapsed = (performance.now() - started) / 1000;
    expect(e).toBeInstanceOf(IntegrationError);
    const err = e as IntegrationError<Vec>;
    expect(err.reason).toBe('maxSeconds');
    // Cut at the first stage boundary after 0.25 s (0.3 s), well before the attempt's 0.7 s.
    expect(elapsed).toBeLessThan(0.5);
    expect(err.t).toBe(0);
    expect(err.y).toBe(y0);
    expect(err.progress.steps).toEqual([]);
    expect(live.size).toBe(0);
  });

  it('validates its arguments', async () => {
    const base = { tableau: rk23, system: decay, ops: arrayOps, y0: Float64Array.of(1), T: 1, rtol: 1e-4 };
    await expect(integrate({ ...base, rtol: 0 })).rejects.toThrow(RangeError);
    await expect(integrate({ ...base, T: -1 })).rejects.toThrow(RangeError);
    await expect(integrate({ ...base, saveAt: [0.5, 0.2] })).rejects.toThrow(/strictly increasing/);
    await expect(integrate({ ...base, saveAt: [2] })).rejects.toThrow(/saveAt\[0\]/);
    await expect(integrate({ ...base, y0: Float64Array.of(0) })).rejects.toThrow(/atol/);
    await expect(integrate({ ...base, maxSeconds: 0 })).rejects.toThrow(/maxSeconds/);
    const r = await integrate({ ...base, y0: Float64Array.of(0), atol: 1e-8 });
    expect(r.y[0]).toBe(0);
    expect(r.errorScale).toBe(1e-8);
  });
});

describe('integrate: abort, hooks, ownership', () => {
  it('an aborted signal rejects with an AbortError carrying the progress', async () => {
    const controller = new AbortController();
    const e = await integrate({
      tableau: rk45,
      system: decay,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-8,
      signal: controller.signal,
      onStep: (s) => {
        if (s.t > 0.3) controller.abort();
      },
    }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(e).toBeInstanceOf(AbortError);
    const p = (e as AbortError<Vec>).progress;
    expect(p?.t).toBeGreaterThan(0.3);
    expect(p?.y[0]).toBeCloseTo(Math.exp(-(p?.t ?? 0)), 8);

    const pre = new AbortController();
    pre.abort();
    await expect(
      integrate({
        tableau: rk45,
        system: decay,
        ops: arrayOps,
        y0: Float64Array.of(1),
        T: 1,
        rtol: 1e-4,
        signal: pre.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('abort is checked between stages', async () => {
    const controller = new AbortController();
    let calls = 0;
    const sys = system((_t, y) => {
      if (++calls === 3) controller.abort();
      return Float64Array.of(-y[0]);
    });
    const e = await integrate({
      tableau: rk45,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-4,
      signal: controller.signal,
    }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(calls).toBe(3);
    expect((e as AbortError<Vec>).progress?.t).toBe(0);
  });

  it('a derivative rejecting with an AbortError aborts (no retry)', async () => {
    const sys: OdeSystem<Vec> = { derivative: () => Promise.reject(new DOMException('stop', 'AbortError')) };
    const e = await integrate({
      tableau: rk23,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-4,
    }).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect((e as AbortError<Vec>).progress?.steps.length).toBe(0);
  });

  it('beforeStep can replace the state (a restart) and this drops the reused stage', async () => {
    let replaced = false;
    const { sys, evaluations } = countedDecay();
    const r = await integrate({
      tableau: rk45,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 2,
      rtol: 1e-8,
      saveAt: [0, 1, 2],
      beforeStep: (t, y) => {
        if (!replaced && t >= 1) {
          replaced = true;
          return Float64Array.of(2 * y[0]);
        }
        return undefined;
      },
    });
    expect(replaced).toBe(true);
    expect(r.states[1][0]).toBeCloseTo(Math.exp(-1), 8); // saved before the replacement
    expect(r.y[0]).toBeCloseTo(2 * Math.exp(-2), 8);
    expect(evaluations()).toBe(r.stats.derivativeEvaluations);
    expect(evaluations()).toBe(2 + 6 * r.steps.length); // one extra first stage after the replacement
  });

  it('afterStep sees each accepted step whole and can replace its y1, which drops the reused stage', async () => {
    const { sys, evaluations } = countedDecay();
    const seen: number[] = [];
    const r = await integrate({
      tableau: rk45,
      system: sys,
      ops: arrayOps,
      y0: Float64Array.of(1),
      T: 2,
      rtol: 1e-2,
      afterStep: ({ tableau, y, h, stages, y1 }) => {
        // The step's y1 is y + h·Σ bᵢ·kᵢ over the stages it reports.
        const again = arrayOps.combine(
          y,
          stages.map((k, i) => [h * tableau.b[i], k] as const),
        ) as Vec;
        seen.push(Math.abs(again[0] - y1[0]));
        return Float64Array.of(y[0] * Math.exp(-h)); // the exact flow replaces the RK step
      },
    });
    expect(seen.length).toBe(r.stats.steps);
    expect(Math.max(...seen)).toBeLessThan(1e-15);
    expect(r.y[0]).toBeCloseTo(Math.exp(-2), 14);
    expect(evaluations()).toBe(7 * r.stats.steps + 6 * r.stats.rejectedSteps); // no FSAL reuse after a replacement
  });

  it('afterStep: its replacements and the replaced vectors are released; a throwing hook stops the run', async () => {
    const tracked = trackedOps();
    const sys = tracked.wrap(system((_t, y) => Float64Array.of(-y[0])));
    const r = await integrate({
      tableau: rk23,
      system: sys,
      ops: tracked.ops,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-6,
      saveAt: [0, 0.5],
      afterStep: ({ y1 }) => tracked.ops.combine(y1, []),
    });
    expect(tracked.live).toEqual(new Set([r.states[1], r.y]));

    const failing = trackedOps();
    const e = (await integrate({
      tableau: rk45,
      system: failing.wrap(system((_t, y) => Float64Array.of(-y[0]))),
      ops: failing.ops,
      y0: Float64Array.of(1),
      T: 1,
      rtol: 1e-6,
      saveAt: [0, 0.25],
      afterStep: ({ t }) => {
        if (t > 0.5) throw new Error('refinement failed');
        return undefined;
      },
    }).catch((x: unknown) => x)) as IntegrationError<Vec>;
    expect(e).toBeInstanceOf(IntegrationError);
    expect(e.message).toMatch(/refinement failed/);
    expect(failing.live).toEqual(new Set([e.states[1], e.y]));
  });

  it('releases every intermediate vector: only the returned states stay alive', async () => {
    for (const [tableau, withFused] of [
      [rk23, false],
      [rk45, false],
      [rk23, true],
      [rk45, true],
    ] as const) {
      const tracked = trackedOps();
      const { live } = tracked;
      const { ops, wrap } = withFused
        ? { ops: fused(tracked.ops).ops, wrap: (s: OdeSystem<Vec>) => fused(tracked.ops, tracked.wrap(s)).system }
        : tracked;
      let poisoned = false;
      const sys = wrap(
        system((t, y) => {
          if (!poisoned && t > 0.4) {
            poisoned = true;
            return Float64Array.of(Number.NaN);
          }
          return Float64Array.of(-y[0]);
        }),
      );
      let restarted = false;
      const y0 = Float64Array.of(1);
      const r = await integrate({
        tableau,
        system: sys,
        ops,
        y0,
        T: 1,
        rtol: 1e-6,
        saveAt: [0, 0.5, 0.75],
        firstStep: 0.3,
        beforeStep: (t, y) => {
          if (!restarted && t > 0.6) {
            restarted = true;
            return ops.combine(y, []);
          }
          return undefined;
        },
      });
      expect(r.stats.rejectedSteps).toBeGreaterThan(0);
      const expected = new Set([r.states[1], r.states[2], r.y]);
      expect(live).toEqual(expected);

      // Same on failure: only the saved states and the last good state survive.
      const bad = trackedOps();
      const badSystem = bad.wrap(system((t, y) => Float64Array.of(t > 0.5 ? Number.NaN : -y[0])));
      const e = (await integrate({
        tableau,
        system: withFused ? fused(bad.ops, badSystem).system : badSystem,
        ops: withFused ? fused(bad.ops).ops : bad.ops,
        y0,
        T: 1,
        rtol: 1e-6,
        saveAt: [0, 0.25],
      }).catch((x: unknown) => x)) as IntegrationError<Vec>;
      expect(e).toBeInstanceOf(IntegrationError);
      expect(bad.live).toEqual(new Set([e.states[1], e.y]));
    }
  });
});

describe('integrate: fused capabilities', () => {
  const cases = [
    { name: 'rotation', sys: rotation, y0: [1, 0], T: 1 },
    { name: 'y² (with rejections)', sys: square, y0: [1], T: 0.9 },
  ];
  for (const tableau of [rk23, rk45]) {
    for (const c of cases) {
      for (const fsal of [true, false]) {
        it(`${tableau.name}, ${c.name}, fsal ${fsal}: stage/finishStep give the composed path's steps bit for bit`, async () => {
          const run = (ops: VectorOps<Vec>, sys: OdeSystem<Vec>) =>
            integrate({
              tableau,
              system: sys,
              ops,
              y0: Float64Array.from(c.y0),
              T: c.T,
              rtol: 1e-6,
              saveAt: [0, c.T / 3, c.T],
              fsal,
            });
          const plain = await run(arrayOps, c.sys);
          const f = fused(arrayOps, c.sys);
          const fast = await run(f.ops, f.system);
          expect(fast.steps).toEqual(plain.steps);
          expect(fast.states).toEqual(plain.states);
          expect(fast.stats).toEqual(plain.stats);
          const attempts = fast.steps.length;
          expect(f.calls.finishStep).toBe(attempts);
          expect(f.calls.stage).toBe(fast.stats.derivativeEvaluations);
          expect(f.calls.releaseMany).toBeLessThanOrEqual(attempts + 1); // once per attempt at most
        });
      }
    }
  }
});

describe('integrate: a stabilized method (rkc) owns what its ρ estimate makes', () => {
  // y′ = −diag(400, 1)·y: stiff enough for several stages, ρ re-estimated every 25 steps.
  const stiff = (failAfter = Number.POSITIVE_INFINITY): OdeSystem<Vec> => {
    let evaluations = 0;
    return {
      derivative: async (_t, y) =>
        evaluations++ >= failAfter ? y.map(() => Number.NaN) : Float64Array.of(-400 * y[0], -y[1]),
    };
  };

  for (const fsal of [true, false]) {
    it(`leaves only the states it returns, with fsal ${fsal}, and follows the slow mode`, async () => {
      const { ops, live, wrap } = trackedOps();
      const r = await integrate({
        tableau: rkc,
        system: wrap(stiff()),
        ops,
        y0: Float64Array.of(1, 1),
        T: 2,
        rtol: 1e-5,
        saveAt: [0, 1, 2],
        fsal,
      });
      expect(r.y[1]).toBeCloseTo(Math.exp(-2), 3);
      expect(Math.abs(r.y[0])).toBeLessThan(1e-6);
      expect(r.stats.steps).toBeGreaterThan(25); // at least one re-estimate
      for (const v of live) expect(v === r.y || r.states.includes(v)).toBe(true);
    });
  }

  it('a non-finite value during the estimate or the stages is a failed attempt; nothing leaks when it stops the run', async () => {
    for (const failAfter of [1, 3, 30]) {
      const { ops, live, wrap } = trackedOps();
      const e = await integrate({
        tableau: rkc,
        system: wrap(stiff(failAfter)),
        ops,
        y0: Float64Array.of(1, 1),
        T: 2,
        rtol: 1e-5,
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(IntegrationError);
      const err = e as IntegrationError<Vec>;
      expect(err.reason).toBe('rejections');
      for (const v of live) expect(v === err.y || err.states.includes(v)).toBe(true);
    }
  });
});

describe('integrate: a stiff run switches to the stabilized method (stiffSwitch)', () => {
  const exactSlow = (t: number) => (Math.cos(t) + Math.sin(t)) / 2 + Math.exp(-t) / 2;
  // y′ = −diag(1000, 300, 1)·y + (0, 0, cos t).
  const diffusive: OdeSystem<Vec> = {
    derivative: async (t, y) => Float64Array.of(-1000 * y[0], -300 * y[1], -y[2] + Math.cos(t)),
  };

  it('once RK45 is held by a decay with many steps left: far fewer evaluations, the same slow mode, nothing leaked', async () => {
    const run = async (stiffSwitch: boolean) => {
      const { ops, live, wrap } = trackedOps();
      const r = await integrate({
        tableau: rk45,
        ...(stiffSwitch ? { stiffSwitch: rkc } : {}),
        system: wrap(diffusive),
        ops,
        y0: Float64Array.of(1, 1, 1),
        T: 2,
        rtol: 1e-5,
      });
      for (const v of live) expect(v === r.y || r.states.includes(v)).toBe(true);
      return r;
    };
    const [kept, switched] = [await run(false), await run(true)];
    const findings = (r: typeof kept) => r.steps.filter((s) => s.stiff !== undefined).map((s) => s.stiff);
    expect(findings(kept)).toEqual([{ rho: expect.any(Number), decay: Number.NaN, stepsLeft: expect.any(Number) }]);
    const [found] = findings(switched);
    expect(found?.switchedTo).toBe('rkc');
    expect(Math.abs((found?.rho as number) / 1000 - 1)).toBeLessThan(0.01);
    expect(found?.decay).toBeGreaterThan(0.99);
    expect(found?.stepsLeft).toBeGreaterThan(SWITCH_STEPS_LEFT);
    expect(switched.stats.derivativeEvaluations).toBeLessThan(kept.stats.derivativeEvaluations / 4);
    expect(Math.abs(switched.y[2] - exactSlow(2))).toBeLessThan(1e-3);
    expect(Math.abs(kept.y[2] - exactSlow(2))).toBeLessThan(1e-6);
  });

  it('keeps its method when few steps are left, or when the rate holding it is an oscillation', async () => {
    // The same decay to T = 0.15: held after 15 steps with fewer than 50 left.
    const short = await integrate({
      tableau: rk45,
      stiffSwitch: rkc,
      system: diffusive,
      ops: arrayOps,
      y0: Float64Array.of(1, 1, 1),
      T: 0.15,
      rtol: 1e-5,
    });
    const shortFinding = short.steps.find((s) => s.stiff !== undefined)?.stiff;
    expect(shortFinding?.stepsLeft).toBeLessThanOrEqual(SWITCH_STEPS_LEFT);
    expect(shortFinding?.switchedTo).toBeUndefined();
    // A fast, damped rotation (eigenvalues −300 ± 1000i) beside the slow mode: RK45 is held near
    // the real axis's limit (a lighter damping holds it lower, where the test does not count), and
    // the rate is 29 % decay.
    const oscillating: OdeSystem<Vec> = {
      derivative: async (t, y) =>
        Float64Array.of(-300 * y[0] - 1000 * y[1], 1000 * y[0] - 300 * y[1], -y[2] + Math.cos(t)),
    };
    const wave = await integrate({
      tableau: rk45,
      stiffSwitch: rkc,
      system: oscillating,
      ops: arrayOps,
      y0: Float64Array.of(1, 1, 1),
      T: 1,
      rtol: 1e-5,
    });
    const waveFinding = wave.steps.find((s) => s.stiff !== undefined)?.stiff;
    expect(waveFinding).toBeDefined();
    expect(waveFinding?.decay).toBeLessThan(MIN_DECAY);
    expect(waveFinding?.switchedTo).toBeUndefined();
    expect(Math.abs(wave.y[2] - exactSlow(1))).toBeLessThan(1e-5);
  });
});
