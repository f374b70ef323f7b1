import { describe, expect, it } from 'vitest';
import { type Expr, ops, SpecError } from '../ts/problem';
import { coord, time } from '../ts/problem/expr';
import { evalAt, expectClose, fd1, fd2, rng, shift } from './problem-helpers';

const { sin, cos, exp, log, sqrt, tanh, abs, lap, grad, d, d2, constant } = ops;

const x = [coord(0), coord(1), coord(2)];
const t = time();

// Field-free test expressions in 3-D exercising every op (t enters as a parameter).
const exprs: [string, Expr][] = [
  ['sin(x0 x1) exp(-x2²)', sin(x[0].mul(x[1])).mul(exp(x[2].pow(2).neg()))],
  [
    'log(2 + x0²) sqrt(1 + x1²) / (1.5 + cos x2)',
    log(x[0].pow(2).add(2))
      .mul(sqrt(x[1].pow(2).add(1)))
      .div(cos(x[2]).add(1.5)),
  ],
  ['tanh(x0 - x1)^3 + t x0', tanh(x[0].sub(x[1])).pow(3).add(t.mul(x[0]))],
  [
    'abs(x0 + 0.3) x1 - x2 / (x0² + x1² + 1)',
    abs(x[0].add(0.3))
      .mul(x[1])
      .sub(x[2].div(x[0].pow(2).add(x[1].pow(2)).add(1))),
  ],
  [
    '(x0² + 2 x1² + 3 x2² + 0.5)^(-1.5)',
    x[0].pow(2).add(x[1].pow(2).mul(2)).add(x[2].pow(2).mul(3)).add(0.5).pow(-1.5),
  ],
  [
    'exp(sin(x0) cos(x1 x2)) - sqrt(x0² + x1² + x2² + 0.1)',
    exp(sin(x[0]).mul(cos(x[1].mul(x[2])))).sub(sqrt(ops.sum(x.map((c) => c.pow(2))).add(0.1))),
  ],
];

describe('symbolic derivatives of field-free expressions vs finite differences', () => {
  const random = rng(2024);
  const points: number[][] = [];
  while (points.length < 6) {
    const p = [0, 0, 0].map(() => 1.6 * random() - 0.8);
    if (Math.abs(p[0] + 0.3) > 0.05) points.push(p); // keep away from the kink of abs(x0 + 0.3)
  }
  const tv = 0.37;

  it.each(exprs)('%s', (_name, e) => {
    const first = [0, 1, 2].map((i) => d(e, i));
    const second: [number, number, Expr][] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) second.push([i, j, d2(e, i, j)]);
    const laplacian = lap(e);
    const gradient = grad(e, 3);
    for (const p of points) {
      const f = (q: number[]) => evalAt([e], q, tv)[0];
      const [v1, v2, v3] = [first, second.map((s) => s[2]), [laplacian]].map((list) => evalAt(list, p, tv));
      const g = evalAt(gradient, p, tv);
      const h1 = 1e-3;
      const h2 = 1e-3;
      let lapFd = 0;
      for (let i = 0; i < 3; i++) {
        const fdi = fd1((s) => f(shift(p, i, s)), h1);
        expectClose(v1[i], fdi, 1e-7, 1e-7, `d${i} at ${p}`);
        expectClose(g[i], fdi, 1e-7, 1e-7, `grad[${i}] at ${p}`);
        const dii = fd2((s) => f(shift(p, i, s)), h2);
        lapFd += dii;
      }
      second.forEach(([i, j], k) => {
        const dij =
          i === j ? fd2((s) => f(shift(p, i, s)), h2) : fd1((s) => fd1((r) => f(shift(shift(p, i, s), j, r)), h1), h1);
        expectClose(v2[k], dij, 1e-5, 1e-5, `d2 ${i}${j} at ${p}`);
      });
      expectClose(v3[0], lapFd, 1e-5, 1e-5, `lap at ${p}`);
    }
  });

  it('d2 is symmetric and lap equals the trace of d2 structurally for field-free expressions', () => {
    const e = exprs[0][1];
    expect(d2(e, 0, 2)).toBe(d2(e, 2, 0));
    const p = [0.3, -0.2, 0.5];
    const trace = ops.sum([0, 1, 2].map((i) => d2(e, i, i)));
    expectClose(evalAt([lap(e)], p)[0], evalAt([trace], p)[0], 1e-13, 1e-14, 'lap vs trace');
  });

  it('differentiates time-only and constant expressions to the constant 0', () => {
    expect(d(t.mul(3), 0).isConst).toBe(true);
    expect(lap(exp(t)).isConst).toBe(true);
    expect(evalAt([d(constant(5), 1)], [0, 0, 0])[0]).toBe(0);
  });

  it('simplifies: 0·x -> 0, 1·x -> x, x + 0 -> x', () => {
    expect(x[0].mul(0).isConst).toBe(true);
    expect(x[0].mul(1)).toBe(x[0]);
    expect(x[0].add(0)).toBe(x[0]);
    expect(constant(0).add(x[1])).toBe(x[1]);
    expect(d(x[0].mul(x[1]), 0)).toBe(x[1]);
    expect(d(sin(x[1]), 0).isConst).toBe(true);
  });

  it('refuses bad axes and a missing dimension outside callbacks', () => {
    for (const bad of [-1, 1.5, Number.NaN, 64, '0' as unknown as number]) {
      expect(() => d(x[0], bad)).toThrow(SpecError);
    }
    expect(() => grad(x[0])).toThrow(/dimension is unknown/);
    expect(() => lap(x[0], 0)).toThrow(SpecError);
    expect(() => lap(x[2], 2)).toThrow(SpecError);
    // a field-free Laplacian infers the axes it uses
    expectClose(evalAt([lap(x[2].pow(2))], [0, 0, 0])[0], 2, 0, 0, 'lap x2²');
  });
});
