// exactChange: a closed form's own relative change over a run, against what it is by hand.
import { describe, expect, it } from 'vitest';
import { defineProblem, ops } from '../ts/problem';
import { exactChange } from '../ts/problem/exact-change';

describe('exactChange', () => {
  it('of a decaying mode u = e^{−λt}·g is |e^{−λt} − 1|/e^{−λt} at any points, and 0 at t = 0', () => {
    const lambda = 2;
    const problem = defineProblem({
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.sin(x[0].mul(Math.PI)).mul(ops.sin(x[1].mul(Math.PI))) }),
      rhs: ({ u }) => ({ u: u.mul(-lambda) }),
      exact: ({ x, t }) => ({
        u: ops
          .exp(t.mul(-lambda))
          .mul(ops.sin(x[0].mul(Math.PI)))
          .mul(ops.sin(x[1].mul(Math.PI))),
      }),
    });
    for (const t of [0.1, 0.5, 1]) {
      const decay = Math.exp(-lambda * t);
      expect(exactChange(problem, t, { points: 500, seed: 3 })).toBeCloseTo((1 - decay) / decay, 12);
    }
    expect(exactChange(problem, 0)).toBe(0);
  });

  it('takes every field together, and points inside the box only', () => {
    // u = t·x0 + 1 and v = 1 on [2, 3]: the change is ‖t·x0‖/‖(t·x0 + 1, 1)‖, whatever the points,
    // bounded by what x0 ∈ [2, 3] allows.
    const problem = defineProblem({
      dim: 1,
      domain: { lower: 2, upper: 3 },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: () => ({ u: 1, v: 1 }),
      rhs: ({ x }) => ({ u: x[0], v: 0 }),
      exact: ({ x, t }) => ({ u: t.mul(x[0]).add(1), v: 1 }),
    });
    const change = exactChange(problem, 1, { points: 1000 });
    // x0 = 2 everywhere: 2/√(9 + 1); x0 = 3 everywhere: 3/√(16 + 1).
    expect(change).toBeGreaterThan(2 / Math.sqrt(10));
    expect(change).toBeLessThan(3 / Math.sqrt(17));
  });

  it('refuses a problem without a closed form, naming it', () => {
    const problem = defineProblem({
      name: 'no-exact',
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: () => ({ u: 1 }),
      rhs: ({ u }) => ({ u }),
    });
    expect(() => exactChange(problem, 1)).toThrow(/no-exact has no exact solution/);
  });
});
