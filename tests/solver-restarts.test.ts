import { describe, expect, it } from 'vitest';
import { problems } from '../ts/problems/index';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import {
  conditioningPolicy,
  DEFAULT_MAX_RESTARTS,
  RestartScheduler,
  type RestartState,
  refitErrorBound,
  restartPolicies,
  timeFractionPolicy,
} from '../ts/solver/restarts';
import { fakeFactory } from './solver-fake-session';

const state = (s: Partial<RestartState>): RestartState => ({
  now: 0,
  lastFitEnd: 0,
  averageFitSeconds: 0,
  lastCgIterations: null,
  restarts: 0,
  ...s,
});

/** A clock the test moves by hand. */
function manualClock(start = 100): { clock: () => number; advance: (s: number) => void } {
  let now = start;
  return { clock: () => now, advance: (s) => (now += s) };
}

describe('timeFractionPolicy (LogTimer)', () => {
  it('restarts once the time since the last fit exceeds the mean fit time / fraction', () => {
    const p = timeFractionPolicy(0.5);
    expect(p.reason).toBe('timeFraction');
    // mean fit 10 s, f = 0.5: wait more than 20 s
    expect(p.shouldRestart(state({ now: 119, lastFitEnd: 100, averageFitSeconds: 10 }))).toBe(false);
    expect(p.shouldRestart(state({ now: 120, lastFitEnd: 100, averageFitSeconds: 10 }))).toBe(false);
    expect(p.shouldRestart(state({ now: 120.001, lastFitEnd: 100, averageFitSeconds: 10 }))).toBe(true);
    // f = 2: wait more than 5 s
    expect(timeFractionPolicy(2).shouldRestart(state({ now: 105.5, lastFitEnd: 100, averageFitSeconds: 10 }))).toBe(
      true,
    );
  });

  it('ignores CG iterations', () => {
    const p = timeFractionPolicy(0.5);
    expect(p.shouldRestart(state({ now: 1, lastFitEnd: 0, averageFitSeconds: 10, lastCgIterations: 1e9 }))).toBe(false);
  });

  it('rejects a non-positive fraction', () => {
    expect(() => timeFractionPolicy(0)).toThrow(RangeError);
    expect(() => timeFractionPolicy(Number.NaN)).toThrow(RangeError);
  });
});

describe('conditioningPolicy', () => {
  it('restarts when the last solve needed more CG iterations than the threshold', () => {
    const p = conditioningPolicy(100);
    expect(p.reason).toBe('conditioning');
    expect(p.shouldRestart(state({ lastCgIterations: null }))).toBe(false);
    expect(p.shouldRestart(state({ lastCgIterations: 99 }))).toBe(false);
    expect(p.shouldRestart(state({ lastCgIterations: 100 }))).toBe(false);
    expect(p.shouldRestart(state({ lastCgIterations: 101 }))).toBe(true);
  });

  it('ignores the clock', () => {
    expect(conditioningPolicy(100).shouldRestart(state({ now: 1e6, averageFitSeconds: 0 }))).toBe(false);
  });
});

describe('restartPolicies', () => {
  it('builds the policies of the resolved options', () => {
    expect(restartPolicies(false)).toEqual([]);
    expect(restartPolicies({ timeFraction: 0.5, cgIterations: null, fitSteps: null }).map((p) => p.reason)).toEqual([
      'timeFraction',
    ]);
    expect(restartPolicies({ timeFraction: null, cgIterations: 50, fitSteps: null }).map((p) => p.reason)).toEqual([
      'conditioning',
    ]);
    expect(restartPolicies({ timeFraction: 1, cgIterations: 50, fitSteps: null }).map((p) => p.reason)).toEqual([
      'timeFraction',
      'conditioning',
    ]);
  });
});

