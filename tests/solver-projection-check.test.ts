import { describe, expect, it } from 'vitest';
import { heldOutWarning } from '../ts/solver/projection-check';
import type { StepHistoryRecord } from '../ts/solver/save-format';

const step = (residual: number, heldOutResidual?: number): StepHistoryRecord => ({
  t: 0,
  h: 0.01,
  cgIterations: 10,
  residual,
  ...(heldOutResidual === undefined ? {} : { heldOutResidual }),
  restarted: false,
});

describe('heldOutWarning', () => {
  it('reports steps whose θ̇ matched f on their samples and missed it on held-out points, with both medians', () => {
    const history = [step(2.5e-3, 0.45), step(9e-3, 0.74), step(3e-3, 0.6), step(1e-3, 0.01)];
    const w = heldOutWarning(history);
    expect(w).toContain('median residual 2.75e-3');
    expect(w).toContain('median 5.25e-1');
  });

  it('is silent for held-out residuals within sampling noise of the step residual, or small ones', () => {
    expect(heldOutWarning([step(0.13, 0.35), step(0.12, 0.35), step(0.15, 0.35)])).toBeUndefined();
    expect(heldOutWarning([step(1e-4, 0.05), step(1e-4, 0.05)])).toBeUndefined();
  });

  it('is silent without held-out measurements, and skips steps whose measures are not finite', () => {
    expect(heldOutWarning([step(2.5e-3), step(2.5e-3)])).toBeUndefined();
    expect(heldOutWarning([])).toBeUndefined();
    expect(heldOutWarning([step(Number.NaN, 0.5), step(1e-3, Number.NaN), step(1e-3, 2e-3)])).toBeUndefined();
  });
});
