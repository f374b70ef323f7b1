// boundary 'periodic': a network that repeats with the box, the options it implies, the check that
// u0 and f(u0) repeat too, and closed-form solutions followed across the seam.
import { describe, expect, it } from 'vitest';
import { channelAdvection, channelSpread, periodicAdvection, periodicHeat } from '../examples/lib/periodic-problems';
import { type Boundary, defineProblem, type Expr, ops } from '../ts/problem';
import { initialShape } from '../ts/solver/initial-shape';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { periodicSuggestion } from '../ts/solver/periodic-start';
import { sessionConfigFor } from '../ts/solver/session-config';
import { testDevice } from './helpers/device';
import { SMALL_RUN } from './helpers/small-run';
import { specError } from './helpers/spec-error';

const { sin, cos, exp, d } = ops;
const tau = 2 * Math.PI;

/** A 1D problem on [0, 1] with the given u0 and right-hand side. */
function line(initial: (x: Expr) => Expr, rhs: (u: Expr, x: Expr) => Expr = (u) => d(d(u, 0), 0)) {
  return defineProblem({
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary: 'periodic',
    fields: ['u'],
    initial: ({ x }) => ({ u: initial(x[0]) }),
    rhs: ({ u, x }) => ({ u: rhs(u, x[0]) }),
  });
}

describe("boundary 'periodic'", () => {
  it('is a boundary defineProblem takes; an unknown one names all three', () => {
    expect(periodicHeat().boundary).toBe('periodic');
    const e = specError(() => periodicHeat('open' as Boundary));
    expect(e.path).toBe('boundary');
    expect(e.message).toContain("'periodic'");
  });

  it('gives the native network the periodic rule, the embedding, no margin and no images', () => {
    const options = resolveOptions(periodicHeat());
    expect(options.margin).toBe(0);
    expect(options.network.embedding).toBe(true);
    const importance = options.samples.importance;
    if (importance !== false) expect(importance.imageShare).toBe(0);
    const shape = initialShape(periodicHeat(), [0, 0], [1, 1]);
    const open = resolveOptions({ problem: periodicHeat('none'), margin: 0 });
    // The same highest frequency, one octave fewer: a periodic octave k is an open one's k + 1.
    expect(options.network.frequencies).toBe(open.network.frequencies - 1);
    expect(shape.finestOctave).toBeGreaterThan(0);
    const config = sessionConfigFor(options, 'cpu').network;
    expect(config.periodic).toBe(true);
    expect(config.dirichlet).toBe(false);
    expect(sessionConfigFor(open, 'cpu').network.periodic).toBe(false);
  });

  it('refuses a margin and a network without the embedding, by path', () => {
    expect(specError(() => resolveOptions({ problem: periodicHeat(), margin: 0.5 })).path).toBe('margin');
    const e = specError(() => resolveOptions({ problem: periodicHeat(), network: { embedding: false } }));
    expect(e.path).toBe('network.embedding');
    expect(e.message).toContain('periodic');
  });

  it('refuses a u0 that jumps or kinks across the faces, and a right-hand side that does not repeat', () => {
    const jump = specError(() => resolveOptions(line((x) => x)));
    expect(jump.path).toBe('problem.initial.u');
    expect(jump.message).toContain('x[0]');
    expect(jump.message).toMatch(/0 and 1 at x = \(0\) and \(1\)/);
    // sin πx is 0 on both faces, but its slope is π on one and −π on the other.
    const kink = specError(() => resolveOptions(line((x) => sin(x.mul(Math.PI)))));
    expect(kink.path).toBe('problem.initial.u');
    expect(kink.message).toContain('∂u0/∂x[0]');
    const coefficient = specError(() =>
      resolveOptions(
        line(
          (x) => cos(x.mul(tau)),
          (u, x) => u.mul(x),
        ),
      ),
    );
    expect(coefficient.path).toBe('problem.rhs.u');
    // A bump whose tails are far below the tolerance on both faces repeats well enough.
    const bump = (x: Expr) => exp(x.sub(0.45).pow(2).mul(-200));
    expect(resolveOptions(line(bump)).problem.boundary).toBe('periodic');
    // The same bump nearer a face (1.5e-3 of its top there) does not.
    const near = specError(() => resolveOptions(line((x) => exp(x.sub(0.18).pow(2).mul(-200)))));
    expect(near.path).toBe('problem.initial.u');
  });
});