describe('RestartScheduler', () => {
  it('times from its construction and averages fit durations (the initial fit included)', () => {
    const { clock, advance } = manualClock();
    const s = new RestartScheduler([timeFractionPolicy(0.5)], { fitSeconds: [4], clock });
    expect(s.state()).toMatchObject({ now: 100, lastFitEnd: 100, averageFitSeconds: 4, restarts: 0 });
    advance(8);
    expect(s.check()).toBeNull(); // 8 s is not more than 4 / 0.5
    advance(0.5);
    expect(s.check()).toBe('timeFraction');
    // a refit of 2 s: mean (4 + 2) / 2 = 3, the clock restarts at the fit's end
    advance(2);
    s.recordFit(2);
    s.markRestart();
    expect(s.restarts).toBe(1);
    expect(s.state()).toMatchObject({ lastFitEnd: 110.5, averageFitSeconds: 3 });
    advance(6);
    expect(s.check()).toBeNull();
    advance(0.1);
    expect(s.check()).toBe('timeFraction');
  });

  it('conditioning: fires on the latest solve and forgets it after a restart', () => {
    const s = new RestartScheduler([conditioningPolicy(50)], { clock: () => 0 });
    expect(s.check()).toBeNull();
    s.observeSolve(60);
    s.observeSolve(40); // the latest counts
    expect(s.check()).toBeNull();
    s.observeSolve(51);
    expect(s.check()).toBe('conditioning');
    s.recordFit(1);
    s.markRestart();
    expect(s.state().lastCgIterations).toBeNull();
    expect(s.check()).toBeNull();
  });

  it('caps restarts at maxRestarts (default 10)', () => {
    expect(DEFAULT_MAX_RESTARTS).toBe(10);
    const s = new RestartScheduler([conditioningPolicy(0)], { clock: () => 0 });
    expect(s.maxRestarts).toBe(10);
    let fired = 0;
    for (let step = 0; step < 25; step++) {
      s.observeSolve(5);
      if (s.check() !== null) {
        s.recordFit(0);
        s.markRestart();
        fired++;
      }
    }
    expect(fired).toBe(10);
    expect(s.restarts).toBe(10);

    const capped = new RestartScheduler([conditioningPolicy(0)], { maxRestarts: 2, clock: () => 0 });
    for (let step = 0; step < 5; step++) {
      capped.observeSolve(5);
      if (capped.check() !== null) capped.markRestart();
    }
    expect(capped.restarts).toBe(2);
    const none = new RestartScheduler([conditioningPolicy(0)], { maxRestarts: 0, clock: () => 0 });
    none.observeSolve(5);
    expect(none.check()).toBeNull();
  });

  it('either policy may fire', () => {
    const { clock, advance } = manualClock();
    const s = new RestartScheduler([timeFractionPolicy(1), conditioningPolicy(100)], { fitSeconds: [10], clock });
    s.observeSolve(101);
    expect(s.check()).toBe('conditioning');
    s.observeSolve(1);
    expect(s.check()).toBeNull();
    advance(10.5);
    expect(s.check()).toBe('timeFraction');
  });

  it('validates its arguments', () => {
    expect(() => new RestartScheduler([], { maxRestarts: -1 })).toThrow(RangeError);
    expect(() => new RestartScheduler([], { maxRestarts: 1.5 })).toThrow(RangeError);
    expect(() => new RestartScheduler([], { fitSeconds: [Number.NaN] })).toThrow(RangeError);
    expect(new RestartScheduler([]).check()).toBeNull();
  });
});

