// The right-hand side on the initial condition, checked before any native work: where f(u0) is not
// finite and u0 is not zero, the options are refused with the field, the point and u0 there.
import { describe, expect, it } from 'vitest';
import { defineProblem, NeuralIVP, ops, type Problem, SpecError } from '../ts/index';
import { evaluateProgram } from '../ts/problem/evaluate';
import type { Expr } from '../ts/problem/expr';
import { nonFiniteRhs } from '../ts/solver/initial-rhs';

const { sqrt, log, lap, d, d2 } = ops;

function problem(
  initial: (x: readonly Expr[]) => Expr,
  rhs: (u: Expr, x: readonly Expr[]) => Expr,
  boundary: 'none' | 'dirichlet' = 'none',
): Problem {
  return defineProblem({
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: initial(x) }),
    rhs: ({ u, x }) => ({ u: rhs(u, x) }),
  });
}

const box = { lower: [-1, -1], upper: [1, 1] };
const found = (p: Problem) => nonFiniteRhs(p, box.lower, box.upper);

describe('nonFiniteRhs', () => {
  it('finds where the log of u0 is taken below zero, with u0 there', () => {
    const p = problem(
      (x) => x[0],
      (u) => log(u),
    );
    const bad = found(p);
    expect(bad).not.toBeNull();
    if (bad === null) return;
    expect(bad.field).toBe('u');
    expect(Number.isNaN(bad.value)).toBe(true);
    expect(bad.u0[0]).toBeLessThan(0);
    // u0 at the point it names is the value it reports.
    const at = evaluateProgram(p.plan.initial as NonNullable<typeof p.plan.initial>, {
      n: 1,
      x: Float64Array.from(bad.point),
      t: 0,
    });
    expect(at[0][0]).toBe(bad.u0[0]);
    expect(bad.point[0]).toBe(bad.u0[0]);
  });

  it('is null for equations that are finite on u0', () => {
    expect(
      found(
        problem(
          (x) => x[0].mul(x[1]).add(2),
          (u) => lap(u).add(log(u)),
        ),
      ),
    ).toBeNull();
    expect(
      found(
        problem(
          (x) => ops.cos(x[0]),
          (u) => lap(u),
          'dirichlet',
        ),
      ),
    ).toBeNull();
  });

  it("reads u0's derivatives right: each jet term's sign and size decide a square root", () => {
    // u0 = x² − y² + 3 (≥ 2): ∂²u/∂x² = 2, ∂²u/∂y² = −2, Δu = 0; u0 = xy + 3: ∂²u/∂x∂y = 1; u0 = x + 3: ∂u/∂x = 1.
    const saddle = (x: readonly Expr[]) => x[0].pow(2).sub(x[1].pow(2)).add(3);
    const twist = (x: readonly Expr[]) => x[0].mul(x[1]).add(3);
    const ramp = (x: readonly Expr[]) => x[0].add(3);
    const cases: [(x: readonly Expr[]) => Expr, (u: Expr) => Expr, boolean][] = [
      [saddle, (u) => sqrt(d2(u, 0, 0).sub(1.9)), false],
      [saddle, (u) => sqrt(d2(u, 0, 0).sub(2.1)), true],
      [saddle, (u) => sqrt(d2(u, 1, 1).add(1.9)), true],
      [saddle, (u) => sqrt(lap(u).add(0.1)), false],
      [saddle, (u) => sqrt(lap(u).sub(0.1)), true],
      [twist, (u) => sqrt(d2(u, 0, 1).sub(0.9)), false],
      [twist, (u) => sqrt(d2(u, 0, 1).sub(1.1)), true],
      [ramp, (u) => sqrt(d(u, 0).sub(0.9)), false],
      [ramp, (u) => sqrt(d(u, 0).sub(1.1)), true],
      [ramp, (u) => sqrt(d(u, 1).add(0.1)), false],
    ];
    for (const [u0, f, bad] of cases) expect(found(problem(u0, f)) !== null).toBe(bad);
  });

  it('does not judge points where u0 is zero: there the answer is the network’s tiny error', () => {
    // 1/u on u0 = 0 everywhere (a start from rest) is infinite at every point, and not judged.
    expect(
      found(
        problem(
          () => ops.constant(0),
          (u) => ops.constant(1).div(u),
        ),
      ),
    ).toBeNull();
  });
});

describe('the options refuse such a problem before any native work', () => {
  it('names rhs.u, the point, u0 there and the sampled box', () => {
    // A diffusion besides, so that the default margin grows the box (a right-hand side with no
    // spatial derivative gets none).
    const p = problem(
      (x) => x[0],
      (u) => sqrt(u).add(lap(u).mul(0.1)),
    );
    const attempt = () => new NeuralIVP(p);
    expect(attempt).toThrow(SpecError);
    expect(attempt).toThrow(
      /problem\.rhs\.u: the right-hand side is NaN at t = 0, x = \(-?[\d.]+, -?[\d.]+\), where u0 has u = -[\d.]+, in the sampled box \(the domain grown by margin 0\.5\)/,
    );
  });
  it('judges the box points are drawn in: a coefficient undefined in the margin, and fine without it', () => {
    const coefficient = problem(
      () => ops.constant(1),
      (u, x) => u.mul(sqrt(x[0].pow(2).neg().add(1))),
    );
    expect(() => new NeuralIVP({ problem: coefficient, margin: 0.5 })).toThrow(/margin 0\.5/);
    expect(() => new NeuralIVP({ problem: coefficient, margin: 0 })).not.toThrow();
    // Pointwise, it gets no margin by default, so nothing is drawn where the coefficient fails.
    expect(() => new NeuralIVP(coefficient)).not.toThrow();
  });
});
