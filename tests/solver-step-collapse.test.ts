// Steps that shrink while their residual grows: the warning a run forming a shock or blow-up gets.
import { describe, expect, it } from 'vitest';
import type { EvolveProgress } from '../ts/solver/neural-ivp';
import { COLLAPSE_SHRINK, StepCollapseWatch } from '../ts/solver/step-collapse';

/**
 * Accepted steps from (h, residual) pairs, each starting where the last ended, sized by their error
 * (error norm 0.5 of the tolerance) unless given.
 */
function steps(figures: readonly (readonly [number, number, boolean?, number?])[], T = 0.6): EvolveProgress[] {
  let t = 0;
  return figures.map(([h, residual, restarted, errorNorm]) => {
    t += h;
    return {
      t,
      h,
      residual,
      T,
      restarted: restarted === true,
      errorNorm: errorNorm ?? 0.5,
    } as unknown as EvolveProgress;
  });
}

/** The warnings a watch gives over the steps, with the index of the step that gave each. */
function watch(progress: readonly EvolveProgress[]): [number, string][] {
  const w = new StepCollapseWatch();
  return progress.flatMap((p, i): [number, string][] => {
    const said = w.observe(p);
    return said === undefined ? [] : [[i, said]];
  });
}

// The steps of an inviscid Burgers run (u_t = −u u_x from −sin πx) up to and past its shock at
// t = 1/π: h from its largest, 7.3e-2, down to 4e-4 while the residual rose from 4e-4 to 0.3.
const shock: [number, number][] = [
  [1.2e-3, 5.4e-4],
  [1.2e-2, 5.3e-4],
  [7.3e-2, 4.2e-4],
  [5.1e-2, 8.4e-4],
  [3.9e-2, 1.5e-3],
  [1.6e-2, 3.5e-2],
  [1.1e-2, 3.9e-2],
  [6.1e-3, 5.7e-2],
  [3.4e-3, 8.5e-2],
  [3.3e-3, 1.0e-1],
  [2.0e-3, 1.15e-1],
  [1.9e-3, 1.31e-1],
  [1.8e-3, 1.42e-1],
  [7.8e-4, 2.6e-1],
];

describe('StepCollapseWatch', () => {
  it('says once, on the first step whose window shrank 10× below the largest with its residual up 10× and above 0.1', () => {
    const said = watch(steps(shock));
    expect(said).toHaveLength(1);
    const [at, message] = said[0];
    // Steps 10–12 (h ≤ 2.0e-3 ≤ 7.3e-2 / 10, residuals ≥ 0.115): the window ends at step 12.
    expect(at).toBe(12);
    expect(message).toMatch(/^the steps shrank 37× since t = 0\.0132 \(h = 7\.3e-2 then, 2\.0e-3 now\)/);
    expect(message).toMatch(/residual rose from 4\.2e-4 to 1\.2e-1/);
    expect(message).toMatch(/smooth solution up to T = 0\.6/);
  });

  it('is silent for steps held steady (stiff), a residual high from the start, or one short landing step', () => {
    expect(watch(steps(Array.from({ length: 30 }, () => [3e-3, 2e-3] as [number, number])))).toEqual([]);
    const fine = steps([
      [2e-3, 0.2],
      [1e-2, 0.25],
      ...Array.from({ length: 10 }, () => [5e-4, 0.3] as [number, number]),
    ]);
    expect(watch(fine)).toEqual([]);
    const landing = steps([
      [5e-2, 1e-3],
      [5e-2, 1e-3],
      [5e-2, 0.2],
      [1e-4, 0.2],
      [5e-2, 0.2],
    ]);
    expect(watch(landing)).toEqual([]);
  });

  it('says a blow-up: steps a hundredth of the largest while the residual stays small', () => {
    // u_t = u² from 1.2 + 0.3 cos πx, unbounded at t = 2/3: the steps of its run near the end.
    const blowUp = steps([
      [2e-3, 1.9e-4],
      [1.9e-2, 1.9e-4],
      [1.3e-1, 1.9e-4],
      [1.6e-1, 2.1e-4],
      [7.4e-2, 2.5e-4],
      [3.2e-3, 1.3e-3],
      [1.2e-3, 1.7e-3],
      [1.05e-3, 2.1e-3],
      [9.6e-4, 2.1e-3],
      [6.7e-4, 2.5e-3],
    ]);
    const said = watch(blowUp);
    expect(said).toHaveLength(1);
    expect(said[0][0]).toBe(8);
    expect(said[0][1]).toMatch(
      /^the steps shrank 133× since t = 0\.151 \(h = 1\.6e-1 then, 1\.2e-3 now\) while θ̇ still matched the PDE \(residual 1\.7e-3\): .*a blow-up at finite time.*bounded up to T = 0\.6/,
    );
  });

  it('is silent for steps cut short to land on dense saved times', () => {
    const dense = steps([
      [1e-1, 1e-3],
      [1e-1, 1e-3],
      ...Array.from({ length: 10 }, () => [1e-4, 1e-3, false, 1e-12] as const),
    ]);
    expect(watch(dense)).toEqual([]);
  });

  it('needs every step of its window: a restart starts the window afresh', () => {
    const h = 7.3e-2 / COLLAPSE_SHRINK;
    const restarted = steps([
      [7.3e-2, 1e-3],
      [h, 0.2],
      [h, 0.2],
      [h, 0.2, true],
      [h, 0.2],
    ]);
    expect(watch(restarted)).toEqual([]);
    expect(
      watch(
        steps([
          [7.3e-2, 1e-3],
          [h, 0.2],
          [h, 0.2],
          [h, 0.2],
        ]),
      ),
    ).toHaveLength(1);
  });
});
