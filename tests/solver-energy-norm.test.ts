// The default projection norm read from the compiled right-hand side: which field of a system
// takes H¹ (the energy norm of a second-order equation in time written as a system) and with
// which β; each case's answer is the one its equations give by hand.
import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops, type Problem } from '../ts/index';
import { fieldReads } from '../ts/problem/reads';
import { wave } from '../ts/problems/wave';
import { energyNormFields, energyNormWeights } from '../ts/solver/energy-norm';
import { resolveOptions } from '../ts/solver/options';
import { linearConfig } from '../ts/solver/session-config';

const { lap, d, d2, sin } = ops;

/** A two-field problem on [lower, upper]^dim with Dirichlet faces and a smooth u0. */
function system(
  rhs: (f: { u: Expr; v: Expr; x: readonly Expr[] }) => { u: Expr | number; v: Expr | number },
  dim = 2,
  domain: { lower: number | number[]; upper: number | number[] } = { lower: -1, upper: 1 },
): Problem {
  return defineProblem({
    name: 'system',
    dim,
    domain,
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => ({ u: x.map((xi) => sin(xi.mul(Math.PI))).reduce((a, b) => a.mul(b)), v: 0 }),
    rhs,
  });
}

describe('fieldReads', () => {
  it('gives each output the highest derivative order of each field it reads, −1 where none', () => {
    const p = system(({ u, v, x }) => ({
      u: v.mul(x[0]).add(d(v, 1).mul(u)),
      v: lap(u)
        .add(d2(v, 0, 1))
        .sub(u),
    }));
    expect(fieldReads(p.plan.rhs, 2)).toEqual([
      [0, 1],
      [2, 2],
    ]);
    const q = system(({ u }) => ({ u: u.mul(2), v: 3 }));
    expect(fieldReads(q.plan.rhs, 2)).toEqual([
      [0, -1],
      [-1, -1],
    ]);
  });
});

describe('energyNormFields', () => {
  it('picks u in u_t = v, v_t = L[u] with second derivatives: waves, Klein–Gordon, damped, anisotropic', () => {
    expect(energyNormFields(wave().plan)).toEqual(['phi']);
    expect(energyNormFields(wave({ dim: 2 }).plan)).toEqual(['phi']);
    expect(energyNormFields(system(({ u, v }) => ({ u: v, v: lap(u).sub(u.mul(4)) })).plan)).toEqual(['u']);
    expect(energyNormFields(system(({ u, v }) => ({ u: v, v: lap(u).mul(0.5).sub(v.mul(0.4)) })).plan)).toEqual(['u']);
    expect(energyNormFields(system(({ u, v }) => ({ u: v.mul(2), v: d2(u, 0, 0).add(d2(u, 0, 1)) })).plan)).toEqual([
      'u',
    ]);
    // Written the other way round: v_t = u, u_t = Δv.
    expect(energyNormFields(system(({ u, v }) => ({ u: lap(v), v: u })).plan)).toEqual(['v']);
  });

  it('picks nothing where no field is the time derivative of another one read through second derivatives', () => {
    const none = [
      // Schrödinger as a system: both read each other's Laplacian.
      system(({ u, v }) => ({ u: lap(v).mul(-0.5), v: lap(u).mul(0.5) })),
      // A rotating, diffusing pair: u's own equation reads its derivatives.
      system(({ u, v }) => ({ u: lap(u).mul(0.1).sub(v.mul(2)), v: lap(v).mul(0.1).add(u.mul(2)) })),
      // An oscillator in time only: no second derivative anywhere.
      system(({ u, v }) => ({ u: v, v: u.neg() })),
      // First-order coupling (transport of v by u's gradient).
      system(({ u, v }) => ({ u: v, v: d(u, 0) })),
      // u_t = v, but v's equation reads v's Laplacian, not u's.
      system(({ v }) => ({ u: v, v: lap(v) })),
    ];
    for (const p of none) expect(energyNormFields(p.plan)).toEqual([]);
    expect(energyNormFields(wave({ dim: 1 }).plan)).toEqual(['phi']);
  });
});

