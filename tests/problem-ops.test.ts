import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops, SpecError } from '../ts/problem';
import { evaluateProgram } from '../ts/problem/evaluate';
import { type ClosedForm, expectClose, jetsOf, randomPoints, rng, run } from './problem-helpers';

const { sin, cos, exp, log, sqrt, tanh, abs, lap, grad, d, d2, diff, sum, dot, constant } = ops;

// Two closed-form fields in 2-D with hand-computed derivatives.
// u = sin(x0) e^{2 x1}
const U: ClosedForm = {
  value: ([a, b]) => Math.sin(a) * Math.exp(2 * b),
  grad: ([a, b]) => [Math.cos(a) * Math.exp(2 * b), 2 * Math.sin(a) * Math.exp(2 * b)],
  hess: ([a, b]) => {
    const s = Math.sin(a) * Math.exp(2 * b);
    const c = Math.cos(a) * Math.exp(2 * b);
    return [
      [-s, 2 * c],
      [2 * c, 4 * s],
    ];
  },
};
// v = 2 + x0² + x0 x1³  (>= 1 on the box, so log/sqrt/division are safe)
const V: ClosedForm = {
  value: ([a, b]) => 2 + a * a + a * b ** 3,
  grad: ([a, b]) => [2 * a + b ** 3, 3 * a * b * b],
  hess: ([a, b]) => [
    [2, 3 * b * b],
    [3 * b * b, 6 * a * b],
  ],
};

interface Ctx {
  u: Expr;
  v: Expr;
  x: readonly Expr[];
  t: Expr;
}
interface Local {
  u: number;
  v: number;
  u0: number;
  u1: number;
  v0: number;
  v1: number;
  u00: number;
  u01: number;
  u11: number;
  v00: number;
  v01: number;
  v11: number;
  lu: number;
  lv: number;
  x0: number;
  x1: number;
  t: number;
}

function local(p: number[], t: number): Local {
  const [gu, gv, hu, hv] = [U.grad(p), V.grad(p), U.hess(p), V.hess(p)];
  return {
    u: U.value(p),
    v: V.value(p),
    u0: gu[0],
    u1: gu[1],
    v0: gv[0],
    v1: gv[1],
    u00: hu[0][0],
    u01: hu[0][1],
    u11: hu[1][1],
    v00: hv[0][0],
    v01: hv[0][1],
    v11: hv[1][1],
    lu: hu[0][0] + hu[1][1],
    lv: hv[0][0] + hv[1][1],
    x0: p[0],
    x1: p[1],
    t,
  };
}

const gradSqU = (l: Local) => l.u0 * l.u0 + l.u1 * l.u1;
const gradSqV = (l: Local) => l.v0 * l.v0 + l.v1 * l.v1;

