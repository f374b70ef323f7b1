// The pace of a time evolution: the projection `neural-ivp run` stops a hopeless run on.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROJECTED_LIMIT_SECONDS, duration, EvolvePace, PACE_STEPS, paceMessage } from '../ts/cli/pace';
import type { EvolveProgress } from '../ts/solver/neural-ivp';

const step = (t: number, h: number, seconds: number): EvolveProgress =>
  ({ t, h, seconds, T: 1, step: 0, cgIterations: 0, restarts: 0 }) as unknown as EvolveProgress;

describe('EvolvePace', () => {
  it('projects the rest of the way from the last steps: their largest h and mean seconds', () => {
    const pace = new EvolvePace(1);
    pace.observe(step(0.001, 1e-3, 30)); // the first step carries the start: outside the window below
    expect(pace.projection()).toBeNull();
    pace.observe(step(0.002, 1e-3, 40));
    pace.observe(step(0.0025, 5e-4, 50)); // cut short to land on a saved time
    expect(PACE_STEPS).toBe(3);
    // Window: the three steps above, from 0 s: 50 s / 3 per step, h = 1e-3, (1 − 0.0025) / 1e-3 steps.
    let p = pace.projection();
    expect(p?.h).toBe(1e-3);
    expect(p?.steps).toBeCloseTo(997.5, 9);
    expect(p?.secondsPerStep).toBeCloseTo(50 / 3, 12);
    expect(p?.seconds).toBeCloseTo((997.5 * 50) / 3, 6);
    pace.observe(step(0.0035, 1e-3, 60));
    // Now the window starts after the first step (30 s): 30 s / 3 per step.
    p = pace.projection();
    expect(p?.secondsPerStep).toBeCloseTo(10, 12);
    expect(p?.seconds).toBeCloseTo(996.5 * 10, 6);
    expect(p).toMatchObject({ t: 0.0035, elapsed: 60 });
  });
  it('says nothing while the step size still grows', () => {
    const pace = new EvolvePace(1);
    for (const [i, h] of [1e-3, 5e-3, 2.5e-2].entries()) pace.observe(step(0.01 * (i + 1), h, i + 1));
    expect(pace.projection()).toBeNull();
    pace.observe(step(0.06, 3e-2, 4));
    expect(pace.projection()).toBeNull(); // the window, 5e-3 to 3e-2, still grows
    pace.observe(step(0.09, 3e-2, 5));
    expect(pace.projection()?.h).toBe(3e-2); // 2.5e-2 to 3e-2: settled
  });
});

describe('the message', () => {
  it('says the pace, the projection and the limit in readable units', () => {
    expect(duration(40)).toBe('40 s');
    expect(duration(720)).toBe('12 min');
    expect(duration(DEFAULT_PROJECTED_LIMIT_SECONDS)).toBe('4.0 h');
    expect(duration(180_000)).toBe('50 h');
    const m = paceMessage(
      { seconds: 180_000, steps: 2000, h: 2.5e-4, secondsPerStep: 90, t: 7.1e-4, elapsed: 270 },
      0.5,
      3600,
    );
    expect(m).toMatch(/^at the pace of its last 3 steps \(h ≈ 2\.5e-4, 90 s per step on this machine\)/);
    expect(m).toMatch(/T = 0\.5 takes about 2000 more steps and 50 h, past the 1\.0 h/);
    expect(m).toMatch(/stopped at t = 0\.000710 after 5 min of evolution/);
    expect(m).toMatch(/--max-seconds S/);
    expect(m).toMatch(/What would help: the problem's GPU configuration/);
  });

  it('does not offer a faster machine to steps that collapsed', () => {
    const p = { seconds: 180_000, steps: 2000, h: 2.5e-4, secondsPerStep: 90, t: 7.1e-4, elapsed: 270 };
    const m = paceMessage(p, 0.5, 3600, { collapsed: true });
    expect(m).toMatch(/What would help: the steps collapsed \(the warning above\): an earlier T/);
    expect(m).not.toMatch(/GPU/);
  });
});
