// The initial condition's shape (ts/solver/initial-shape.ts) against closed forms, and the defaults
// it chooses: importance sampling and a lighter embedding decay for a concentrated u0 only, the
// embedding's highest octave two above u0's finest scale, the raw point and the exp output for a
// density (a concentrated positive u0 whose equation keeps it positive), and no embedding where
// any other concentrated u0 holds fewer than two samples per axis.
import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { defineProblem, type Expr, ops, type Problem } from '../ts/problem';
import { heat } from '../ts/problems/heat';
import { problems } from '../ts/problems/index';
import {
  decayFor,
  embeddingFor,
  frequenciesFor,
  initialShape,
  isDensity,
  occupiedSpacing,
  occupiedWidth,
  outputFor,
} from '../ts/solver/initial-shape';
import { DEFAULT_IMPORTANCE, resolveOptions } from '../ts/solver/options';

/** An unnormalised Gaussian of width σ per axis at the centre c of [-1, 1]^d, Dirichlet. */
function bump(dim: number, sigma: number, c = 0.1, source = 0): Problem {
  return defineProblem({
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({ u: ops.exp(ops.sum(x.map((xi) => xi.sub(c).pow(2))).mul(-1 / (2 * sigma * sigma))) }),
    rhs: ({ u }) => ({ u: ops.lap(u).mul(0.01).add(source) }),
  });
}

/** The same Gaussian in both fields of a wave written as a system: u_t = v, v_t = Δu. */
function waveBump(dim: number, sigma: number): Problem {
  return defineProblem({
    dim,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => {
      const g = ops.exp(ops.sum(x.map((xi) => xi.sub(0.1).pow(2))).mul(-1 / (2 * sigma * sigma)));
      return { u: g, v: g };
    },
    rhs: ({ u, v }) => ({ u: v, v: ops.lap(u) }),
  });
}

const box = (dim: number, h = 1) => [new Array<number>(dim).fill(-h), new Array<number>(dim).fill(h)] as const;