// [name, expression built with the DSL, value computed by hand from the closed forms]
const cases: [string, (c: Ctx) => Expr | number, (l: Local) => number][] = [
  ['constant number', () => 3.5, () => 3.5],
  ['ops.constant', () => constant(-2.25), () => -2.25],
  ['x0', ({ x }) => x[0], (l) => l.x0],
  ['x1', ({ x }) => x[1], (l) => l.x1],
  ['t', ({ t }) => t, (l) => l.t],
  ['u', ({ u }) => u, (l) => l.u],
  ['v', ({ v }) => v, (l) => l.v],
  ['d(u,0)', ({ u }) => d(u, 0), (l) => l.u0],
  ['d(u,1)', ({ u }) => d(u, 1), (l) => l.u1],
  ['diff(v,0)', ({ v }) => diff(v, 0), (l) => l.v0],
  ['d(v,1)', ({ v }) => d(v, 1), (l) => l.v1],
  ['d2(u,0,0)', ({ u }) => d2(u, 0, 0), (l) => l.u00],
  ['d2(u,0,1)', ({ u }) => d2(u, 0, 1), (l) => l.u01],
  ['d2(u,1,0)', ({ u }) => d2(u, 1, 0), (l) => l.u01],
  ['d2(u,1,1)', ({ u }) => d2(u, 1, 1), (l) => l.u11],
  ['d2(v,0,1)', ({ v }) => d2(v, 0, 1), (l) => l.v01],
  ['d(d(v,1),1)', ({ v }) => d(d(v, 1), 1), (l) => l.v11],
  ['d(d(u,1),0)', ({ u }) => d(d(u, 1), 0), (l) => l.u01],
  ['lap(u)', ({ u }) => lap(u), (l) => l.lu],
  ['lap(v)', ({ v }) => lap(v), (l) => l.lv],
  ['grad(v)·(1,2)', ({ v }) => dot(grad(v), [1, 2]), (l) => l.v0 + 2 * l.v1],
  ['add', ({ u, v }) => u.add(v), (l) => l.u + l.v],
  ['add number', ({ u }) => u.add(1.5), (l) => l.u + 1.5],
  ['sub', ({ u, v }) => u.sub(v), (l) => l.u - l.v],
  ['sub number', ({ u }) => u.sub(2), (l) => l.u - 2],
  ['mul', ({ u, v }) => u.mul(v), (l) => l.u * l.v],
  ['mul x', ({ u, x }) => u.mul(x[0]), (l) => l.u * l.x0],
  ['div', ({ u, v }) => u.div(v), (l) => l.u / l.v],
  ['div number', ({ v }) => v.div(4), (l) => l.v / 4],
  ['neg', ({ u }) => u.neg(), (l) => -l.u],
  ['pow 2.5', ({ v }) => v.pow(2.5), (l) => l.v ** 2.5],
  ['pow 3', ({ u }) => u.pow(3), (l) => l.u ** 3],
  ['pow -1', ({ v }) => v.pow(-1), (l) => 1 / l.v],
  ['sin', ({ u }) => sin(u), (l) => Math.sin(l.u)],
  ['cos', ({ v }) => cos(v), (l) => Math.cos(l.v)],
  ['exp', ({ u }) => exp(u), (l) => Math.exp(l.u)],
  ['log', ({ v }) => log(v), (l) => Math.log(l.v)],
  ['sqrt', ({ v }) => sqrt(v), (l) => Math.sqrt(l.v)],
  ['tanh', ({ u }) => tanh(u), (l) => Math.tanh(l.u)],
  ['abs', ({ u }) => abs(u), (l) => Math.abs(l.u)],
  ['sum', ({ u, v, x }) => sum([u, v, x[0], 1]), (l) => l.u + l.v + l.x0 + 1],
  ['dot', ({ u, v, x }) => dot([u, v], [x[1], 3]), (l) => l.u * l.x1 + 3 * l.v],
  ['t·u', ({ u, t }) => t.mul(u), (l) => l.t * l.u],
  // derivatives of composite expressions (product, quotient, chain rules)
  ['d(uv,1)', ({ u, v }) => d(u.mul(v), 1), (l) => l.u1 * l.v + l.u * l.v1],
  ['d(u/v,0)', ({ u, v }) => d(u.div(v), 0), (l) => (l.u0 * l.v - l.u * l.v0) / (l.v * l.v)],
  ['d(sin u,0)', ({ u }) => d(sin(u), 0), (l) => Math.cos(l.u) * l.u0],
  ['d(abs u,0)', ({ u }) => d(abs(u), 0), (l) => Math.sign(l.u) * l.u0],
  ['d(v^2.5,0)', ({ v }) => d(v.pow(2.5), 0), (l) => 2.5 * l.v ** 1.5 * l.v0],
  ['d(t u,0)', ({ u, t }) => d(t.mul(u), 0), (l) => l.t * l.u0],
  ['d(x0 u,0)', ({ u, x }) => d(x[0].mul(u), 0), (l) => l.u + l.x0 * l.u0],
  ['d2(uv,0,1)', ({ u, v }) => d2(u.mul(v), 0, 1), (l) => l.u01 * l.v + l.u0 * l.v1 + l.u1 * l.v0 + l.u * l.v01],
  ['d2(exp u,1,1)', ({ u }) => d2(exp(u), 1, 1), (l) => Math.exp(l.u) * (l.u11 + l.u1 * l.u1)],
  ['lap(u+v)', ({ u, v }) => lap(u.add(v)), (l) => l.lu + l.lv],
  ['lap(u-v)', ({ u, v }) => lap(u.sub(v)), (l) => l.lu - l.lv],
  ['lap(uv)', ({ u, v }) => lap(u.mul(v)), (l) => l.u * l.lv + l.v * l.lu + 2 * (l.u0 * l.v0 + l.u1 * l.v1)],
  [
    'lap(u/v)',
    ({ u, v }) => lap(u.div(v)),
    (l) =>
      l.lu / l.v -
      (2 * (l.u0 * l.v0 + l.u1 * l.v1)) / l.v ** 2 -
      (l.u * l.lv) / l.v ** 2 +
      (2 * l.u * gradSqV(l)) / l.v ** 3,
  ],
  ['lap(sin u)', ({ u }) => lap(sin(u)), (l) => Math.cos(l.u) * l.lu - Math.sin(l.u) * gradSqU(l)],
  ['lap(cos u)', ({ u }) => lap(cos(u)), (l) => -Math.sin(l.u) * l.lu - Math.cos(l.u) * gradSqU(l)],
  ['lap(exp u)', ({ u }) => lap(exp(u)), (l) => Math.exp(l.u) * (l.lu + gradSqU(l))],
  ['lap(log v)', ({ v }) => lap(log(v)), (l) => l.lv / l.v - gradSqV(l) / l.v ** 2],
  ['lap(sqrt v)', ({ v }) => lap(sqrt(v)), (l) => l.lv / (2 * Math.sqrt(l.v)) - gradSqV(l) / (4 * l.v ** 1.5)],
  [
    'lap(tanh u)',
    ({ u }) => lap(tanh(u)),
    (l) => {
      const th = Math.tanh(l.u);
      return (1 - th * th) * l.lu - 2 * th * (1 - th * th) * gradSqU(l);
    },
  ],
  ['lap(u^3)', ({ u }) => lap(u.pow(3)), (l) => 3 * l.u ** 2 * l.lu + 6 * l.u * gradSqU(l)],
  ['lap(abs u)', ({ u }) => lap(abs(u)), (l) => Math.sign(l.u) * l.lu],
  ['lap(-u)', ({ u }) => lap(u.neg()), (l) => -l.lu],
  [
    'lap(x0 x1 u)',
    ({ u, x }) => lap(x[0].mul(x[1]).mul(u)),
    (l) => l.x0 * l.x1 * l.lu + 2 * (l.x1 * l.u0 + l.x0 * l.u1),
  ],
  [
    'lap(cos(x0) u)',
    ({ u, x }) => lap(cos(x[0]).mul(u)),
    (l) => Math.cos(l.x0) * l.lu - Math.cos(l.x0) * l.u - 2 * Math.sin(l.x0) * l.u0,
  ],
  ['lap(2u) (constant factor)', ({ u }) => lap(constant(2).mul(u)), (l) => 2 * l.lu],
];

