// The fit's error judges each field against its own size: a field a thousandth of another's is
// reported (and fitted) by its own relative error, which an independent measurement on fresh
// points checks against the closed form.
import { describe, expect, it } from 'vitest';
import { defineProblem } from '../ts/problem/define';
import { ops } from '../ts/problem/ops';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { testDevice } from './helpers/device';
import { uniform } from './helpers/random';

const PI = Math.PI;
const { sin, lap } = ops;
const SMALL = 1e-3;

/** Two uncoupled heat modes on [0, 1]², v a thousandth of u and finer. */
function twoSizes() {
  return defineProblem({
    name: 'two-sizes',
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u', 'v'],
    initial: ({ x }) => ({
      u: sin(x[0].mul(PI)).mul(sin(x[1].mul(PI))),
      v: sin(x[0].mul(2 * PI))
        .mul(sin(x[1].mul(3 * PI)))
        .mul(SMALL),
    }),
    rhs: ({ u, v }) => ({ u: lap(u).mul(0.05), v: lap(v).mul(0.05) }),
  });
}

/** Each field's ‖u_a − u0_a‖/‖u0_a‖ at t = 0 on n fresh uniform points. */
function ownErrors(values: Float64Array, points: Float64Array, n: number): [number, number] {
  let [eu, nu, ev, nv] = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [x, y] = [points[2 * i], points[2 * i + 1]];
    const u = Math.sin(PI * x) * Math.sin(PI * y);
    const v = SMALL * Math.sin(2 * PI * x) * Math.sin(3 * PI * y);
    eu += (values[2 * i] - u) ** 2;
    nu += u * u;
    ev += (values[2 * i + 1] - v) ** 2;
    nv += v * v;
  }
  return [Math.sqrt(eu / nu), Math.sqrt(ev / nv)];
}

describe('the fit error of fields of different sizes (native)', () => {
  it("stops on the small field's own error and reports it", async () => {
    const ivp = new NeuralIVP({
      problem: twoSizes(),
      device: testDevice,
      restarts: false,
      network: { width: 24, depth: 2 },
      // No time budget, so that the figures do not depend on the machine.
      fit: { maxIterations: 200, maxSeconds: null, tol: 1e-3 },
      seed: 3,
    });
    const fit = await ivp.fit();
    // θ0 as the solution at t = 0 of a run one tiny step long.
    const solution = await ivp.evolve(1e-9);
    const n = 20_000;
    const points = uniform(2 * n, 0, 1, 11);
    const [u, v] = ownErrors(solution.evaluate(points, 0), points, n);
    const worst = Math.max(u, v);
    expect(fit.stopped).toBe('tol');
    // The held-out estimate and this one draw different points: a few per cent apart.
    expect(fit.relativeError).toBeGreaterThan(0.7 * worst);
    expect(fit.relativeError).toBeLessThan(1.4 * worst);
    // Pooled, v weighs a millionth of u: such a fit stops once u meets the tolerance, v at ~1e-1.
    expect(v).toBeLessThan(1.5e-3);
    expect(u).toBeLessThan(1e-3);
  }, 300_000);
});
