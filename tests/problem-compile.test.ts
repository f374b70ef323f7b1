import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops, type Program } from '../ts/problem';
import { compileProgram } from '../ts/problem/compile';
import { coord } from '../ts/problem/expr';
import { problems } from '../ts/problems';

const { sin, exp, constant } = ops;

function checkTopological(p: Program): void {
  p.nodes.forEach((node, k) => {
    if ('a' in node) expect(node.a).toBeLessThan(k);
    if ('b' in node) expect(node.b).toBeLessThan(k);
  });
  for (const o of p.outputs) expect(o).toBeLessThan(p.nodes.length);
  expect(p.static).toHaveLength(p.nodes.length);
}

function twoField(rhs: (a: { u: Expr; v: Expr; x: readonly Expr[] }) => { u: Expr | number; v: Expr | number }) {
  return defineProblem({
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: () => ({ u: 0, v: 0 }),
    rhs: ({ u, v, x }) => rhs({ u, v, x }),
  });
}

describe('compile', () => {
  it('shares a repeated subexpression (one node)', () => {
    const p = twoField(({ u, x }) => ({
      // sin(x0·u) built twice, independently; also u·x0 (commuted)
      u: sin(x[0].mul(u)).add(sin(x[0].mul(u)).mul(2)),
      v: sin(u.mul(x[0])),
    })).plan.rhs;
    expect(p.nodes.filter((n) => n.op === 'sin')).toHaveLength(1);
    expect(p.nodes.filter((n) => n.op === 'mul' && n.a !== n.b)).toHaveLength(2); // x0·u and 2·sin(...)
    const sinIndex = p.nodes.findIndex((n) => n.op === 'sin');
    expect(p.outputs[1]).toBe(sinIndex);
    checkTopological(p);
    // no duplicate nodes at all
    const keys = p.nodes.map((n) => JSON.stringify(n));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('folds constants: constant(2).mul(3) is one const node', () => {
    const p = compileProgram([constant(2).mul(3)]);
    expect(p.nodes).toEqual([{ op: 'const', value: 6 }]);
    expect(p.outputs).toEqual([0]);
    expect(p.static).toEqual([true]);
    const q = compileProgram([coord(0).mul(2).mul(3).add(1).add(4)]);
    expect(q.nodes.filter((n) => n.op === 'const').map((n) => (n as { value: number }).value)).toEqual([5, 6]);
    expect(compileProgram([exp(constant(0)).add(sin(constant(0)))]).nodes).toEqual([{ op: 'const', value: 1 }]);
  });

  it('deduplicates equal constants and marks static nodes', () => {
    const p = twoField(({ u, x }) => ({ u: x[0].mul(3).add(u.mul(3)), v: 3 })).plan.rhs;
    expect(p.nodes.filter((n) => n.op === 'const')).toHaveLength(1);
    p.nodes.forEach((n, k) => {
      if (n.op === 'x' || n.op === 'const') expect(p.static[k]).toBe(true);
      if (n.op === 'field') expect(p.static[k]).toBe(false);
    });
    expect(p.static[p.outputs[0]]).toBe(false);
    const mulX = p.nodes.findIndex((n) => n.op === 'mul' && p.nodes[n.b].op === 'x');
    expect(mulX).toBeGreaterThanOrEqual(0);
    expect(p.static[mulX]).toBe(true);
    // the v output is the shared constant 3
    expect(p.nodes[p.outputs[1]]).toEqual({ op: 'const', value: 3 });
  });

  it('marks t-dependent nodes as not static', () => {
    const problem = problems.heat({ dim: 2 });
    const exact = problem.plan.exact as Program;
    exact.nodes.forEach((n, k) => {
      if (n.op === 't') expect(exact.static[k]).toBe(false);
    });
    expect(exact.static[exact.outputs[0]]).toBe(false);
    const init = problem.plan.initial as Program;
    expect(init.static.every(Boolean)).toBe(true);
  });

  it('every catalogue plan is topologically ordered with JSON-serialisable nodes', () => {
    const all = [
      problems.heat(),
      problems.advection(),
      problems.wave(),
      problems.wave({ dim: 2 }),
      problems.vlasov(),
      problems.fokkerPlanck(),
      problems.waveMaps(),
      problems.wavePacket(),
    ];
    for (const problem of all) {
      for (const program of [problem.plan.rhs, problem.plan.initial, problem.plan.exact]) {
        if (program === null) continue;
        checkTopological(program);
        expect(JSON.parse(JSON.stringify(program))).toEqual(program);
        expect(program.outputs).toHaveLength(problem.fields.length);
      }
    }
  });
});
