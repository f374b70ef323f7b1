import { describe, expect, it } from 'vitest';
import {
  adaptiveController,
  arrayOps,
  type ButcherTableau,
  checkTableau,
  constantController,
  integrate,
  type OdeSystem,
  rk23,
  rk45,
  rkStep,
  StepFailure,
  tableaus,
} from '../ts/integrate';

const system = (f: (t: number, y: Float64Array) => Float64Array): OdeSystem<Float64Array> => ({
  derivative: async (t, y) => f(t, y),
});

/** y' = cos(t)·y, y(0) = 1: y = exp(sin t) (nonlinear in t, no error cancellation). */
const expSin = system((t, y) => Float64Array.of(Math.cos(t) * y[0]));
/** y' = A y with A the rotation generator of rate ω = 3: y = (cos 3t, sin 3t) from (1, 0). */
const rotation = system((_t, y) => Float64Array.of(-3 * y[1], 3 * y[0]));

async function fixedStepError(
  tableau: ButcherTableau,
  sys: OdeSystem<Float64Array>,
  y0: number[],
  T: number,
  h: number,
  exact: number[],
): Promise<number> {
  const r = await integrate({
    tableau,
    system: sys,
    ops: arrayOps,
    y0: Float64Array.from(y0),
    T,
    rtol: 1,
    firstStep: h,
    controller: constantController(),
  });
  expect(r.stats.steps).toBe(Math.round(T / h));
  return Math.hypot(...exact.map((e, i) => r.y[i] - e));
}

describe('tableaus', () => {
  it('are consistent (row sums, weights, FSAL structure) and have the documented orders', () => {
    for (const t of [rk23, rk45]) expect(() => checkTableau(t)).not.toThrow();
    expect([rk23.order, rk23.errorOrder, rk23.c.length, rk23.fsal]).toEqual([3, 2, 4, true]);
    expect([rk45.order, rk45.errorOrder, rk45.c.length, rk45.fsal]).toEqual([5, 4, 7, true]);
    expect(tableaus.rk23).toBe(rk23);
    expect(tableaus.rk45).toBe(rk45);
    expect(Object.isFrozen(rk45.a[3])).toBe(true);
  });

  it('satisfy the order conditions up to their order (b and the embedded b̂ = b − bError)', () => {
    // Classical conditions through order 4 (order 5 for rk45 checked via the convergence test below).
    for (const t of [rk23, rk45]) {
      const s = t.c.length;
      const bHat = t.b.map((b, i) => b - t.bError[i]);
      const sum = (w: readonly number[], f: (i: number) => number) => w.reduce((acc, wi, i) => acc + wi * f(i), 0);
      const ac = (i: number) => t.a[i].reduce((acc, a, j) => acc + a * t.c[j], 0);
      const conds = (w: readonly number[], order: number) => {
        const out: [number, number][] = [[sum(w, () => 1), 1]];
        if (order >= 2) out.push([sum(w, (i) => t.c[i]), 1 / 2]);
        if (order >= 3) out.push([sum(w, (i) => t.c[i] ** 2), 1 / 3], [sum(w, ac), 1 / 6]);
        if (order >= 4) {
          const aac = (i: number) => t.a[i].reduce((acc, a, j) => acc + a * ac(j), 0);
          out.push([sum(w, (i) => t.c[i] ** 3), 1 / 4], [sum(w, (i) => t.c[i] * ac(i)), 1 / 8]);
          out.push([sum(w, (i) => t.a[i].reduce((acc, a, j) => acc + a * t.c[j] ** 2, 0)), 1 / 12]);
          out.push([sum(w, aac), 1 / 24]);
        }
        return out;
      };
      for (const [got, want] of conds(t.b, Math.min(t.order, 4))) expect(got).toBeCloseTo(want, 13);
      for (const [got, want] of conds(bHat, t.errorOrder)) expect(got).toBeCloseTo(want, 13);
      expect(s).toBe(t.b.length);
    }
  });

  it('checkTableau rejects a broken tableau', () => {
    expect(() => checkTableau({ ...rk23, b: [1 / 3, 1 / 3, 1 / 3, 0.1] })).toThrow(/b sums/);
    expect(() => checkTableau({ ...rk23, c: [0, 0.4, 3 / 4, 1] })).toThrow(/row 1/);
  });
});