describe('ops evaluated on closed-form jets', () => {
  const random = rng(12345);
  const points = randomPoints(random, 7, 2);
  const jets = jetsOf([U, V], points);
  const t = 0.7;

  it.each(cases)('%s', (_name, build, truth) => {
    const problem = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: () => ({ u: 0, v: 0 }),
      rhs: ({ u, v, x, t }) => ({ u: build({ u, v, x, t }), v: 0 }),
    });
    const [out, zero] = run(problem.plan.rhs, points, t, jets);
    points.forEach((p, k) => {
      expectClose(out[k], truth(local(p, t)), 1e-12, 1e-12, `point ${k}`);
      expect(zero[k]).toBe(0);
    });
  });

  it('keeps a field Laplacian as its lap jet term (never Σ d2_ii)', () => {
    const problem = defineProblem({
      dim: 3,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: () => ({ u: 0, v: 0 }),
      rhs: ({ u, v }) => ({ u: lap(u.mul(v)), v: lap(sin(v)) }),
    });
    const nodes = problem.plan.rhs.nodes;
    const laps = nodes.filter((n) => n.op === 'field' && n.term === 'lap');
    expect(laps).toHaveLength(2);
    expect(nodes.some((n) => n.op === 'field' && n.term === 'd2')).toBe(false);
    expect(problem.plan.jets).toEqual({ gradient: true, pairs: [], laplacian: true });
  });

  it('collects the jet request: sorted unique pairs, gradient only with d terms', () => {
    const problem = defineProblem({
      dim: 3,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u', 'v'],
      initial: () => ({ u: 0, v: 0 }),
      rhs: ({ u, v }) => ({ u: d2(u, 2, 1).add(d2(v, 0, 0)), v: d2(u, 1, 2).mul(d2(v, 2, 0)) }),
    });
    expect(problem.plan.jets).toEqual({
      gradient: false,
      pairs: [
        [0, 0],
        [0, 2],
        [1, 2],
      ],
      laplacian: false,
    });
  });

  it('refuses field derivatives of total order above 2 with a SpecError at the rhs path', () => {
    const bad: ((c: { u: Expr }) => Expr)[] = [
      ({ u }) => d(lap(u), 0),
      ({ u }) => d(d2(u, 0, 1), 1),
      ({ u }) => d2(d(u, 0), 0, 1),
      ({ u }) => lap(d(u, 1)),
      ({ u }) => lap(lap(u)),
      ({ u }) => lap(sin(d(u, 0))),
      ({ u }) => d2(u.mul(d(u, 0)), 1, 1),
    ];
    for (const build of bad) {
      let err: unknown;
      try {
        defineProblem({
          dim: 2,
          domain: { lower: -1, upper: 1 },
          boundary: 'none',
          fields: ['u'],
          initial: () => ({ u: 0 }),
          rhs: ({ u }) => ({ u: build({ u }) }),
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).path).toBe('rhs');
      expect((err as SpecError).message).toMatch(/order above 2/);
    }
  });
});