describe('refits that miss their bound', () => {
  it('keeps a refit within maxRefitError, logs every restart with its reason, and stops after a miss', () => {
    const s = new RestartScheduler([conditioningPolicy(10)], { clock: () => 0, maxRefitError: 1e-4 });
    s.observeSolve(11);
    expect(s.check()).toBe('conditioning');
    expect(s.keepRefit(0.1, 'conditioning', 5e-5, true)).toBe(true);
    expect(s.restarts).toBe(1);
    s.observeSolve(11);
    expect(s.keepRefit(0.2, 'conditioning', 3e-4, true)).toBe(false);
    expect(s.restarts).toBe(2); // counted toward the cap all the same
    s.observeSolve(500);
    expect(s.check()).toBeNull(); // no more restarts in this evolve
    expect(s.events).toEqual([
      { t: 0.1, reason: 'conditioning', refitError: 5e-5, kept: true },
      { t: 0.2, reason: 'conditioning', refitError: 3e-4, kept: false },
    ]);
  });

  it('a failed refit is logged with a NaN error and stops restarts too', () => {
    const s = new RestartScheduler([conditioningPolicy(0)], { clock: () => 0 });
    expect(s.keepRefit(0, 'conditioning', 1e-9, false)).toBe(false);
    expect(s.events[0].refitError).toBeNaN();
    s.observeSolve(5);
    expect(s.check()).toBeNull();
  });

  it('no restart is tried when the initial fit already missed the bound', () => {
    const s = new RestartScheduler([conditioningPolicy(10)], {
      clock: () => 0,
      maxRefitError: 1e-4,
      initialFitError: 3e-4,
    });
    s.observeSolve(11);
    expect(s.check()).toBeNull();
    expect(s.events).toEqual([]);
    const within = new RestartScheduler([conditioningPolicy(10)], {
      clock: () => 0,
      maxRefitError: 1e-4,
      initialFitError: 1e-4,
    });
    within.observeSolve(11);
    expect(within.check()).toBe('conditioning');
  });

  it('evolve from a fit above the refit bound runs without refits', async () => {
    const run = async (fitError?: number) => {
      const { make, sessions } = fakeFactory({ cg: (age) => 10 + 2 * age, fitError });
      const ivp = new NeuralIVP(
        {
          problem: problems.heat({ dim: 2 }),
          device: 'cpu',
          restarts: { cgIterations: 60 },
          integrator: { method: 'rk23', rtol: 1e-4 },
        },
        { createSession: make },
      );
      return { sol: await ivp.evolve(1), refits: sessions[0].refits };
    };
    // The fake's initial fit reports 1e-3, above the 1e-4 bound of fit.tol 1e-5.
    const above = await run();
    expect(above.refits).toBe(0);
    expect(above.sol.stats.restarts).toBe(0);
    expect(above.sol.stats.restartLog).toBeUndefined();
    // The same run from a fit within the bound restarts.
    expect((await run(1e-5)).refits).toBeGreaterThan(0);
  });

  it('the bound is 10× the fit tolerance, none without one', () => {
    expect(refitErrorBound(1e-5)).toBeCloseTo(1e-4, 15);
    expect(refitErrorBound(null)).toBe(Number.POSITIVE_INFINITY);
    expect(() => new RestartScheduler([], { maxRefitError: 0 })).toThrow(RangeError);
  });

  it('evolve discards a refit above 10× fit.tol, keeps integrating θ and reports it in restartLog', async () => {
    // The fake session's refit reports a held-out error of 1e-4 (tests/solver-fake-session.ts).
    const growing = (age: number): number => 10 + 2 * age;
    const run = async (tol: number) => {
      const { make, sessions } = fakeFactory({ cg: growing, fitError: 1e-6 });
      const ivp = new NeuralIVP(
        {
          problem: problems.heat({ dim: 2 }),
          device: 'cpu',
          fit: { tol },
          restarts: { cgIterations: 60 },
          integrator: { method: 'rk23', rtol: 1e-4 },
        },
        { createSession: make },
      );
      return { sol: await ivp.evolve(1), refits: () => sessions[0].refits };
    };
    const kept = await run(1e-5); // bound 1e-4: kept
    expect(kept.sol.stats.restarts).toBeGreaterThan(0);
    expect(kept.sol.stats.restartLog?.every((e) => e.kept && e.reason === 'conditioning')).toBe(true);
    expect(kept.sol.stats.restartLog).toHaveLength(kept.sol.stats.restarts);
    const missed = await run(1e-6); // bound 1e-5: the first refit misses, and it is the last
    expect(missed.refits()).toBe(1);
    expect(missed.sol.stats.restarts).toBe(0);
    expect(missed.sol.stats.restartLog).toEqual([
      { t: expect.any(Number), reason: 'conditioning', refitError: 1e-4, kept: false },
    ]);
    expect(missed.sol.history.some((r) => r.restarted)).toBe(false);
  });
});
