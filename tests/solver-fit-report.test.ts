// FitReport from the native figures, and the warning for a fit that missed its tolerance.
import { describe, expect, it } from 'vitest';
import { type FitReport, fitReport, fitWarning } from '../ts/solver/fit-report';

const figures = {
  relativeError: 2e-5,
  seconds: 3,
  iterations: 14,
  stopped: 'budget',
  message: 'ran out of time',
  rejected: 1,
  cgIterations: 200,
  samples: 4000,
  headTuned: true,
};

describe('fitReport', () => {
  it('carries the figures, the method, the tolerance and the caller-measured seconds', () => {
    const r = fitReport(figures, 'gauss-newton', 1e-6, 3.5);
    expect(r).toEqual({
      relativeError: 2e-5,
      seconds: 3.5,
      iterations: 14,
      method: 'gauss-newton',
      stopped: 'budget',
      tol: 1e-6,
      message: 'ran out of time',
      rejectedSteps: 1,
      cgIterations: 200,
      samples: 4000,
      headTuned: true,
      advice: [],
      rateFeatures: null,
    });
    expect(Object.isFrozen(r)).toBe(true);
    expect(fitReport({ ...figures, stopped: 'weird' }, 'adam', null, 1).stopped).toBe('stalled');
  });
});

describe('fitWarning', () => {
  const report = (over: Partial<FitReport>): FitReport => ({ ...fitReport(figures, 'gauss-newton', 1e-6, 1), ...over });
  it('warns when the tolerance was missed, saying why it stopped', () => {
    const w = fitWarning(report({}));
    expect(w).toMatch(/2\.00e-5, above its tolerance 1\.0e-6 \(stopped: budget, ran out of time\)/);
  });
  it('shows the error with the digits that tell it from the tolerance', () => {
    expect(fitWarning(report({ relativeError: 1.000031e-6 }))).toMatch(
      /error of 1\.00003e-6, above its tolerance 1\.0e-6/,
    );
    expect(fitWarning(report({ relativeError: 1.004e-6 }))).toMatch(/error of 1\.004e-6, above/);
  });
  it('names what would help in place of the usual remedies when given advice', () => {
    expect(fitWarning(report({}))).toMatch(/raise fit\.maxSeconds or fit\.maxIterations, or enlarge the network$/);
    const w = fitWarning(
      report({
        advice: [
          { option: 'fit.maxSeconds', now: 60, reason: 'more time' },
          { option: 'network.decay', now: 2, reason: 'the octaves' },
        ],
      }),
    );
    expect(w).toMatch(/what would help: fit\.maxSeconds \(now 60\): more time; network\.decay \(now 2\): the octaves$/);
  });
  it('is silent when the tolerance was met or there was none', () => {
    expect(fitWarning(report({ relativeError: 1e-6 }))).toBeUndefined();
    expect(fitWarning(report({ tol: null }))).toBeUndefined();
  });
  it('warns about a non-finite error whatever the tolerance', () => {
    expect(fitWarning(report({ relativeError: Number.NaN, tol: null, message: 'non-finite' }))).toMatch(
      /failed.*NaN.*non-finite\)$/,
    );
    const advice = [{ option: 'fit.lr', now: 0.01, reason: 'a smaller step' }];
    expect(fitWarning(report({ relativeError: Number.NaN, message: 'non-finite', advice }))).toMatch(
      /non-finite.*; what would help: fit\.lr \(now 0\.01\): a smaller step$/,
    );
  });
});
