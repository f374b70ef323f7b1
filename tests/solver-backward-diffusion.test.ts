// A right-hand side with a negative coefficient on a field's own second derivative (the heat
// equation with its sign flipped) is said before the first fit, with the coefficient, the field,
// the axis and the point; a forward diffusion, a system whose fields read each other's second
// derivatives and every problem of the catalogue, the suite and the unseen cases are not.
import { describe, expect, it } from 'vitest';
import { cases } from '../examples/lib/unseen-problems';
import { concentratedCases, suiteCases } from '../ts/bench/suite-problems';
import { defineProblem, type Expr, ops, type Problem } from '../ts/index';
import { problems } from '../ts/problems/index';
import { backwardDiffusion } from '../ts/solver/backward-diffusion';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { testDevice } from './helpers/device';

const { sin, cos, d, d2, lap } = ops;

/** A one-field problem on [−1, 1]^dim with the right-hand side `rhs` and u0 = `u0`. */
function oneField(
  rhs: (u: Expr, x: readonly Expr[]) => Expr,
  u0: (x: readonly Expr[]) => Expr = (x) => cos(x[0].mul(Math.PI / 2)),
  dim = 1,
): Problem {
  return defineProblem({
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: dim === 1 ? u0(x) : u0(x).mul(cos(x[1].mul(Math.PI / 2))) }),
    rhs: ({ u, x }) => ({ u: rhs(u, x) }),
  });
}

const read = (p: Problem) => backwardDiffusion(p, p.lower, p.upper);

describe('backwardDiffusion', () => {
  it("reads the coefficient on a field's own second derivative, with its axis and point", () => {
    const backward = read(oneField((u) => lap(u).mul(-0.1)));
    expect(backward?.field).toBe('u');
    expect(backward?.axis).toBe(0);
    expect(backward?.coefficient).toBeCloseTo(-0.1, 6);
    // Anisotropic: forward along x, backward along y, read from d2 as well as from lap.
    const aniso = read(oneField((u) => d2(u, 0, 0).sub(d2(u, 1, 1).mul(0.01)), undefined, 2));
    expect(aniso?.axis).toBe(1);
    expect(aniso?.coefficient).toBeCloseTo(-0.01, 6);
    // A coefficient that changes sign: ∂x(x ∂x u) = x u_xx + u_x is backward where x < 0, most
    // at the pilot point nearest x = −1.
    const turning = read(oneField((u, x) => d(d(u, 0).mul(x[0]), 0)));
    expect(turning?.coefficient).toBeLessThan(-0.99);
    expect(turning?.point[0]).toBeCloseTo(turning?.coefficient ?? 0, 6);
    // Nonlinear: u_t = Δ(u²) = 2uΔu + 2|∇u|², backward where u < 0 (coefficient 2u there).
    const porous = (u: Expr) => lap(u.pow(2));
    expect(read(oneField(porous, (x) => cos(x[0].mul(Math.PI / 2)).add(0.1)))).toBeNull();
    const signed = read(oneField(porous, (x) => sin(x[0].mul(Math.PI))));
    expect(signed?.coefficient).toBeLessThan(-1.9);
  });

  it('passes a forward diffusion, first-order and pointwise equations, cross-field systems, and a u0 by values', () => {
    const byValues = defineProblem({
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initialValues: (x: Float64Array, n: number) =>
        Float64Array.from({ length: n }, (_, i) => Math.cos((Math.PI / 2) * x[i])),
      rhs: ({ u }) => ({ u: lap(u).mul(-0.1) }),
    });
    expect(read(byValues)).toBeNull();
    expect(read(oneField((u) => lap(u).mul(0.1)))).toBeNull();
    expect(read(oneField((u) => d(u, 0).mul(-1)))).toBeNull();
    expect(read(oneField((u) => u.mul(u.neg().add(1))))).toBeNull();
    // A wave as (phi, psi) and Schrödinger as (p, q): each field reads the other's second derivative.
    expect(read(problems.wave({ dim: 2 }))).toBeNull();
    const schrodinger = defineProblem({
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['p', 'q'],
      initial: ({ x }) => ({ p: cos(x[0].mul(Math.PI / 2)), q: sin(x[0].mul(Math.PI)) }),
      rhs: ({ p, q }) => ({ p: d2(q, 0, 0).mul(-0.5), q: d2(p, 0, 0).mul(0.5) }),
    });
    expect(read(schrodinger)).toBeNull();
  });

  it('finds none in the catalogue, the suite or the unseen cases', () => {
    const all: [string, Problem][] = [
      ...Object.entries(problems).map(([name, make]): [string, Problem] => [name, (make as () => Problem)()]),
      ...[...suiteCases(), ...concentratedCases()].map((c): [string, Problem] => [c.problem.name, c.problem]),
      ...Object.entries(cases).map(([name, make]): [string, Problem] => [name, make().problem]),
    ];
    expect(all.length).toBeGreaterThan(70);
    for (const [name, problem] of all) expect(read(problem), name).toBeNull();
  });

  it('is said once, before the first fit', async () => {
    const said: { code: string; message: string }[] = [];
    const problem = oneField((u) => lap(u).mul(-0.1));
    const ivp = new NeuralIVP(
      { problem, fit: { maxIterations: 1 }, seed: 1, device: testDevice },
      { warn: (w) => said.push(w) },
    );
    await ivp.fit();
    const backward = said.filter((w) => w.code === 'NIVP_BACKWARD_DIFFUSION');
    expect(backward).toHaveLength(1);
    expect(backward[0].message).toMatch(
      /^the right-hand side of u is a backward diffusion along x\[0\]: its coefficient on ∂²u\/∂x\[0\]² is -0\.1 at x = \(/,
    );
    expect(backward[0].message).toContain('a sign flipped?');
    said.length = 0;
    await new NeuralIVP(
      { problem: oneField((u) => lap(u).mul(0.1)), fit: { maxIterations: 1 }, seed: 1, device: testDevice },
      { warn: (w) => said.push(w) },
    ).fit();
    expect(said.map((w) => w.code)).not.toContain('NIVP_BACKWARD_DIFFUSION');
  });
});