describe('initialShape', () => {
  it("a Gaussian's occupied share is (σ√π/h)^d and its finest octave log2(2/(πσ√2))", () => {
    // mean u = (σ√(2π)/2)^d and mean u² = (σ√π/2)^d on [-1, 1]^d (tails beyond the box negligible).
    for (const [dim, sigma] of [
      [1, 0.05],
      [2, 0.1],
      [3, 0.15],
    ]) {
      const shape = initialShape(bump(dim, sigma), ...box(dim));
      const fraction = (sigma * Math.sqrt(Math.PI)) ** dim;
      expect(shape.occupiedFraction / fraction).toBeGreaterThan(0.8);
      expect(shape.occupiedFraction / fraction).toBeLessThan(1.25);
      expect(Math.abs(shape.finestOctave - Math.log2(2 / (Math.PI * sigma * Math.SQRT2)))).toBeLessThan(0.2);
    }
  });

  it("the box's lowest mode: cos(πx/2)cos(πy/2) occupies (8/π²)² of it, finest octave 0", () => {
    const shape = initialShape(heat({ dim: 2 }), ...box(2));
    expect(shape.occupiedFraction).toBeCloseTo((8 / Math.PI ** 2) ** 2, 1);
    expect(Math.abs(shape.finestOctave)).toBeLessThan(0.05);
  });

  it('measures in the network coordinates: the same bump on a box twice as wide is one octave finer', () => {
    const p = bump(1, 0.1, 0);
    const narrow = initialShape(p, [-1], [1]);
    const wide = initialShape(p, [-2], [2]);
    // Two pilot sets (the boxes differ), so each estimate carries its own sampling error.
    expect(Math.abs(wide.finestOctave - narrow.finestOctave - 1)).toBeLessThan(0.15);
    expect(Math.abs(wide.occupiedFraction / narrow.occupiedFraction - 0.5)).toBeLessThan(0.08);
  });

  it('a zero initial condition has no shape', () => {
    const zero = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: () => ({ u: ops.constant(0) }),
      rhs: ({ u }) => ({ u: ops.lap(u) }),
    });
    expect(initialShape(zero, ...box(2)).occupiedFraction).toBeNaN();
    expect(initialShape(zero, ...box(2)).finestOctave).toBeNaN();
  });

  it('a zero u0 driven by a source takes its finest scale from the source, and nothing else', () => {
    const driven = (source: (x: readonly Expr[]) => Expr) =>
      defineProblem({
        dim: 2,
        domain: { lower: -1, upper: 1 },
        boundary: 'dirichlet',
        fields: ['u'],
        initial: () => ({ u: 0 }),
        rhs: ({ u, x }) => ({ u: ops.lap(u).mul(0.1).add(source(x)) }),
      });
    // The box's lowest mode: the same octave as the same function given as u0.
    const mode = (x: readonly Expr[]) => ops.cos(x[0].mul(Math.PI / 2)).mul(ops.cos(x[1].mul(Math.PI / 2)));
    const asSource = initialShape(driven(mode), ...box(2));
    const asInitial = initialShape(
      defineProblem({
        dim: 2,
        domain: { lower: -1, upper: 1 },
        boundary: 'dirichlet',
        fields: ['u'],
        initial: ({ x }) => ({ u: mode(x) }),
        rhs: ({ u }) => ({ u: ops.lap(u) }),
      }),
      ...box(2),
    );
    expect(asSource.finestOctave).toBeCloseTo(asInitial.finestOctave, 10);
    expect(frequenciesFor(asSource)).toBe(3);
    // A narrow source (σ = 0.03) is read as narrow.
    const narrow = initialShape(
      driven((x) => ops.exp(ops.sum(x.map((xi) => xi.pow(2))).mul(-1 / (2 * 0.03 ** 2)))),
      ...box(2),
    );
    expect(frequenciesFor(narrow)).toBe(5);
    // Neither concentrated nor positive: no importance sampling or exp output for a zero u0.
    expect(narrow.occupiedFraction).toBeNaN();
    expect(narrow.positive).toBe(false);
    const options = resolveOptions({ problem: driven(mode) });
    expect([options.network.frequencies, options.samples.importance, options.network.output]).toEqual([
      3,
      false,
      'linear',
    ]);
  });

  it('decay: the derivative order for a smooth u0, none for a concentrated one at octave 2 or a broad one at octave 3.5 or finer', () => {
    const broad = (finestOctave: number) =>
      decayFor({ occupiedFraction: 0.5, finestOctave, positive: true, faceShare: 0, keepsPositive: true }, 2);
    expect(broad(1)).toBe(2);
    expect(broad(2.5)).toBe(2);
    expect(broad(3)).toBe(1);
    expect(broad(3.25)).toBeCloseTo(0.5, 12);
    expect(broad(3.5)).toBe(0);
    expect(broad(4)).toBe(0);
    expect(broad(Number.NaN)).toBe(2);
    expect(
      decayFor({ occupiedFraction: 0.01, finestOctave: 0, positive: true, faceShare: 0, keepsPositive: true }, 2),
    ).toBe(2);
    expect(
      decayFor({ occupiedFraction: 0.01, finestOctave: 1, positive: true, faceShare: 0, keepsPositive: true }, 2),
    ).toBe(1);
    expect(
      decayFor({ occupiedFraction: 0.01, finestOctave: 2.5, positive: true, faceShare: 0, keepsPositive: true }, 2),
    ).toBe(0);
  });

  it('frequencies: two octaves above the finest scale, within [3, 5]; unknown: 5', () => {
    expect(
      frequenciesFor({ occupiedFraction: 0.5, finestOctave: 0.3, positive: true, faceShare: 0, keepsPositive: true }),
    ).toBe(3);
    expect(
      frequenciesFor({ occupiedFraction: 0.5, finestOctave: 1.5, positive: true, faceShare: 0, keepsPositive: true }),
    ).toBe(4);
    expect(
      frequenciesFor({ occupiedFraction: 0.01, finestOctave: 2.2, positive: true, faceShare: 0, keepsPositive: true }),
    ).toBe(5);
    expect(
      frequenciesFor({ occupiedFraction: 0.001, finestOctave: 4.7, positive: true, faceShare: 0, keepsPositive: true }),
    ).toBe(5);
    expect(
      frequenciesFor({
        occupiedFraction: 1,
        finestOctave: Number.NEGATIVE_INFINITY,
        positive: true,
        faceShare: 0,
        keepsPositive: true,
      }),
    ).toBe(3);
    expect(
      frequenciesFor({
        occupiedFraction: Number.NaN,
        finestOctave: Number.NaN,
        positive: true,
        faceShare: 0,
        keepsPositive: true,
      }),
    ).toBe(5);
  });
});

