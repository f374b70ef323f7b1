// A right-hand side that reads no spatial derivative: each point's u follows its own ODE, so under
// boundary 'none' nothing crosses the faces and the network is fitted and evolved on the domain
// itself (margin 0), checked against the ODE's closed form.
import { describe, expect, it } from 'vitest';
import { defineProblem, type Expr, ops } from '../ts/problem';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { SMALL_RUN } from './helpers/small-run';

// Logistic growth at a rate that varies along x: u_t = r(x)·u(1 − u), r = 1 + x/2, whose solution
// is u0·e^{rt} / (1 − u0 + u0·e^{rt}) at each point.
const rate = (x: Expr) => x.mul(0.5).add(1);
const start = (x: Expr) => ops.sin(x.mul(Math.PI)).mul(0.05).add(0.1);
const logistic = defineProblem({
  name: 'logistic-1d',
  dim: 1,
  domain: { lower: -1, upper: 1 },
  boundary: 'none',
  fields: ['u'],
  initial: ({ x }) => ({ u: start(x[0]) }),
  rhs: ({ u, x }) => ({ u: u.mul(u.neg().add(1)).mul(rate(x[0])) }),
  exact: ({ x, t }) => {
    const grown = start(x[0]).mul(ops.exp(rate(x[0]).mul(t)));
    return { u: grown.div(start(x[0]).neg().add(1).add(grown)) };
  },
});

describe('a right-hand side with no spatial derivative', { timeout: 180_000 }, () => {
  it("is fitted and evolved on the domain alone under boundary 'none', and follows each point's ODE", async () => {
    const said: string[] = [];
    const ivp = new NeuralIVP({ problem: logistic, ...SMALL_RUN }, { warn: (w) => said.push(w.code) });
    expect(ivp.options.margin).toBe(0);
    const T = 2;
    const sol = await ivp.evolve(T, { saveAt: [0, 1, T] });
    // Not told to use 'periodic' (u0 repeats with the domain) nor to grow the margin.
    expect(said).not.toContain('NIVP_PERIODIC');
    expect(said).not.toContain('NIVP_MARGIN');
    expect(ivp.options.margin).toBe(0);
    // The closed form at x = 1 and T: u0 = 0.1, r = 1.5.
    const grown = 0.1 * Math.exp(1.5 * T);
    const atEdge = grown / (0.9 + grown);
    expect(Math.abs(sol.evaluate([[1]], T)[0] - atEdge)).toBeLessThan(2e-3 * atEdge);
    for (const t of sol.times) expect(await sol.error(t, 4000)).toBeLessThan(2e-3);
  });
});
