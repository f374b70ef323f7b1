// A u0 given by values (`initialValues`) gets the defaults its closed form gets: they read u0 at
// the same pilot points either way (initial-shape.ts), and the periodicity check reads its values
// and slopes across the faces.
import { describe, expect, it } from 'vitest';
import { type Boundary, defineProblem, type Expr, ops } from '../ts/problem';
import { resolveOptions } from '../ts/solver/options';
import { specError } from './helpers/spec-error';

const { sin, exp, lap } = ops;
const PI = Math.PI;

interface Start {
  /** u0 as an expression of x. */
  expr: (x: readonly Expr[]) => Expr;
  /** The same u0 at one point. */
  at: (x: readonly number[]) => number;
}

/** u_t = κΔu on [lower, upper]^dim from u0, written once with `initial` and once with `initialValues`. */
function bothForms(
  start: Start,
  options: { dim?: number; lower?: number; upper?: number; boundary?: Boundary; kappa?: number } = {},
) {
  const { dim = 2, lower = -1, upper = 1, boundary = 'none', kappa = 0.01 } = options;
  const common = { dim, domain: { lower, upper }, boundary, fields: ['u'] as const };
  const closed = defineProblem({
    ...common,
    initial: ({ x }) => ({ u: start.expr(x) }),
    rhs: ({ u }) => ({ u: lap(u).mul(kappa) }),
  });
  const values = defineProblem({
    ...common,
    initialValues: (points, n) =>
      Float64Array.from({ length: n }, (_, i) => start.at(Array.from(points.subarray(i * dim, (i + 1) * dim)))),
    rhs: ({ u }) => ({ u: lap(u).mul(kappa) }),
  });
  return { closed, values };
}

/** The defaults that read u0, as one comparable record. */
function readDefaults(problem: Parameters<typeof resolveOptions>[0]) {
  const o = resolveOptions(problem);
  const importance = o.samples.importance;
  return {
    network: {
      embedding: o.network.embedding,
      output: o.network.output,
      frequencies: o.network.frequencies,
      decay: o.network.decay,
    },
    importance: importance !== false,
    scale: o.network.outputScale.u,
    offset: o.network.outputOffset.u,
  };
}

const gaussian = (s: number, centre: readonly number[], height = 1): Start => ({
  expr: (x) =>
    exp(
      x
        .map((xi, i) => xi.sub(centre[i]).pow(2))
        .reduce((a, b) => a.add(b))
        .mul(-1 / (2 * s * s)),
    ).mul(height),
  at: (x) => height * Math.exp(-x.reduce((a, xi, i) => a + (xi - centre[i]) ** 2, 0) / (2 * s * s)),
});

describe('a u0 given by initialValues', () => {
  it('gets the closed form’s defaults: a narrow density’s network and sampling, a tiny field’s scale, a large mean’s offset', () => {
    const cases = [
      bothForms(gaussian(0.06, [0.2, -0.1])),
      bothForms(
        {
          expr: (x) =>
            sin(x[0].mul(PI))
              .mul(sin(x[1].mul(PI)))
              .mul(1e-6),
          at: (x) => 1e-6 * Math.sin(PI * x[0]) * Math.sin(PI * x[1]),
        },
        { lower: 0, upper: 1, boundary: 'dirichlet', kappa: 1 },
      ),
      bothForms({
        expr: (x) =>
          sin(x[0].mul(PI))
            .mul(sin(x[1].mul(PI)))
            .add(300),
        at: (x) => 300 + Math.sin(PI * x[0]) * Math.sin(PI * x[1]),
      }),
    ];
    const [density, tiny, warm] = cases.map(({ closed, values }) => {
      const [a, b] = [readDefaults(closed), readDefaults(values)];
      expect(b.network).toEqual(a.network);
      expect(b.importance).toBe(a.importance);
      expect(Math.abs(b.scale - a.scale)).toBeLessThanOrEqual(1e-12 * a.scale);
      expect(Math.abs(b.offset - a.offset)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a.offset)));
      return b;
    });
    // And those defaults are the ones each u0 asks for, not the unknown shape's.
    expect(density.network).toMatchObject({ embedding: false, output: 'exp' });
    expect(density.importance).toBe(true);
    expect(tiny.scale).toBeGreaterThan(0.5e-6);
    expect(tiny.scale).toBeLessThan(2e-6);
    expect(warm.offset).toBeGreaterThan(299);
    expect(warm.network.frequencies).toBeLessThan(5);
  });

  it('is checked across the faces of a periodic box: a jump or a kink is refused, naming the function and the field', () => {
    const line = (at: (x: number) => number, expr: (x: Expr) => Expr) =>
      bothForms({ expr: (x) => expr(x[0]), at: (x) => at(x[0]) }, { dim: 1, lower: 0, upper: 1, boundary: 'periodic' });
    const jump = specError(() =>
      resolveOptions(
        line(
          (x) => x,
          (x) => x,
        ).values,
      ),
    );
    expect(jump.path).toBe('problem.initialValues');
    expect(jump.message).toContain('u0 (field u) does not');
    const kink = specError(() =>
      resolveOptions(
        line(
          (x) => Math.sin(PI * x),
          (x) => sin(x.mul(PI)),
        ).values,
      ),
    );
    expect(kink.path).toBe('problem.initialValues');
    expect(kink.message).toContain('∂u0/∂x[0] (field u)');
    expect(() =>
      resolveOptions(
        line(
          (x) => Math.cos(2 * PI * x),
          (x) => ops.cos(x.mul(2 * PI)),
        ).values,
      ),
    ).not.toThrow();
  });

  it('has its right-hand side checked finite on it before any work, as a closed form has', () => {
    // u_t = log u from a u0 that is negative on half the box: NaN there, after a whole fit.
    const byValues = defineProblem({
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initialValues: (points, n) => Float64Array.from({ length: n }, (_, i) => 0.5 + points[i]),
      rhs: ({ u }) => ({ u: ops.log(u) }),
    });
    const e = specError(() => resolveOptions(byValues));
    expect(e.path).toBe('problem.rhs.u');
    expect(e.message).toContain('the right-hand side is NaN at t = 0');
  });
});
