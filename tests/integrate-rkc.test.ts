import { describe, expect, it } from 'vitest';
import {
  arrayOps,
  checkTableau,
  constantController,
  integrate,
  MAX_RKC_STAGES,
  type OdeSystem,
  rk45,
  rkc,
  rkcStages,
  rkcTableau,
  rkStep,
  spectralRadius,
} from '../ts/integrate';

const linear = (rates: readonly number[], forcing = false): OdeSystem<Float64Array> => ({
  derivative: async (t, y) => y.map((v, i) => -rates[i] * v + (forcing && i === rates.length - 1 ? Math.cos(t) : 0)),
});
/** y′ = cos(t)·y: y = exp(sin t). */
const expSin: OdeSystem<Float64Array> = { derivative: async (t, y) => Float64Array.of(Math.cos(t) * y[0]) };

describe('rkcTableau: the s-stage RKC2 member as a tableau', () => {
  it('is a consistent FSAL tableau for every stage count', () => {
    for (let s = 2; s <= MAX_RKC_STAGES; s++) expect(() => checkTableau(rkcTableau(s))).not.toThrow();
    expect(() => rkcTableau(1)).toThrow(RangeError);
  });

  it('is stable on [−β(s), 0] with β(s) → 0.653·s², damped away from 0', async () => {
    for (const s of [2, 3, 5, 10, 30]) {
      const tableau = rkcTableau(s);
      const beta = tableau.stabilityLimit as number;
      const R = async (z: number) => (await rkStep(tableau, linear([-z]), arrayOps, 0, Float64Array.of(1), 1)).y1[0];
      let worst = 0;
      for (let k = 1; k <= 200; k++) worst = Math.max(worst, Math.abs(await R((-beta * k) / 200)));
      expect(worst).toBeLessThanOrEqual(1);
      // R(z) = 1 + z + z²/2 + O(z³) near 0: second order on the linear test equation.
      const z = -1e-3;
      expect(Math.abs((await R(z)) - (1 + z + (z * z) / 2))).toBeLessThan(1e-9);
      if (s >= 10) expect(beta / (s * s)).toBeGreaterThan(0.64);
    }
    expect(rkcTableau(30).stabilityLimit as number).toBeCloseTo(0.653 * 900, -1);
  });

  it('converges at second order with fixed steps, and its error estimate falls as h³', async () => {
    for (const s of [3, 10]) {
      const tableau = rkcTableau(s);
      const run = async (h: number) => {
        const r = await integrate({
          tableau,
          system: expSin,
          ops: arrayOps,
          y0: Float64Array.of(1),
          T: 1,
          rtol: 1,
          firstStep: h,
          controller: constantController(),
        });
        return Math.abs(r.y[0] - Math.exp(Math.sin(1)));
      };
      const ratio = (await run(0.05)) / (await run(0.025));
      expect(ratio).toBeGreaterThan(3.5);
      expect(ratio).toBeLessThan(4.5);
      const estimate = async (h: number) =>
        (await rkStep(tableau, expSin, arrayOps, 0.3, Float64Array.of(1), h)).errNorm;
      const fall = (await estimate(0.02)) / (await estimate(0.01));
      expect(fall).toBeGreaterThan(7);
      expect(fall).toBeLessThan(9);
    }
  });

  it('takes the fewest stages whose interval holds 1.2·h·ρ', () => {
    for (const hRho of [0, 1, 10, 100, 1000]) {
      const s = rkcStages(hRho);
      expect(rkcTableau(s).stabilityLimit as number).toBeGreaterThanOrEqual(1.2 * hRho);
      if (s > 2) expect(rkcTableau(s - 1).stabilityLimit as number).toBeLessThan(1.2 * hRho * 1.15);
    }
    expect(rkcStages(1e9)).toBe(MAX_RKC_STAGES);
  });
});

describe('spectralRadius: power iteration on f', () => {
  it("finds a linear system's largest rate from f(y)'s direction, within 1 %, in a few evaluations", async () => {
    const rates = [1000, 300, 1];
    const y = Float64Array.of(1, 2, 3);
    const sys = linear(rates);
    const fy = await sys.derivative(0, y);
    const est = await spectralRadius(sys, arrayOps, 0, y, fy, undefined, () => {});
    expect(Math.abs(est.rho / 1000 - 1)).toBeLessThan(0.01);
    expect(est.evaluations).toBeLessThanOrEqual(10);
    // Restarted from its own direction it settles at once.
    const again = await spectralRadius(sys, arrayOps, 0, y, fy, est.direction, () => {});
    expect(again.evaluations).toBeLessThanOrEqual(2);
    expect(Math.abs(again.rho / 1000 - 1)).toBeLessThan(0.01);
    expect(est.decay).toBeGreaterThan(0.99); // a real negative rate
  });

  it('tells a decay from an oscillation and a growth by the angle between d and f’s change along it', async () => {
    const y = Float64Array.of(1, 2, 3);
    const rate = async (f: (y: Float64Array) => Float64Array) => {
      const sys: OdeSystem<Float64Array> = { derivative: async (_t, v) => f(v) };
      return spectralRadius(sys, arrayOps, 0, y, f(y), undefined, () => {});
    };
    // y′ = ω·(−y₂, y₁, 0) − 0.1·y: eigenvalues ±50i − 0.1 and −0.1.
    const wave = await rate((v) => Float64Array.of(-50 * v[1] - 0.1 * v[0], 50 * v[0] - 0.1 * v[1], -0.1 * v[2]));
    expect(Math.abs(wave.rho / Math.hypot(50, 0.1) - 1)).toBeLessThan(0.01);
    expect(Math.abs(wave.decay)).toBeLessThan(0.01);
    const growth = await rate((v) => v.map((x, i) => (i === 0 ? 200 * x : -x)));
    expect(growth.decay).toBeLessThan(-0.99);
  });
});

describe('integrate with rkc', () => {
  it('steps past RK45’s stability limit on a stiff linear system at the same accuracy, in a tenth of the evaluations', async () => {
    // y′ = −diag(1000, 300, 1)·y + (0, 0, cos t): y₃ = (cos t + sin t)/2 + e^{−t}/2.
    const run = async (tableau: typeof rk45 | typeof rkc) =>
      integrate({
        tableau,
        system: linear([1000, 300, 1], true),
        ops: arrayOps,
        y0: Float64Array.of(1, 1, 1),
        T: 2,
        rtol: 1e-4,
      });
    const exact = (Math.cos(2) + Math.sin(2)) / 2 + Math.exp(-2) / 2;
    const [a, b] = [await run(rk45), await run(rkc)];
    expect(b.stats.derivativeEvaluations).toBeLessThan(a.stats.derivativeEvaluations / 5);
    expect(Math.abs(b.y[2] - exact)).toBeLessThan(1e-3);
    expect(Math.abs(b.y[0]) + Math.abs(b.y[1])).toBeLessThan(1e-6); // the fast modes decayed, no blow-up
    // Each step records h·ρ, ρ the estimate (1000) it chose its stages by, far past RK45's 3.3.
    const late = b.steps.filter((s) => s.accepted && s.t > 0.5);
    for (const s of late) expect((s.stiffness as number) / s.h).toBeCloseTo(1000, -1);
    expect(Math.max(...late.map((s) => s.stiffness as number))).toBeGreaterThan(30);
  });
});