describe('embedding by sample spacing', () => {
  it("a Gaussian's width from its occupied share is σ√2, and n points over that share lie 2·(share/n)^(1/d) apart", () => {
    for (const [dim, sigma] of [
      [2, 0.1],
      [3, 0.15],
    ]) {
      const shape = initialShape(bump(dim, sigma), ...box(dim));
      expect(Math.abs(occupiedWidth(shape, dim) / (sigma * Math.SQRT2) - 1)).toBeLessThan(0.1);
      // n points spread evenly over a cube of side 2·share^(1/d): n^(1/d) per axis.
      const side = 2 * shape.occupiedFraction ** (1 / dim);
      expect(occupiedSpacing(shape, dim, 1000)).toBeCloseTo(side / 1000 ** (1 / dim), 12);
    }
  });

  it('off for a concentrated u0 under two samples per width along an axis (n^(1/d) < 2√(2π) for a Gaussian)', () => {
    const threshold = 2 * Math.sqrt(2 * Math.PI); // ≈ 5.01 samples per axis
    const gaussian = (dim: number, sigma: number) => ({
      occupiedFraction: (sigma * Math.sqrt(Math.PI)) ** dim,
      finestOctave: Math.log2(2 / (Math.PI * sigma * Math.SQRT2)),
      positive: true,
      faceShare: 0,
      // Not a density: an equation that can drive it below zero.
      keepsPositive: false,
    });
    for (const dim of [2, 4, 6, 8]) {
      for (const sigma of [0.05, 0.1]) {
        const below = Math.floor((0.98 * threshold) ** dim);
        const above = Math.ceil((1.02 * threshold) ** dim);
        expect(embeddingFor(gaussian(dim, sigma), dim, below, true)).toBe(false);
        expect(embeddingFor(gaussian(dim, sigma), dim, above, true)).toBe(true);
        // A density is read at the raw point however many samples it has.
        expect(embeddingFor({ ...gaussian(dim, sigma), keepsPositive: true }, dim, above, true)).toBe(false);
      }
    }
    // A broad u0 keeps it at any spacing.
    const broad = { occupiedFraction: 0.3, finestOctave: 0.5, positive: true, faceShare: 0, keepsPositive: true };
    expect(embeddingFor(broad, 8, 100, true)).toBe(true);
  });
});

