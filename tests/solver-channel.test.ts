// A boundary per axis: a channel periodic along x with Dirichlet or open faces across it. What
// defineProblem accepts, the options it implies, the start check along the periodic axis alone,
// and closed forms followed across the seam.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelAdvection, channelSpread } from '../examples/lib/periodic-problems';
import { type BoundarySpec, defineProblem, type Expr, ops } from '../ts/problem';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { sessionConfigFor } from '../ts/solver/session-config';
import { Solution } from '../ts/solver/solution';
import { SMALL_RUN } from './helpers/small-run';
import { specError } from './helpers/spec-error';

const { sin, cos, lap } = ops;
const tau = 2 * Math.PI;

/** u_t = Δu on [0, 1]² from the given u0, with the given boundary. */
function square(boundary: BoundarySpec, initial: (x: Expr, y: Expr) => Expr) {
  return defineProblem({
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: initial(x[0], x[1]) }),
    rhs: ({ u }) => ({ u: lap(u) }),
  });
}

describe('a boundary per axis', () => {
  it('is an array of one condition per axis; equal entries read as one, and each entry is checked by path', () => {
    const mode = (x: Expr, y: Expr) => cos(x.mul(tau)).mul(sin(y.mul(Math.PI)));
    expect(square(['periodic', 'dirichlet'], mode).boundary).toEqual(['periodic', 'dirichlet']);
    expect(square(['dirichlet', 'dirichlet'], mode).boundary).toBe('dirichlet');
    const short = specError(() => square(['periodic'], mode));
    expect(short.path).toBe('boundary');
    expect(short.message).toContain('one per axis');
    const bad = specError(() => square(['periodic', 'wall' as 'none'], mode));
    expect(bad.path).toBe('boundary[1]');
    expect(bad.message).toContain('"wall"');
  });

  it('gives each axis its own rule natively, the open default octaves, no images, and a margin across the open axis only', () => {
    const walls = resolveOptions(channelAdvection());
    expect(walls.margin).toBe(0);
    expect(walls.network.embedding).toBe(true);
    const importance = walls.samples.importance;
    if (importance !== false) expect(importance.imageShare).toBe(0);
    const config = sessionConfigFor(walls, 'cpu').network;
    expect(config.periodic).toEqual([true, false]);
    expect(config.dirichlet).toEqual([false, true]);
    expect([config.lower, config.upper]).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // Only an all-periodic box trades an octave for the doubled frequency: here y keeps its own,
    // that of the same u0 on the same box with no periodic axis.
    const closed = resolveOptions({ problem: channelAdvection('none'), margin: 0 });
    expect(walls.network.frequencies).toBe(closed.network.frequencies);

    const open = resolveOptions(channelSpread());
    expect(open.margin).toBe(0.5);
    const box = sessionConfigFor(open, 'cpu').network;
    expect(box.dirichlet).toBe(false);
    expect(box.periodic).toEqual([true, false]);
    // [0, 1] × [−1, 1] grown by half a half-width across (y) alone.
    expect([box.lower, box.upper]).toEqual([
      [0, -1.5],
      [1, 1.5],
    ]);
  });

  it('refuses a margin where no axis is open, and a network without the embedding', () => {
    const margin = specError(() => resolveOptions({ problem: channelAdvection(), margin: 0.5 }));
    expect(margin.path).toBe('margin');
    expect(margin.message).toContain("no axis has boundary 'none'");
    expect(specError(() => resolveOptions({ problem: channelSpread(), network: { embedding: false } })).path).toBe(
      'network.embedding',
    );
  });

  it('checks that u0 repeats along the periodic axis alone', () => {
    // Repeats along x; along y it is a half sine, which the Dirichlet axis does not ask to repeat.
    expect(() =>
      resolveOptions(square(['periodic', 'dirichlet'], (x, y) => cos(x.mul(tau)).mul(sin(y.mul(Math.PI))))),
    ).not.toThrow();
    // Periodic along y instead: sin πy's slope is π on one face and −π on the other.
    const e = specError(() =>
      resolveOptions(square(['dirichlet', 'periodic'], (x, y) => sin(x.mul(Math.PI)).mul(sin(y.mul(Math.PI))))),
    );
    expect(e.path).toBe('problem.initial.u');
    expect(e.message).toContain('along x[1]');
    expect(e.message).toContain('∂u0/∂x[1]');
  });
});

describe('a channel end to end', { timeout: 300_000 }, () => {
  it('carries a profile once along a channel with Dirichlet walls and back to where it started', async () => {
    const sol = await new NeuralIVP({ problem: channelAdvection(), ...SMALL_RUN }).evolve(1, { saveAt: [0, 0.5, 1] });
    expect(sol.stats.fit?.relativeError).toBeLessThan(1e-4);
    for (const t of [0.5, 1]) expect(await sol.error(t, 4000), `t = ${t}`).toBeLessThan(3e-3);
    // On the walls exactly 0; along the channel the network repeats; a point beyond the walls is
    // extrapolation (NIVP_OUTSIDE_DOMAIN), one a channel's length further along is not.
    const codes: string[] = [];
    const listen = (w: Error & { code?: string }) => codes.push(w.code ?? '');
    process.on('warning', listen);
    const along = sol.evaluate(Float64Array.from([0.3, 0.6, 1.3, 0.6, 0.4, 0, 0.4, 1]), 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(codes).not.toContain('NIVP_OUTSIDE_DOMAIN');
    expect(Math.abs(along[0] - along[1])).toBeLessThan(1e-12);
    expect([along[2], along[3]]).toEqual([0, 0]);
    sol.evaluate(Float64Array.from([0.3, 1.2]), 1);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listen);
    expect(codes).toContain('NIVP_OUTSIDE_DOMAIN');
    // Saved and loaded, the channel's network is the same: the same values at the same points.
    const file = join(mkdtempSync(join(tmpdir(), 'nivp-channel-')), 'channel.nivp.json');
    await sol.save(file);
    const loaded = await Solution.load(file);
    const again = loaded.evaluate(Float64Array.from([0.3, 0.6, 1.3, 0.6]), 1);
    for (const [i, v] of again.entries()) expect(Math.abs(v - along[i])).toBeLessThan(1e-12);
  });

  it('follows a profile carried along a channel open across while it spreads', async () => {
    const T = 0.5;
    const sol = await new NeuralIVP({ problem: channelSpread(), ...SMALL_RUN }).evolve(T);
    expect(sol.stats.fit?.relativeError).toBeLessThan(2e-4);
    expect(await sol.error(T, 4000)).toBeLessThan(2e-3);
  });
});
