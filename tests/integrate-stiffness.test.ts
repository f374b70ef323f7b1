import { describe, expect, it } from 'vitest';
import {
  arrayOps,
  checkTableau,
  integrate,
  type OdeSystem,
  rk23,
  rk45,
  rkStep,
  STIFF_STEPS,
  StiffnessWatch,
} from '../ts/integrate';

const linear = (rates: readonly number[]): OdeSystem<Float64Array> => ({
  derivative: async (_t, y) => y.map((v, i) => -rates[i] * v),
});

/** R(z), the method's stability function: one step of y' = z·y from y = 1 with h = 1. */
async function stability(z: number, tableau = rk45): Promise<number> {
  const r = await rkStep(tableau, linear([-z]), arrayOps, 0, Float64Array.of(1), 1);
  return r.y1[0];
}

describe('stiffness estimate', () => {
  it('is h·λ exactly on y′ = −λy (the stages differ by −λ times their inputs), and absent for rk23', async () => {
    for (const [lambda, h] of [
      [50, 0.01],
      [2, 0.3],
      [1000, 3e-3],
    ]) {
      const r = await rkStep(rk45, linear([lambda]), arrayOps, 0, Float64Array.of(1.5), h);
      expect(r.stiffness as number).toBeCloseTo(h * lambda, 12);
    }
    const r23 = await rkStep(rk23, linear([50]), arrayOps, 0, Float64Array.of(1), 0.01);
    expect(r23.stiffness).toBeUndefined();
  });

  it("puts each tableau's stabilityLimit where its stability function crosses |R| = 1 on the negative axis", async () => {
    for (const tableau of [rk23, rk45]) {
      const limit = tableau.stabilityLimit as number;
      expect(Math.abs(await stability(-0.99 * limit, tableau))).toBeLessThan(1);
      expect(Math.abs(await stability(-1.01 * limit, tableau))).toBeGreaterThan(1);
      expect(Math.abs(await stability(-0.5 * limit, tableau))).toBeLessThan(1);
    }
  });

  it('reads a stiff linear system as held at the limit, with ρ its fastest rate, and a smooth one as not', async () => {
    const run = async (rates: number[], T: number) => {
      const watch = new StiffnessWatch(rk45.stabilityLimit as number);
      let saidAt = -1;
      const r = await integrate({
        tableau: rk45,
        system: linear(rates),
        ops: arrayOps,
        y0: Float64Array.from(rates, () => 1),
        T,
        rtol: 1e-6,
        onStep: (s) => {
          if (s.accepted && watch.observe(s.stiffness) && saidAt < 0) saidAt = s.t;
        },
      });
      return { steps: r.steps.filter((s) => s.accepted), saidAt };
    };
    // λ = 1000 against a component of rate 1: after the fast transient, h is held near 3.3/1000.
    const stiff = await run([1000, 1], 1);
    const late = stiff.steps.filter((s) => s.t > 0.05);
    const rates = late.map((s) => (s.stiffness as number) / s.h);
    const median = rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)];
    expect(median / 1000).toBeGreaterThan(0.95);
    expect(median / 1000).toBeLessThan(1.0000001);
    expect(late.length).toBeGreaterThan(200); // T·λ/3.3 ≈ 300, whatever rtol
    expect(stiff.saidAt).toBeGreaterThan(0);
    // The same system without the fast rate: accuracy holds h, the estimate stays far below the limit.
    const smooth = await run([1, 0.5], 1);
    expect(smooth.saidAt).toBe(-1);
    expect(Math.max(...smooth.steps.map((s) => s.stiffness as number))).toBeLessThan(1);
  });
});

describe('StiffnessWatch', () => {
  it(`says so once, on the ${STIFF_STEPS}th step at the limit; six calm steps in a row clear the count`, () => {
    const watch = new StiffnessWatch(3.3);
    const said: number[] = [];
    const feed = (values: number[]) => {
      for (const v of values) if (watch.observe(v)) said.push(v);
    };
    feed(Array(STIFF_STEPS - 1).fill(3.3));
    feed([1, 1, 1, 1, 1, 1]); // clears
    feed(Array(STIFF_STEPS - 1).fill(3.25));
    expect(said).toEqual([]);
    feed([1, 1, 1, 1, 1]); // five calm steps do not clear
    feed([Number.NaN, 3.4]);
    expect(said).toEqual([3.4]);
    feed(Array(2 * STIFF_STEPS).fill(3.3));
    expect(said).toEqual([3.4]);
    expect(new StiffnessWatch(3.3).observe(undefined)).toBe(false);
  });

  it('checkTableau rejects stiffness stages at different times', () => {
    expect(() => checkTableau({ ...rk45, stiffnessStages: [4, 6] })).toThrow(/stiffnessStages/);
    expect(() => checkTableau({ ...rk45, stiffnessStages: [6, 5] })).toThrow(/stiffnessStages/);
  });
});