describe('evaluateProgram', () => {
  it('broadcasts constant outputs and reads x row-major', () => {
    const problem = defineProblem({
      dim: 3,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['a', 'b', 'c'],
      initial: ({ x }) => ({ a: 4, b: x[2], c: x[0].sub(x[1]) }),
      rhs: () => ({ a: 0, b: 0, c: 0 }),
    });
    const init = problem.plan.initial;
    if (init === null) throw new Error('expected an initial program');
    const out = evaluateProgram(init, { n: 2, x: Float64Array.from([1, 2, 3, 4, 5, 6]), t: 0 });
    expect(out.map((v) => Array.from(v))).toEqual([
      [4, 4],
      [3, 6],
      [-1, -1],
    ]);
  });

  it('reports missing jets and malformed inputs', () => {
    const problem = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: () => ({ u: 0 }),
      rhs: ({ u }) => ({ u: d(u, 1) }),
    });
    const x = Float64Array.from([0.1, 0.2]);
    expect(() => evaluateProgram(problem.plan.rhs, { n: 1, x, t: 0 })).toThrow(/jets/);
    expect(() => evaluateProgram(problem.plan.rhs, { n: 1, x, t: 0, jets: [{ value: new Float64Array(1) }] })).toThrow(
      /d1/,
    );
    expect(() => evaluateProgram(problem.plan.rhs, { n: 3, x, t: 0 })).toThrow(RangeError);
    const ok = evaluateProgram(problem.plan.rhs, {
      n: 1,
      x,
      t: 0,
      jets: [{ value: new Float64Array(1), d: [Float64Array.of(5), Float64Array.of(7)] }],
    });
    expect(Array.from(ok[0])).toEqual([7]);
  });
});
