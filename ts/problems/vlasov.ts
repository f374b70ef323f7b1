import { defineProblem, type Problem } from '../problem/define';
import { ops } from '../problem/ops';
import { expectFinite, expectPositive } from '../problem/validate';
import { readOptions } from './common';

/** Options of `problems.vlasov`: the 6D Vlasov equation. */
export interface VlasovOptions {
  /** Standard deviation of the Gaussians in x and v (default 0.3). */
  sigma?: number;
  /** Particle charge q (default 1). */
  charge?: number;
  /** Particle mass m (default 1). */
  mass?: number;
  /** The problem's name in reports (default 'vlasov-6d'). */
  name?: string;
}

/**
 * The Vlasov equation of the paper's appendix B.2 in 6 dimensions, z = (x, v) with x = z_0..z_2
 * and v = z_3..z_5: u_t = -v·∇_x u - (q/m) E(x)·∇_v u with the fixed field
 * E(x) = ∇_x exp(-|x|²) (built with `diff`), u0 = N(x; 0, σ²I) N(v; 0, σ²I) on [-1,1]^6 with
 * Dirichlet data.
 */
export function vlasov(options: VlasovOptions = {}): Problem {
  const o = readOptions(options, ['sigma', 'charge', 'mass']);
  const sigma = o.get('sigma', 0.3, expectPositive);
  const charge = o.get('charge', 1, expectFinite);
  const mass = o.get('mass', 1, expectPositive);
  const qm = charge / mass;
  const norm = (2 * Math.PI * sigma * sigma) ** -3; // two 3-D normal densities
  return defineProblem({
    name: o.name('vlasov-6d'),
    dim: 6,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['u'],
    initial: ({ x }) => ({
      u: ops.exp(ops.sum(x.map((z) => z.pow(2))).mul(-1 / (2 * sigma * sigma))).mul(norm),
    }),
    rhs: ({ u, x }) => {
      const position = x.slice(0, 3);
      const velocity = x.slice(3, 6);
      const potential = ops.exp(ops.sum(position.map((xi) => xi.pow(2))).neg());
      const E = [0, 1, 2].map((i) => ops.diff(potential, i));
      const transport = ops.dot(
        velocity,
        [0, 1, 2].map((i) => ops.d(u, i)),
      );
      const force = ops.dot(
        E,
        [3, 4, 5].map((i) => ops.d(u, i)),
      );
      return { u: transport.add(force.mul(qm)).neg() };
    },
    params: { sigma, charge, mass },
  });
}