describe('positivity and the output', () => {
  it('a Gaussian is positive at every pilot point; a sine, or a Gaussian minus a constant, is not', () => {
    expect(initialShape(bump(3, 0.1), ...box(3)).positive).toBe(true);
    // A Gaussian of σ centred at c on every axis: largest on a face at h = 1 − c from the centre,
    // e^{−h²/2σ²} of its peak, in 2D and 8D alike (uniform pilot points in 8D miss its bulk).
    for (const [dim, sigma] of [
      [2, 0.2],
      [8, 0.12],
    ]) {
      const share = initialShape(bump(dim, sigma, 0.3), ...box(dim)).faceShare;
      expect(share / Math.exp(-(0.7 ** 2) / (2 * sigma ** 2))).toBeCloseTo(1, 3);
    }
    // A u0 built to vanish on every face (Π sin πx_i on [0, 1]^12) is zero there to rounding: its
    // faces are read from their pilot points, not searched.
    const sines = defineProblem({
      dim: 12,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: x.map((xi) => ops.sin(xi.mul(Math.PI))).reduce((a, b) => a.mul(b)) }),
      rhs: ({ u }) => ({ u: ops.lap(u) }),
    });
    const zeroOnFaces = initialShape(sines, sines.lower, sines.upper).faceShare;
    expect(zeroOnFaces).toBeGreaterThanOrEqual(0);
    expect(zeroOnFaces).toBeLessThan(1e-13);
    const signed = (shift: number) =>
      defineProblem({
        dim: 2,
        domain: { lower: -1, upper: 1 },
        boundary: 'dirichlet',
        fields: ['u'],
        initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).add(x[1].pow(2)).mul(-2)).sub(shift) }),
        rhs: ({ u }) => ({ u: ops.lap(u) }),
      });
    expect(initialShape(signed(0), ...box(2)).positive).toBe(true);
    // e^{-2r²} falls to e^{-4} ≈ 0.018 at the corners: 0.05 below it there.
    expect(initialShape(signed(0.05), ...box(2)).positive).toBe(false);
  });

  it('an equation keeps u positive when it has one field and its right-hand side at u = 0 is nowhere negative', () => {
    expect(initialShape(bump(2, 0.1), ...box(2)).keepsPositive).toBe(true);
    // A source that is positive pushes up from zero; a negative one pushes below it.
    expect(initialShape(bump(2, 0.1, 0.1, 0.5), ...box(2)).keepsPositive).toBe(true);
    expect(initialShape(bump(2, 0.1, 0.1, -0.5), ...box(2)).keepsPositive).toBe(false);
    // A system: the wave's fields change sign whatever their start.
    expect(initialShape(waveBump(2, 0.1), ...box(2)).keepsPositive).toBe(false);
    // The Fokker–Planck form ∇·(x u) + Δu reads u only through its jets: zero at u = 0.
    const drift = defineProblem({
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).add(x[1].pow(2)).mul(-20)) }),
      rhs: ({ u, x }) => ({
        u: ops.lap(u).mul(0.01).add(ops.d(u, 0).mul(x[0])).add(ops.d(u, 1).mul(x[1])).add(u.mul(2)),
      }),
    });
    expect(initialShape(drift, ...box(2)).keepsPositive).toBe(true);
  });

  it('exp for a density read at the raw point, linear for anything else', () => {
    const sigma = 0.12;
    const shape = {
      occupiedFraction: (sigma * Math.sqrt(Math.PI)) ** 4,
      finestOctave: Math.log2(2 / (Math.PI * sigma * Math.SQRT2)),
      positive: true,
      faceShare: 1e-7,
      keepsPositive: true,
    };
    const raw = { embedding: false, dirichlet: true };
    expect(isDensity(shape, true)).toBe(true);
    expect(outputFor(shape, raw)).toBe('exp');
    expect(outputFor(shape, { ...raw, embedding: true })).toBe('linear');
    expect(outputFor({ ...shape, positive: false }, raw)).toBe('linear');
    expect(outputFor({ ...shape, keepsPositive: false }, raw)).toBe('linear');
    // A broad positive u0 read without the embedding: linear.
    const broad = { occupiedFraction: 0.3, finestOctave: 0.5, positive: true, faceShare: 0, keepsPositive: true };
    expect(outputFor(broad, raw)).toBe('linear');
    // Not small on a Dirichlet face: e^m would need m = log(u0/B) → ∞ there; without the boundary it may.
    expect(outputFor({ ...shape, faceShare: 1e-2 }, raw)).toBe('linear');
    expect(outputFor({ ...shape, faceShare: 1e-2 }, { ...raw, dirichlet: false })).toBe('exp');
  });

  it("the defaults: a concentrated Gaussian density gets the raw point and 'exp' in 2D to 6D; a system, a negative source and a broad heat problem do not; the user and the paper decide", () => {
    for (const dim of [2, 4, 6]) {
      expect(resolveOptions({ problem: bump(dim, 0.1) }).network).toMatchObject({ embedding: false, output: 'exp' });
    }
    expect(resolveOptions({ problem: bump(4, 0.1, 0.1, -0.5) }).network).toMatchObject({
      embedding: true,
      output: 'linear',
    });
    expect(resolveOptions({ problem: waveBump(2, 0.1) }).network).toMatchObject({ embedding: true, output: 'linear' });
    expect(resolveOptions({ problem: heat({ dim: 8 }) }).network).toMatchObject({ embedding: true, output: 'linear' });
    const narrow4d = bump(4, 0.1);
    // The embedding, given: its MLP keeps the linear output.
    expect(resolveOptions({ problem: narrow4d, network: { embedding: true } }).network.output).toBe('linear');
    expect(resolveOptions({ problem: narrow4d, network: { output: 'linear' } }).network.output).toBe('linear');
    expect(resolveOptions({ problem: narrow4d, preset: 'paper' }).network).toMatchObject({
      embedding: true,
      output: 'linear',
    });
    expect(resolveOptions({ problem: heat({ dim: 2 }), network: { output: 'exp' } }).network.output).toBe('exp');
    // Under the log output the step's error is measured in u: its parameters say nothing of u's error.
    expect(resolveOptions({ problem: narrow4d }).integrator.errorNorm).toBe('function');
    expect(resolveOptions({ problem: narrow4d, network: { output: 'linear' } }).integrator.errorNorm).toBe(
      'parameters',
    );
    expect(resolveOptions({ problem: narrow4d, integrator: { errorNorm: 'parameters' } }).integrator.errorNorm).toBe(
      'parameters',
    );
    expect(resolveOptions({ problem: narrow4d, preset: 'paper' }).integrator.errorNorm).toBe('parameters');
    expect(resolveOptions({ problem: heat({ dim: 2 }) }).integrator.errorNorm).toBe('parameters');
    const again = resolveOptions({ ...resolveOptions({ problem: narrow4d }) });
    expect(again.network).toEqual(resolveOptions({ problem: narrow4d }).network);
    // The catalogue's Vlasov density (σ = 0.3, centred) is 3.9e-3 of its peak on a face's centre,
    // where the Dirichlet factor vanishes: not a density for the log output; its samples are too
    // sparse for the embedding in 6D, so the raw point, with the linear output.
    const catalogue = resolveOptions({ problem: problems.vlasov() });
    expect(catalogue.network).toMatchObject({ embedding: false, output: 'linear' });
  });

  it("refuses a given 'exp' for a u0 that is not positive, naming network.output", () => {
    const sine = defineProblem({
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.sin(x[0].mul(Math.PI)) }),
      rhs: ({ u }) => ({ u: ops.lap(u) }),
    });
    let error: unknown;
    try {
      resolveOptions({ problem: sine, network: { output: 'exp' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).path).toBe('network.output');
    expect(() => resolveOptions({ problem: sine, network: { output: 'linear' } })).not.toThrow();
  });
});

