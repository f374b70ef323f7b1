// A 2D Gaussian bump far narrower than the shape estimate's pilot spacing, for the defaults that
// read u0's size: no pilot point is near its top.
import { defineProblem, ops } from '../../ts/problem';
import type { Problem } from '../../ts/problem/define';

/** height·e^{−|x − (0.123, −0.321)|²/(2·0.01²)} + background on [−1, 1]², boundary 'none'. */
export function narrowBump(height: number, background = 0): Problem {
  const s = 0.01;
  return defineProblem({
    dim: 2,
    domain: { lower: -1, upper: 1 },
    boundary: 'none',
    fields: ['u'],
    initial: ({ x }) => ({
      u: ops
        .exp(
          x[0]
            .sub(0.123)
            .pow(2)
            .add(x[1].add(0.321).pow(2))
            .mul(-1 / (2 * s * s)),
        )
        .mul(height)
        .add(background),
    }),
    rhs: ({ u }) => ({ u: ops.lap(u).mul(1e-3) }),
  });
}
