// Two closed-form problems whose solutions repeat with the box, for any boundary: the example
// examples/periodic-boundary.ts compares 'periodic' with 'none' on them, and
// tests/solver-periodic.test.ts runs them small.
import { type Boundary, defineProblem, type Expr, ops, type Problem } from '../../ts/index';

const { sin, cos, exp, lap, d } = ops;
const tau = 2 * Math.PI;

/** u_t = Δu on [0, 1]² from sin 2πx cos 2πy: u = e^{−8π²t} sin 2πx cos 2πy; one e-fold at T = 1/(8π²). */
export function periodicHeat(boundary: Boundary = 'periodic'): Problem {
  const mode = (x: readonly Expr[]) => sin(x[0].mul(tau)).mul(cos(x[1].mul(tau)));
  return defineProblem({
    name: `heat-${boundary}`,
    dim: 2,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: mode(x) }),
    rhs: ({ u }) => ({ u: lap(u) }),
    exact: ({ x, t }) => ({ u: mode(x).mul(exp(t.mul(-2 * tau * tau))) }),
  });
}

/** u_t = −u_x on [0, 1] from e^{sin 2πx}: u = e^{sin 2π(x − t)}, the start again at t = 1. */
export function periodicAdvection(boundary: Boundary = 'periodic'): Problem {
  return defineProblem({
    name: `advection-${boundary}`,
    dim: 1,
    domain: { lower: 0, upper: 1 },
    boundary,
    fields: ['u'],
    initial: ({ x }) => ({ u: exp(sin(x[0].mul(tau))) }),
    rhs: ({ u }) => ({ u: d(u, 0).mul(-1) }),
    exact: ({ x, t }) => ({ u: exp(sin(x[0].sub(t).mul(tau))) }),
  });
}