describe('the defaults follow the shape', () => {
  // Concentrated, and not a density (a negative source): it keeps the embedding.
  const concentrated = bump(4, 0.1, 0.1, -0.5);

  it('a concentrated u0 gets importance sampling and an undamped embedding', () => {
    const r = resolveOptions({ problem: concentrated });
    expect(r.samples.importance).toEqual(DEFAULT_IMPORTANCE);
    expect(r.network.decay).toBe(0);
    // The user's choices stand.
    const own = resolveOptions({
      problem: concentrated,
      samples: { count: 3000, importance: false },
      network: { decay: 1 },
    });
    expect(own.samples).toEqual({ count: 3000, heldOut: 1000, sequence: 'sobol', importance: false });
    expect(own.network.decay).toBe(1);
    expect(resolveOptions({ problem: concentrated, samples: 3000 }).samples.importance).toEqual(DEFAULT_IMPORTANCE);
  });

  it('a broad u0 with a fine feature gets a smaller decay as the feature narrows', () => {
    // A Gaussian of width σ on [−1, 1] under u_t = −2u_x + 0.002u_xx occupies over 5 % of its box
    // (broad: 2σ√π/2) at σ = 0.2, 0.05 and 0.03; its finest octave log2(2/(π·σ√2)) is 1.2, 3.2 and
    // 3.9, so the decay falls from the derivative order, 2, to 2·(3.5 − 3.2) and to none.
    const pulse = (sigma: number) =>
      defineProblem({
        dim: 1,
        domain: { lower: -1, upper: 1 },
        boundary: 'none',
        fields: ['u'],
        initial: ({ x }) => ({ u: ops.exp(x[0].pow(2).mul(-1 / (2 * sigma * sigma))) }),
        rhs: ({ u }) => ({
          u: ops
            .d(u, 0)
            .mul(-2)
            .add(ops.d2(u, 0, 0).mul(0.002)),
        }),
      });
    const decays = [0.2, 0.05, 0.03].map((sigma) => resolveOptions({ problem: pulse(sigma), margin: 0 }));
    for (const r of decays) expect(r.samples.importance).toBe(false);
    expect(decays.map((r) => r.network.decay)).toEqual([2, expect.closeTo(2 * (3.5 - 3.17), 1), 0]);
  });

  it("a broad u0 keeps uniform points and the derivative order; the 'paper' preset keeps its own", () => {
    const broad = resolveOptions({ problem: heat({ dim: 4 }) });
    expect(broad.samples.importance).toBe(false);
    expect(broad.network.decay).toBe(2);
    const paper = resolveOptions({ problem: concentrated, preset: 'paper' });
    expect(paper.samples.importance).toBe(false);
    expect(paper.network.decay).toBe(1);
    expect(paper.network.frequencies).toBe(5);
  });

  it('a concentrated u0 that is not a density keeps the embedding where its samples resolve it (4D at 4,000 points), not in 6D; the user and the paper preset decide', () => {
    const signed6d = bump(6, 0.15, 0.1, -0.5);
    expect(resolveOptions({ problem: signed6d }).network.embedding).toBe(false);
    expect(resolveOptions({ problem: bump(4, 0.1, 0.1, -0.5) }).network.embedding).toBe(true);
    expect(resolveOptions({ problem: heat({ dim: 8 }) }).network.embedding).toBe(true);
    // 20,000 points: 5.2 per axis in 6D.
    expect(resolveOptions({ problem: signed6d, samples: 20_000 }).network.embedding).toBe(true);
    expect(resolveOptions({ problem: signed6d, network: { embedding: true } }).network.embedding).toBe(true);
    expect(resolveOptions({ problem: signed6d, preset: 'paper' }).network.embedding).toBe(true);
    expect(resolveOptions({ problem: bump(4, 0.1), preset: 'paper' }).network.embedding).toBe(true);
  });

  it('without the embedding the importance kernels go to no images, unless the user set imageShare', () => {
    const narrow6d = bump(6, 0.15);
    expect(resolveOptions({ problem: narrow6d }).samples.importance).toEqual({ ...DEFAULT_IMPORTANCE, imageShare: 0 });
    expect(resolveOptions({ problem: concentrated }).samples.importance).toEqual(DEFAULT_IMPORTANCE);
    const own = resolveOptions({ problem: narrow6d, samples: { importance: { imageShare: 0.25 } } });
    expect(own.samples.importance).toEqual({ ...DEFAULT_IMPORTANCE, imageShare: 0.25 });
    const again = resolveOptions({ ...resolveOptions({ problem: narrow6d }) });
    expect(again.samples).toEqual(resolveOptions({ problem: narrow6d }).samples);
  });

  it("frequencies follow u0's finest scale: cos(1.5πx) is at octave log2 3, a narrow bump above 5", () => {
    // cos(ωx) on [-1, 1] with 1.5 whole periods (zero on both faces, as 'dirichlet' asks): mean u² =
    // mean u_x²/ω² = 1/2, so ℓ = 1/ω and k* = log2(2ω/π) = log2 3 ≈ 1.58, whose ceiling plus two is 4.
    const wave = defineProblem({
      dim: 1,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.cos(x[0].mul(1.5 * Math.PI)) }),
      rhs: ({ u }) => ({ u: ops.lap(u) }),
    });
    expect(resolveOptions({ problem: wave }).network.frequencies).toBe(4);
    // The box's lowest modes (k* ≈ 0): the fewest, 3; a Gaussian of σ = 0.1 (k* ≈ 2.2): 5.
    expect(resolveOptions({ problem: heat({ dim: 4 }) }).network.frequencies).toBe(3);
    expect(resolveOptions({ problem: concentrated }).network.frequencies).toBe(5);
    expect(resolveOptions({ problem: wave, network: { frequencies: 6 } }).network.frequencies).toBe(6);
  });
});