describe('rkStep', () => {
  it('takes one step with the given tableau and reports the scaled error norm', async () => {
    const h = 0.1;
    const r = await rkStep(rk45, expSin, arrayOps, 0, Float64Array.of(1), h, { errorScale: 1e-6 });
    expect(r.y1[0]).toBeCloseTo(Math.exp(Math.sin(h)), 9);
    expect(r.errNorm).toBeCloseTo(Math.abs(r.err?.[0] ?? Number.NaN) / 1e-6, 12);
    expect(r.errNorm).toBeGreaterThan(0);
    // FSAL: the last stage is f(t + h, y1).
    expect(r.kLast[0]).toBeCloseTo(Math.cos(h) * r.y1[0], 15);
    expect(r.k1[0]).toBe(1);
  });

  it('reuses a given k1 and evaluates s − 1 new stages', async () => {
    let calls = 0;
    const sys = system((t, y) => {
      calls++;
      return Float64Array.of(Math.cos(t) * y[0]);
    });
    const first = await rkStep(rk23, sys, arrayOps, 0, Float64Array.of(1), 0.1);
    expect(calls).toBe(4);
    const k1 = first.kLast;
    await rkStep(rk23, sys, arrayOps, 0.1, first.y1, 0.1, { k1 });
    expect(calls).toBe(7);
  });

  it('fails with StepFailure on a non-finite stage, handing back a finite k1', async () => {
    let calls = 0;
    const sys = system((_t, y) => (++calls === 3 ? Float64Array.of(Number.NaN) : Float64Array.of(-y[0])));
    const e = await rkStep(rk45, sys, arrayOps, 0, Float64Array.of(1), 0.1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailure);
    const f = e as StepFailure<Float64Array>;
    expect([f.reason, f.stage, f.k1?.[0]]).toEqual(['nonfinite', 2, -1]);
    expect(calls).toBe(3); // stops at the first bad stage
  });

  it('fails with StepFailure when the derivative rejects', async () => {
    const sys: OdeSystem<Float64Array> = { derivative: () => Promise.reject(new Error('CG broke down')) };
    const e = await rkStep(rk23, sys, arrayOps, 0, Float64Array.of(1), 0.1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailure);
    expect((e as StepFailure).reason).toBe('derivative');
    expect(((e as StepFailure).cause as Error).message).toBe('CG broke down');
  });
});

describe('convergence order (fixed steps)', () => {
  const cases = [
    { name: 'exp(sin t)', sys: expSin, y0: [1], T: 2, exact: [Math.exp(Math.sin(2))] },
    { name: 'rotation', sys: rotation, y0: [1, 0], T: 1, exact: [Math.cos(3), Math.sin(3)] },
  ];
  for (const tableau of [rk23, rk45]) {
    for (const c of cases) {
      it(`${tableau.name} on ${c.name}: halving h divides the error by ≈ 2^${tableau.order}`, async () => {
        const errs: number[] = [];
        for (const h of [1 / 8, 1 / 16, 1 / 32]) errs.push(await fixedStepError(tableau, c.sys, c.y0, c.T, h, c.exact));
        for (let i = 1; i < errs.length; i++) {
          const observed = Math.log2(errs[i - 1] / errs[i]);
          expect(Math.abs(observed - tableau.order)).toBeLessThan(0.4);
        }
      });
    }
  }
});

describe('controllers', () => {
  it('accept iff errNorm ≤ 1 and scale h by safety·errNorm^(−1/(q+1)) within the clamps', () => {
    const c = adaptiveController(4);
    expect(c.decide(0.1, 1)).toEqual({ accept: true, hNext: 0.1 * 0.9 });
    const d = c.decide(0.1, 1e-3);
    expect(d.accept).toBe(true);
    expect(d.hNext).toBeCloseTo(0.1 * 0.9 * 1e-3 ** -0.2, 14);
    expect(c.decide(0.1, 0).hNext).toBeCloseTo(1, 14); // maxFactor 10
    const r = c.decide(0.1, 32);
    expect(r.accept).toBe(false);
    expect(r.hNext).toBeCloseTo(0.1 * 0.9 * 32 ** -0.2, 14);
    expect(c.decide(0.1, 1e12).hNext).toBeCloseTo(0.02, 14); // minFactor 0.2
    expect(adaptiveController(2).decide(1, 8).hNext).toBeCloseTo(0.9 / 2, 14); // 8^(−1/3)
  });

  it('PI variant remembers the previous accepted error', () => {
    const c = adaptiveController(4, { beta: 0.04 });
    const a = c.decide(1, 0.5).hNext;
    const b = c.decide(1, 0.5).hNext;
    expect(a).toBeCloseTo(0.9 * 0.5 ** -(0.2 - 0.03), 14);
    expect(b).toBeCloseTo(0.9 * 0.5 ** -(0.2 - 0.03) * 0.5 ** 0.04, 14);
  });

  it('reject bad parameters and the constant controller always accepts', () => {
    expect(() => adaptiveController(4, { safety: 2 })).toThrow(RangeError);
    expect(() => adaptiveController(0)).toThrow(RangeError);
    expect(constantController().decide(0.25, 1e9)).toEqual({ accept: true, hNext: 0.25 });
  });
});
