// How far outside the domain a boundary-'none' run reads by T (ts/solver/inflow.ts), against
// characteristics solved by hand, and how NeuralIVP and the CLI apply it.
import { describe, expect, it } from 'vitest';
import { defineProblem } from '../ts/problem/define';
import type { Expr } from '../ts/problem/expr';
import { ops } from '../ts/problem/ops';
import { inflowMargin, marginFor } from '../ts/solver/inflow';
import { NeuralIVP, type NeuralIVPWarning } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { fakeFactory } from './solver-fake-session';

const { d, lap, exp, tanh } = ops;
const gaussian = (x: readonly Expr[]) =>
  exp(
    x
      .map((xi) => xi.pow(2))
      .reduce((a, b) => a.add(b))
      .mul(-8),
  );

/** A u0 that changes sign on any box: never a density, so the output stays linear. */
const wave = (x: readonly Expr[]) => ops.sin(x.reduce((a, b) => a.add(b)).mul(1.3));

/** u_t = −c·∇u (+ ν Δu) on [lower, upper]^D. */
function advection(c: number[], { lower = -1, upper = 1, nu = 0, initial = wave } = {}) {
  return defineProblem({
    dim: c.length,
    domain: { lower, upper },
    boundary: 'none',
    fields: ['u'],
    initial: ({ x }) => ({ u: initial(x) }),
    rhs: ({ u }) => ({ u: c.reduce((f: Expr, ci, i) => f.sub(d(u, i).mul(ci)), lap(u).mul(nu)) }),
  });
}

/** Two fields (u, v) on [-1, 1] with boundary 'none', u0 a Gaussian and v0 = 0. */
function pair1d(rhs: (f: { u: Expr; v: Expr }) => { u: Expr; v: Expr }) {
  return defineProblem({
    dim: 1,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u', 'v'],
    initial: ({ x }) => ({ u: gaussian(x), v: 0 }),
    rhs,
  });
}

/** u_t = −u_x of a positive Gaussian (σ = 0.25: broad on the sampled box, so linear by default). */
const gaussianAdvection = advection([1], { initial: gaussian });

/** Viscous Burgers, u_t = ν u_xx − u u_x, a front from u = 1 (left) to 0 (right). */
const burgers = defineProblem({
  dim: 1,
  domain: { lower: -1, upper: 1 },
  boundary: 'none',
  fields: ['u'],
  initial: ({ x }) => ({ u: tanh(x[0].add(0.3).mul(12.5)).neg().add(1).mul(0.5) }),
  rhs: ({ u }) => ({
    u: lap(u)
      .mul(0.02)
      .sub(u.mul(d(u, 0))),
  }),
});

describe('inflowMargin: the characteristics of the rhs at u0, traced back from the faces', () => {
  it('constant transport reaches speed·T, in half-widths of each axis', () => {
    // Half-widths 1 and 2 ([-1, 1] and [0, 4]): 0.8·0.5 = 0.4 of the first, 1.2·0.5/2 = 0.3 of the second.
    const p = defineProblem({
      dim: 2,
      domain: { lower: [-1, 0], upper: [1, 4] },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: exp(x[0].pow(2).add(x[1].sub(2).pow(2)).neg()) }),
      rhs: ({ u }) => ({ u: d(u, 0).mul(-0.8).add(d(u, 1).mul(1.2)) }),
    });
    expect(inflowMargin(p, 0.5)).toBeCloseTo(0.4, 10);
    expect(inflowMargin(advection([0.6]), 2)).toBeCloseTo(1.2, 10);
    // Diffusion alone, or a reaction, transports nothing.
    expect(inflowMargin(advection([0, 0], { nu: 0.1 }), 1)).toBe(0);
  });

  it("a nonlinear speed is read at u0's jets: Burgers' plateau u = 1 moves at speed 1", () => {
    expect(inflowMargin(burgers, 1)).toBeCloseTo(1, 3);
    expect(inflowMargin(burgers, 0.25)).toBeCloseTo(0.25, 3);
  });

  it('a rotation: the farthest any characteristic goes outside, at any time, not only at t = 0', () => {
    // u_t = y u_x − x u_y turns the square; a quarter turn maps it onto itself, but the corner's
    // path passes through radius √2 on an axis: √2 − 1 outside at the half-way time.
    const p = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: gaussian(x) }),
      rhs: ({ u, x }) => ({ u: d(u, 0).mul(x[1]).sub(d(u, 1).mul(x[0])) }),
    });
    const reach = inflowMargin(p, Math.PI / 2);
    expect(reach).toBeGreaterThan(0.3);
    expect(reach).toBeLessThanOrEqual(Math.SQRT2 - 1 + 1e-3);
  });

  it('a wave written as a system travels at √(ab) along each axis, both ways: u_t = a·v, v_t = b·∂²u', () => {
    // Half-widths 1 and 2: c_x = √(2·0.5) = 1 and c_y = √(2·0.125) = 0.5, so 0.6 and 0.15 at T = 0.6.
    const anisotropic = defineProblem({
      dim: 2,
      domain: { lower: [-1, -2], upper: [1, 2] },
      boundary: 'none',
      fields: ['u', 'v'],
      initial: ({ x }) => ({ u: gaussian(x), v: 0 }),
      rhs: ({ u, v }) => ({
        u: v.mul(2),
        v: ops
          .d2(u, 0, 0)
          .mul(0.5)
          .add(ops.d2(u, 1, 1).mul(0.125)),
      }),
    });
    expect(inflowMargin(anisotropic, 0.6)).toBeCloseTo(0.6, 6);
    // Klein–Gordon with damping: the mass and damping terms change no speed; c = √0.25 through Δu.
    const kleinGordon = pair1d(({ u, v }) => ({ u: v, v: lap(u).mul(0.25).sub(u.mul(4)).sub(v.mul(0.3)) }));
    expect(inflowMargin(kleinGordon, 1)).toBeCloseTo(0.5, 6);
    expect(marginFor(resolveOptions(kleinGordon), 3)).toBe(1.5);
    // The same equations with u_t = −v and v_t = Δu: a·b < 0, an elliptic system, no wave.
    const elliptic = pair1d(({ u, v }) => ({ u: v.neg(), v: lap(u) }));
    expect(inflowMargin(elliptic, 1)).toBe(0);
  });

  it('marginFor keeps the margin where it suffices, and asks only of a linear output without a boundary', () => {
    expect(marginFor(resolveOptions(advection([1])), 0.3)).toBe(0.5);
    expect(marginFor(resolveOptions(advection([1])), 1.234)).toBe(1.24);
    expect(marginFor(resolveOptions({ problem: gaussianAdvection, network: { output: 'exp' } }), 2)).toBe(0.5);
    expect(marginFor(resolveOptions({ problem: gaussianAdvection }), 2)).toBe(2);
    // Beyond the most a run can be given (8): the need as it is, for the warning to say.
    expect(marginFor(resolveOptions({ problem: advection([1]), margin: 8 }), 100)).toBe(100);
  });
});

