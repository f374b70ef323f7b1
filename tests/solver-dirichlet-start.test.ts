// A Dirichlet network is zero on the faces of its Dirichlet axes: a u0 far from zero there is
// refused before any native work, naming the field, the face and the share, and a fit that misses
// its tolerance with a u0 that is not negligible there names the faces first among its advice.
import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops } from '../ts/index';
import { problems } from '../ts/problems/index';
import { DIRICHLET_NOTED_SHARE, DIRICHLET_REFUSED_SHARE, dirichletFaceValue } from '../ts/solver/dirichlet-start';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { resolveOptions } from '../ts/solver/options';
import { testDevice } from './helpers/device';
import { specError } from './helpers/spec-error';

const { exp, sin, cos, sum, lap } = ops;

/** A Gaussian of width s at the centre of [-1, 1]^dim, u_t = 0.01Δu, under `boundary`. */
function gaussian(s: number, dim: number, boundary: 'dirichlet' | 'none' = 'dirichlet') {
  const u0 = (x: readonly Expr[]) => exp(sum(x.map((xi) => xi.pow(2))).mul(-1 / (2 * s * s)));
  return defineProblem({
    dim,
    domain: { lower: -1, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: u0(x) }),
    rhs: ({ u }) => ({ u: lap(u).mul(0.01) }),
  });
}

/** 1 + sin πx on [0, 1]: 1 on both faces, 2 at the centre. */
const lifted = (by: 'initial' | 'values') =>
  defineProblem({
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    ...(by === 'initial'
      ? { initial: ({ x }: { x: readonly Expr[] }) => ({ u: sin(x[0].mul(Math.PI)).add(1) }) }
      : {
          initialValues: (x: Float64Array, n: number) =>
            Float64Array.from({ length: n }, (_, i) => 1 + Math.sin(Math.PI * x[i])),
        }),
    rhs: ({ u }) => ({ u: lap(u) }),
  });

describe('dirichletFaceValue', () => {
  it("finds u0's largest share on the faces: a 2D Gaussian's e^{−1/(2s²)} at the middle of a face", () => {
    const f = dirichletFaceValue(gaussian(0.4, 2));
    if (f === null) throw new Error('expected a face value');
    const exact = Math.exp(-1 / (2 * 0.4 * 0.4));
    // 256 points per face, the nearest to its middle within a few hundredths of it; the peak read
    // from 1,024 points in the box, the nearest to the centre within a few hundredths of it.
    expect(f.share).toBeGreaterThan(0.95 * exact);
    expect(f.share).toBeLessThan(1.05 * exact);
    expect(Math.abs(f.point[f.axis])).toBe(1);
    expect(f.value).toBeCloseTo(Math.exp(-(f.point[0] ** 2 + f.point[1] ** 2) / (2 * 0.4 * 0.4)), 12);
  });

  it('reads the Dirichlet axes alone, and none without one', () => {
    // cos 2πx sin πy on [0, 1]²: 1 on the faces of x (periodic), 0 on those of y (walls).
    const channel = defineProblem({
      dim: 2,
      domain: { lower: 0, upper: 1 },
      boundary: ['periodic', 'dirichlet'],
      fields: ['u'],
      initial: ({ x }) => ({ u: cos(x[0].mul(2 * Math.PI)).mul(sin(x[1].mul(Math.PI))) }),
      rhs: ({ u }) => ({ u: lap(u).mul(0.01) }),
    });
    expect(dirichletFaceValue(channel)?.share ?? 0).toBeLessThan(1e-12);
    expect(dirichletFaceValue(gaussian(0.4, 2, 'none'))).toBeNull();
    expect(dirichletFaceValue(problems.heat({ dim: 3 }))?.share ?? 0).toBeLessThan(1e-12);
  });
});

describe('a u0 far from zero on a Dirichlet face', () => {
  it('is refused when the options resolve, naming the field, the face and the share', () => {
    const e = specError(() => new NeuralIVP({ problem: lifted('initial'), device: testDevice }));
    expect(e.path).toBe('problem.initial.u');
    expect(e.detail).toMatch(/zero on the faces of x\[0\]/);
    expect(e.detail).toMatch(/u0 = 1 at x = \((0|1)\) \(the face x\[0\] = (0|1)\), 50 % of its largest value/);
    expect(e.detail).toMatch(/boundary 'none'/);
    // 1 + sin πx does not repeat across its faces (its slope flips): no 'periodic' hint.
    expect(e.detail).not.toMatch(/'periodic'/);
    // cos 2πx on [0, 1] does: 'periodic' is named first.
    const repeating = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initial: ({ x }) => ({ u: cos(x[0].mul(2 * Math.PI)) }),
      rhs: ({ u }) => ({ u: lap(u).mul(0.1) }),
    });
    expect(specError(() => resolveOptions({ problem: repeating })).detail).toMatch(
      /no fit can hold it there\. u0 repeats across the faces of x\[0\]: for a solution that repeats with the domain, boundary 'periodic' along it\. For boundary values/,
    );
    const byValues = specError(() => resolveOptions({ problem: lifted('values') }));
    expect(byValues.path).toBe('problem.initialValues');
    expect(byValues.detail).toMatch(/u0 \(field u\) = 1 /);
  });

  it('is refused above DIRICHLET_REFUSED_SHARE and not below it', () => {
    // Face shares e^{−1/(2s²)}: 0.5 → 14 %, 0.4 → 4.4 %.
    expect(Math.exp(-1 / (2 * 0.5 * 0.5))).toBeGreaterThan(DIRICHLET_REFUSED_SHARE);
    expect(specError(() => resolveOptions({ problem: gaussian(0.5, 2) })).path).toBe('problem.initial.u');
    expect(resolveOptions({ problem: gaussian(0.4, 2) }).problem.boundary).toBe('dirichlet');
    // The catalogue's Dirichlet problems resolve (the wave packet is 2.9 % of its peak on a face).
    for (const problem of [problems.wavePacket(), problems.vlasov(), problems.fokkerPlanck(), problems.wave()])
      expect(() => resolveOptions({ problem })).not.toThrow();
  });

  it('is named first by a fit that misses its tolerance, with its share', async () => {
    // 1D, 4.4 % on the faces (s = 0.4): a two-second fit misses 1e-5.
    const share = Math.exp(-1 / (2 * 0.4 * 0.4));
    expect(share).toBeGreaterThan(DIRICHLET_NOTED_SHARE);
    const ivp = new NeuralIVP({ problem: gaussian(0.4, 1), device: testDevice, fit: { maxSeconds: 2 } });
    const fit = await ivp.fit();
    expect(fit.relativeError).toBeGreaterThan(1e-5);
    expect(fit.advice[0].option).toBe('problem.boundary');
    expect(fit.advice[0].reason).toMatch(
      /4\.[3-5]\d? % of its largest value, where boundary 'dirichlet' makes the network zero/,
    );
    // The same u0 with its faces clear of it (a narrower Gaussian, e^{−12.5} on them) is not named.
    const clear = new NeuralIVP({
      problem: gaussian(0.2, 1),
      device: testDevice,
      fit: { maxSeconds: 0.5, tol: 1e-12 },
    });
    const missed = await clear.fit();
    expect(missed.relativeError).toBeGreaterThan(1e-12);
    expect(missed.advice.map((a) => a.option)).not.toContain('problem.boundary');
  });
});
