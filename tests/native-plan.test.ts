// Native plan evaluation against the TypeScript reference evaluator and hand-computed values,
// on closed-form jets, for every catalogue problem's rhs, initial and exact programs.
import { describe, expect, it } from 'vitest';
import { native } from '../ts/native';
import type { FieldJets } from '../ts/problem/evaluate';
import { evaluateProgram } from '../ts/problem/evaluate';
import { defineProblem, ops } from '../ts/problem/index';
import type { CompiledProblem, Program } from '../ts/problem/plan';
import { problems } from '../ts/problems/index';
import { relativeError, uniform } from './helpers/random';

/** u_a(x) = exp(−|x − m_a|²/2)·(1 + a/2), with its exact gradient and Hessian. */
function gaussianJets(plan: CompiledProblem, x: Float64Array, n: number) {
  const { dim, fields } = plan;
  const k = fields.length;
  const pairs = plan.jets.pairs;
  const values = new Float64Array(n * k);
  const gradients = new Float64Array(n * k * dim);
  const second = new Float64Array(n * k * pairs.length);
  const laplacian = new Float64Array(n * k);
  const ts: FieldJets[] = [];
  for (let a = 0; a < k; a++) {
    const center = Array.from({ length: dim }, (_, i) => 0.1 * (i + 1) * (a % 2 === 0 ? 1 : -1));
    const scale = 1 + a / 2;
    const fj: FieldJets = {
      value: new Float64Array(n),
      d: Array.from({ length: dim }, () => new Float64Array(n)),
      d2: new Map(pairs.map(([i, j]) => [`${i},${j}`, new Float64Array(n)])),
      lap: new Float64Array(n),
    };
    for (let q = 0; q < n; q++) {
      const r = Array.from({ length: dim }, (_, i) => x[q * dim + i] - center[i]);
      const u = scale * Math.exp(-r.reduce((s, v) => s + v * v, 0) / 2);
      values[q * k + a] = u;
      fj.value[q] = u;
      let lap = 0;
      for (let i = 0; i < dim; i++) {
        const g = -r[i] * u;
        gradients[(q * k + a) * dim + i] = g;
        (fj.d as Float64Array[])[i][q] = g;
        lap += (r[i] * r[i] - 1) * u;
      }
      laplacian[q * k + a] = lap;
      fj.lap?.set([lap], q);
      pairs.forEach(([i, j], p) => {
        const h = (r[i] * r[j] - (i === j ? 1 : 0)) * u;
        second[(q * k + a) * pairs.length + p] = h;
        fj.d2?.get(`${i},${j}`)?.set([h], q);
      });
    }
    ts.push(fj);
  }
  return { native: { values, gradients, second, laplacian }, ts };
}

function compareProgram(plan: CompiledProblem, program: Program, t: number, withJets: boolean) {
  const n = 17;
  const x = uniform(n * plan.dim, -0.9, 0.9, plan.dim * 13 + program.nodes.length);
  const jets = gaussianJets(plan, x, n);
  const shape = { dim: plan.dim, fields: plan.fields.length, pairs: plan.jets.pairs };
  const got = native().evaluateProgram(program, shape, x, t, withJets ? jets.native : undefined);
  const outs = evaluateProgram(program, { n, x, t, jets: withJets ? jets.ts : undefined });
  const k = program.outputs.length;
  const expected = new Float64Array(n * k);
  outs.forEach((col, o) => {
    for (let q = 0; q < n; q++) expected[q * k + o] = col[q];
  });
  expect(got.length).toBe(n * k);
  expect(relativeError(got, expected)).toBeLessThan(1e-13);
}

const catalogue = {
  heat: problems.heat({ dim: 2 }),
  advection: problems.advection({ dim: 2 }),
  wave3d: problems.wave({ dim: 3 }),
  wave2d: problems.wave({ dim: 2 }),
  vlasov: problems.vlasov(),
  fokkerPlanck: problems.fokkerPlanck({ dim: 4 }),
  waveMaps: problems.waveMaps(),
  wavePacket: problems.wavePacket(),
};

describe('native plan evaluation', () => {
  for (const [name, problem] of Object.entries(catalogue)) {
    it(`${name}: rhs, initial and exact agree with the reference evaluator`, () => {
      const plan = problem.plan;
      compareProgram(plan, plan.rhs, 0.37, true);
      if (plan.initial) compareProgram(plan, plan.initial, 0, false);
      if (plan.exact) compareProgram(plan, plan.exact, 0.21, false);
    });
  }

  it('computes hand-checked values for every op and jet term', () => {
    const { sin, cos, exp, log, sqrt, tanh, abs, lap, d, d2 } = ops;
    const p = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: () => ({ u: 0 }),
      rhs: ({ u, x, t }) => ({
        u: sin(x[0])
          .add(cos(x[1]).mul(2))
          .add(exp(t))
          .add(log(x[0].add(3)))
          .add(sqrt(x[1].add(2)))
          .add(tanh(u))
          .add(abs(x[0]).pow(3))
          .add(lap(u).mul(10))
          .add(d(u, 1).mul(100))
          .add(d2(u, 0, 1).mul(1000))
          .sub(u.div(2)),
      }),
    });
    // u = x0² + 3 x1² + x0 x1: ∇u = (2x0 + x1, 6x1 + x0), Δu = 8, ∂²u/∂x0∂x1 = 1.
    const [x0, x1, t] = [0.3, -0.4, 0.5];
    const u = x0 * x0 + 3 * x1 * x1 + x0 * x1;
    const jets = {
      values: Float64Array.of(u),
      gradients: Float64Array.of(2 * x0 + x1, 6 * x1 + x0),
      second: Float64Array.from(p.plan.jets.pairs.map(([i, j]) => (i === j ? (i === 0 ? 2 : 6) : 1))),
      laplacian: Float64Array.of(8),
    };
    const shape = { dim: 2, fields: 1, pairs: p.plan.jets.pairs };
    const [got] = native().evaluateProgram(p.plan.rhs, shape, Float64Array.of(x0, x1), t, jets);
    const want =
      Math.sin(x0) +
      2 * Math.cos(x1) +
      Math.exp(t) +
      Math.log(x0 + 3) +
      Math.sqrt(x1 + 2) +
      Math.tanh(u) +
      Math.abs(x0) ** 3 +
      80 +
      100 * (6 * x1 + x0) +
      1000 -
      u / 2;
    expect(Math.abs(got - want) / Math.abs(want)).toBeLessThan(1e-14);
  });

  it('rejects malformed programs with errors naming the node', () => {
    const shape = { dim: 2, fields: 1 };
    const x = Float64Array.of(0, 0);
    const bad = (nodes: unknown[], outputs = [0]) =>
      native().evaluateProgram({ nodes, outputs, static: nodes.map(() => false) } as unknown as Program, shape, x, 0);
    expect(() => bad([{ op: 'frobnicate' }])).toThrow(/program.nodes\[0\].op: unknown operation/);
    expect(() => bad([{ op: 'x', axis: 2 }])).toThrow(/nodes\[0\].axis/);
    expect(() =>
      bad(
        [
          { op: 'const', value: 1 },
          { op: 'add', a: 0, b: 1 },
        ],
        [1],
      ),
    ).toThrow(/nodes\[1\].b/);
    expect(() => bad([{ op: 'field', field: 0, term: 'd2', i: 0, j: 1 }])).toThrow(/not in the jet pairs/);
    expect(() => bad([{ op: 'field', field: 0, term: 'value' }])).toThrow(/needs a jet term/);
    expect(() => bad([{ op: 'const', value: 1 }], [3])).toThrow(/outputs\[0\]/);
  });
});