describe('NeuralIVP covers the inflow by T', () => {
  const hooks = (warnings: NeuralIVPWarning[]) => {
    const { make, sessions } = fakeFactory();
    return { sessions, hooks: { createSession: make, warn: (w: NeuralIVPWarning) => warnings.push(w) } };
  };

  it('evolve(T) that fits first grows a default margin before the session opens, and saves it', async () => {
    const warnings: NeuralIVPWarning[] = [];
    const { sessions, hooks: h } = hooks(warnings);
    const ivp = new NeuralIVP({ problem: advection([1]), device: 'cpu', restarts: false }, h);
    expect(ivp.options.margin).toBe(0.5);
    expect(ivp.parameterCount).toBeGreaterThan(0); // a session opened before evolve is replaced
    const solution = await ivp.evolve(1.5);
    expect(ivp.options.margin).toBe(1.5);
    expect(solution.options.margin).toBe(1.5);
    expect(sessions.at(-1)?.config.network).toMatchObject({ lower: [-2.5], upper: [2.5] });
    expect(warnings.filter((w) => w.code === 'NIVP_MARGIN')).toEqual([]);
  });

  it('a given margin, or one already fitted, stays, and the run is warned with what it needs', async () => {
    const given: NeuralIVPWarning[] = [];
    const a = new NeuralIVP(
      { problem: advection([1]), margin: 0.2, device: 'cpu', restarts: false },
      hooks(given).hooks,
    );
    await a.evolve(1);
    expect(a.options.margin).toBe(0.2);
    expect(given.map((w) => w.code)).toContain('NIVP_MARGIN');
    expect(given.find((w) => w.code === 'NIVP_MARGIN')?.message).toMatch(/^margin 0\.2 .* Pass margin: 1 /);

    const fitted: NeuralIVPWarning[] = [];
    const b = new NeuralIVP({ problem: advection([1]), device: 'cpu', restarts: false }, hooks(fitted).hooks);
    await b.fit();
    await b.evolve(1);
    expect(b.options.margin).toBe(0.5);
    expect(fitted.map((w) => w.code)).toContain('NIVP_MARGIN');
  });

  it('a need beyond the largest margin grows it to 8 and still warns', async () => {
    const warnings: NeuralIVPWarning[] = [];
    const ivp = new NeuralIVP({ problem: advection([1]), device: 'cpu', restarts: false }, hooks(warnings).hooks);
    await ivp.evolve(10);
    expect(ivp.options.margin).toBe(8);
    const message = warnings.find((w) => w.code === 'NIVP_MARGIN')?.message;
    expect(message).toMatch(/^margin 8 .* up to 10 half-widths .* beyond the largest margin \(8\)/);
    expect(message).not.toMatch(/Pass margin/);
  });
});