describe("a boundary-'none' problem that repeats with its domain", { timeout: 120_000 }, () => {
  it('is recognised where u0 or its slope is not small on the faces, and not for a bump inside or a u0 that does not repeat', () => {
    expect(periodicSuggestion(periodicHeat('none'))).toBe('periodic');
    expect(periodicSuggestion(periodicAdvection('none'))).toBe('periodic');
    const open = (initial: (x: Expr) => Expr, rhs: (u: Expr) => Expr = (u) => d(d(u, 0), 0)) =>
      defineProblem({
        dim: 1,
        domain: { lower: 0, upper: 1 },
        boundary: 'none',
        fields: ['u'],
        initial: ({ x }) => ({ u: initial(x[0]) }),
        rhs: ({ u }) => ({ u: rhs(u) }),
      });
    // Zero on its faces, its slope is not.
    expect(periodicSuggestion(open((x) => sin(x.mul(tau))))).toBe('periodic');
    expect(periodicSuggestion(open((x) => exp(x.sub(0.5).pow(2).mul(-400))))).toBeNull();
    expect(periodicSuggestion(open((x) => x))).toBeNull();
    expect(periodicSuggestion(open((x) => sin(x.mul(Math.PI))))).toBeNull();
    // A u0 that repeats across the faces, told 'periodic' under a diffusion and not under a
    // right-hand side with no spatial derivative: nothing crosses the faces, 'none' holds it exactly.
    const growth = (rhs: (u: Expr) => Expr) => open((x) => sin(x.mul(tau)).mul(0.1).add(0.2), rhs);
    expect(periodicSuggestion(growth((u) => u.mul(u.neg().add(1)).add(d(d(u, 0), 0))))).toBe('periodic');
    expect(periodicSuggestion(growth((u) => u.mul(u.neg().add(1))))).toBeNull();
    // Axis by axis: a channel written with 'none' repeats along x alone (its y profile is a
    // Gaussian whose slope changes sign across the box); one with walls keeps them.
    expect(periodicSuggestion(channelSpread('none'))).toEqual(['periodic', 'none']);
    expect(periodicSuggestion(channelAdvection(['none', 'dirichlet']))).toEqual(['periodic', 'dirichlet']);
    expect(periodicSuggestion(channelSpread())).toBeNull();
  });

  it("is told, once, before its first fit that 'periodic' would suit it", async () => {
    const said: string[] = [];
    const fitOnly = { fit: { maxIterations: 1 }, seed: 1, device: testDevice };
    const warn = (w: { code: string }) => said.push(w.code);
    const ivp = new NeuralIVP({ problem: periodicHeat('none'), ...fitOnly }, { warn });
    await ivp.fit();
    expect(said.filter((c) => c === 'NIVP_PERIODIC')).toHaveLength(1);
    const messages: string[] = [];
    await new NeuralIVP(
      { problem: channelSpread('none'), ...fitOnly },
      { warn: (w) => w.code === 'NIVP_PERIODIC' && messages.push(w.message) },
    ).fit();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('along x[0]');
    expect(messages[0]).toContain("boundary ['periodic', 'none']");
    said.length = 0;
    await new NeuralIVP({ problem: periodicHeat(), ...fitOnly }, { warn }).fit();
    expect(said).not.toContain('NIVP_PERIODIC');
  });
});

describe("boundary 'periodic' end to end", { timeout: 300_000 }, () => {
  const options = SMALL_RUN;

  it('carries a 1D profile once around the box and back to where it started', async () => {
    const sol = await new NeuralIVP({ problem: periodicAdvection(), ...options }).evolve(1, { saveAt: [0, 0.5, 1] });
    expect(sol.stats.fit?.relativeError).toBeLessThan(1e-4);
    for (const t of [0.5, 1]) expect(await sol.error(t, 4000), `t = ${t}`).toBeLessThan(2e-3);
    // At t = 1 the solution is u0 again: the network's values at a grid match u0's.
    const grid = Float64Array.from({ length: 101 }, (_, i) => i / 100);
    const u = sol.evaluate(grid, 1);
    let worst = 0;
    for (const [i, x] of grid.entries()) worst = Math.max(worst, Math.abs(u[i] - Math.exp(Math.sin(tau * x))));
    expect(worst).toBeLessThan(1e-2);
    // Periodic to rounding: the faces agree exactly, and a point a box further on is no
    // extrapolation (no NIVP_OUTSIDE_DOMAIN warning).
    const warnings: string[] = [];
    const listen = (w: Error & { code?: string }) => warnings.push(w.code ?? '');
    process.on('warning', listen);
    const faces = sol.evaluate(Float64Array.from([0, 1, 0.3, 1.3]), 1);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listen);
    expect(Math.abs(faces[0] - faces[1])).toBeLessThan(1e-12);
    expect(Math.abs(faces[2] - faces[3])).toBeLessThan(1e-12);
    expect(warnings).not.toContain('NIVP_OUTSIDE_DOMAIN');
  });

  it('follows a decaying heat mode that no Dirichlet factor holds', async () => {
    const T = 1 / (2 * tau * tau);
    const sol = await new NeuralIVP({ problem: periodicHeat(), ...options }).evolve(T);
    expect(sol.stats.fit?.relativeError).toBeLessThan(1e-4);
    expect(await sol.error(T, 4000)).toBeLessThan(1e-3);
  });
});