describe('the default gradientWeight', () => {
  it('is the smallest half-width squared on the energy norm’s fields, 0 elsewhere', () => {
    const rect = system(({ u, v }) => ({ u: v, v: lap(u) }), 2, { lower: [0, 0], upper: [2, 1] });
    expect(energyNormWeights(rect.plan)).toEqual({ u: 0.25, v: 0 });
    expect(resolveOptions({ problem: rect }).linear.gradientWeight).toEqual({ u: 0.25, v: 0 });
    expect(resolveOptions({ problem: rect, linear: { method: 'dense' } }).linear.gradientWeight).toEqual({
      u: 0.25,
      v: 0,
    });
    expect(resolveOptions({ problem: rect, linear: { gradientWeight: { v: 1 } } }).linear.gradientWeight).toEqual({
      u: 0,
      v: 1,
    });
    const heat = system(({ u, v }) => ({ u: lap(u), v: lap(v) }));
    expect(resolveOptions({ problem: heat }).linear.gradientWeight).toEqual({ u: 0, v: 0 });
  });

  it('grades up to 2D: a 3D wave keeps L² (its 7 rows per point), unless the weight is given', () => {
    const wave1d = system(({ u, v }) => ({ u: v, v: lap(u) }), 1, { lower: -2, upper: 2 });
    expect(energyNormWeights(wave1d.plan)).toEqual({ u: 4, v: 0 });
    const wave3d = system(({ u, v }) => ({ u: v, v: lap(u) }), 3);
    expect(energyNormFields(wave3d.plan)).toEqual(['u']);
    expect(energyNormWeights(wave3d.plan)).toEqual({ u: 0, v: 0 });
    expect(energyNormWeights(wave().plan)).toEqual({ phi: 0, psi: 0 });
    expect(resolveOptions({ problem: wave3d, linear: { gradientWeight: { u: 1 } } }).linear.gradientWeight).toEqual({
      u: 1,
      v: 0,
    });
  });
});

describe('the default gradientDirections', () => {
  const waveIn = (dim: number) => system(({ u, v }) => ({ u: v, v: lap(u) }), dim);
  const directions = (options: Record<string, unknown>) =>
    resolveOptions({ problem: waveIn(3), ...options }).linear.gradientDirections;

  it('differences every axis up to 2D and one sampled direction per point above; a given value is kept', () => {
    expect(resolveOptions({ problem: waveIn(1) }).linear.gradientDirections).toBe('axes');
    expect(resolveOptions({ problem: waveIn(2) }).linear.gradientDirections).toBe('axes');
    expect(directions({})).toBe('sampled');
    expect(directions({ linear: { method: 'dense' } })).toBe('sampled');
    expect(directions({ linear: { gradientDirections: 'axes' } })).toBe('axes');
    expect(
      resolveOptions({ problem: waveIn(2), linear: { gradientDirections: 'sampled' } }).linear.gradientDirections,
    ).toBe('sampled');
    expect(directions({ preset: 'paper' })).toBe('axes');
    expect(() => directions({ linear: { gradientDirections: 'diagonal' } })).toThrow(/linear\.gradientDirections/);
  });

  it('reaches native code with the gradient rows, and only when sampled', () => {
    const problem = waveIn(3);
    const config = (linear: Record<string, unknown>) =>
      linearConfig(resolveOptions({ problem, linear }).linear, problem.plan) as unknown as Record<string, unknown>;
    expect(config({ gradientWeight: { u: 1 } })).toMatchObject({
      gradientWeights: [1, 0],
      stencilDirections: 'sampled',
    });
    expect(config({ gradientWeight: { u: 1 }, gradientDirections: 'axes' })).not.toHaveProperty('stencilDirections');
    expect(config({ gradientWeight: 0 })).not.toHaveProperty('stencilDirections');
    expect(config({ gradientWeight: 0 })).not.toHaveProperty('gradientWeights');
  });
});
