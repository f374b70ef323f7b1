import { SpecError } from '../errors';
import { defineProblem, type Problem } from '../problem/define';
import type { Expr } from '../problem/expr';
import { ops } from '../problem/ops';
import { expectFinite, expectPositive } from '../problem/validate';
import { readOptions, squaredDistance, vectorOf, vectorParams } from './common';

/** Options of `problems.waveMaps`: a wave map on a Schwarzschild background. */
export interface WaveMapsOptions {
  /** Black-hole mass M; r_s = 2M (default 1/2, so r_s = 1). */
  mass?: number;
  /** Black-hole position c (default (-2, 0, 0)). */
  center?: number[];
  /** The initial Gaussian packet's amplitude (default 1). */
  amplitude?: number;
  /** The packet's width (default 0.15). */
  width?: number;
  /** The packet's centre (default the origin). */
  packetCenter?: number[];
  /** The problem's name in reports (default 'wave-maps-schwarzschild'). */
  name?: string;
}

/** The metric and its inverse as 4×4 arrays of expressions; index 0 is t, 1..3 are x[0..2]. */
export interface SchwarzschildMetric {
  g: Expr[][];
  ginv: Expr[][];
}

/**
 * The Schwarzschild metric of section 5 in Cartesian-like coordinates, hole at c, r_s = 2M:
 *   g_tt = -(1 - r_s/r_c),  g_ti = 0,  g_ij = δ_ij + (x_i - c_i)(x_j - c_j) / (r_c²(r_c/r_s - 1)),
 * r_c = |x - c|. With n = (x - c)/r_c the spatial block is I + β nnᵀ, β = r_s/(r_c - r_s), whose
 * inverse (Sherman–Morrison) is I - β/(1 + β) nnᵀ = I - (r_s/r_c) nnᵀ, since
 * β/(1 + β) = [r_s/(r_c - r_s)] / [r_c/(r_c - r_s)] = r_s/r_c. The metric is block diagonal, so
 * g^tt = 1/g_tt and g^ti = 0.
 */
export function schwarzschildMetric(x: readonly Expr[], mass: number, center: readonly number[]): SchwarzschildMetric {
  const rs = 2 * mass;
  const y = x.map((xi, i) => xi.sub(center[i]));
  const rc2 = squaredDistance(x, center);
  const rc = ops.sqrt(rc2);
  const gtt = ops.constant(rs).div(rc).sub(1);
  const beta = ops.constant(1).div(rc2.mul(rc.div(rs).sub(1)));
  const invCoef = ops.constant(rs).div(rc2.mul(rc)); // (r_s/r_c)/r_c²
  const zero = ops.constant(0);
  const g: Expr[][] = [[gtt, zero, zero, zero]];
  const ginv: Expr[][] = [[ops.constant(1).div(gtt), zero, zero, zero]];
  for (let i = 0; i < 3; i++) {
    g.push([
      zero,
      ...y.map((yj, j) =>
        y[i]
          .mul(yj)
          .mul(beta)
          .add(i === j ? 1 : 0),
      ),
    ]);
    ginv.push([zero, ...y.map((yj, j) => ops.constant(i === j ? 1 : 0).sub(y[i].mul(yj).mul(invCoef)))]);
  }
  return { g, ginv };
}

/**
 * Γ^σ_{μν} = ½ g^{σλ}(∂_μ g_{λν} + ∂_ν g_{λμ} - ∂_λ g_{μν}) for a static metric (∂_t = 0), with the
 * spatial derivatives taken by `diff`. Returned as gamma[σ][μ][ν].
 */
export function christoffel({ g, ginv }: SchwarzschildMetric): Expr[][][] {
  const zero = ops.constant(0);
  const partial = (e: Expr, mu: number): Expr => (mu === 0 ? zero : ops.diff(e, mu - 1));
  const idx = [0, 1, 2, 3];
  return idx.map((s) =>
    idx.map((mu) =>
      idx.map((nu) =>
        ops
          .sum(
            idx.map((l) => ginv[s][l].mul(partial(g[l][nu], mu).add(partial(g[l][mu], nu)).sub(partial(g[mu][nu], l)))),
          )
          .mul(0.5),
      ),
    ),
  );
}

/**
 * The wave maps equation of section 5 on a Schwarzschild background, as a first-order system in
 * (phi, psi = ∂_t φ) on [-1,1]^3 with Dirichlet data:
 *
 *   ☐_g φ = g^{μν}∂_μ∂_νφ - g^{μν}Γ^σ_{μν}∂_σφ = 0.
 *
 * With g^{ti} = 0 the first term is g^{tt}φ_tt + g^{ij}∂_i∂_jφ. Write C^σ = g^{μν}Γ^σ_{μν}, so
 *   φ_tt = (C^σ ∂_σφ - g^{ij}∂_i∂_jφ) / g^{tt},  ∂_tφ = psi, ∂_iφ = d(phi, i).
 * For this static, block-diagonal metric Γ^t_{tt} = ½g^{tt}∂_t g_tt = 0 and
 * Γ^t_{ij} = ½g^{tt}(∂_i g_{tj} + ∂_j g_{ti} - ∂_t g_ij) = 0; Γ^t_{ti} = ½g^{tt}∂_i g_tt ≠ 0 but it
 * meets g^{ti} = 0. So C^t = 0 and psi does not enter ∂_t psi: the code still forms C^t from the
 * general formula and the simplifier folds it to the constant 0. What remains is
 * C^k = g^{tt}Γ^k_{tt} + g^{ij}Γ^k_{ij}, with Γ^k_{tt} = -½ g^{kl}∂_l g_tt.
 *
 * Dividing by g^{tt} is multiplying by g_tt = 1/g^{tt}, which is what the code does.
 *
 * The horizon r_c = r_s must stay outside the open box; the paper's default (M = 1/2, c = -2x̂)
 * touches the box only at the point (-1, 0, 0), the centre of the face x_0 = -1, where the metric
 * is singular.
 */
export function waveMaps(options: WaveMapsOptions = {}): Problem {
  const o = readOptions(options, ['mass', 'center', 'amplitude', 'width', 'packetCenter']);
  const mass = o.get('mass', 0.5, expectPositive);
  const center = o.get('center', [-2, 0, 0], vectorOf(3));
  const amplitude = o.get('amplitude', 1, expectFinite);
  const width = o.get('width', 0.15, expectPositive);
  const packetCenter = o.get('packetCenter', [0, 0, 0], vectorOf(3));
  const rs = 2 * mass;
  const distanceToBox = Math.hypot(...center.map((c) => Math.max(0, Math.abs(c) - 1)));
  if (distanceToBox < rs) {
    throw new SpecError(
      'center',
      `the event horizon (r_s = 2M = ${rs}) around (${center.join(', ')}) reaches into the domain [-1,1]^3`,
    );
  }
  return defineProblem({
    name: o.name('wave-maps-schwarzschild'),
    dim: 3,
    domain: { lower: -1, upper: 1 },
    boundary: 'dirichlet',
    fields: ['phi', 'psi'],
    initial: ({ x }) => ({
      phi: ops.exp(squaredDistance(x, packetCenter).mul(-1 / (2 * width * width))).mul(amplitude),
      psi: 0,
    }),
    rhs: ({ phi, psi, x }) => {
      const metric = schwarzschildMetric(x, mass, center);
      const gamma = christoffel(metric);
      const { ginv } = metric;
      const idx = [0, 1, 2, 3];
      const dphi = [psi, ...[0, 1, 2].map((i) => ops.d(phi, i))];
      const contracted = idx.map((s) =>
        ops.sum(idx.flatMap((mu) => idx.map((nu) => ginv[mu][nu].mul(gamma[s][mu][nu])))),
      );
      const spatial = ops.sum(
        [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => ginv[i + 1][j + 1].mul(ops.d2(phi, i, j)))),
      );
      const connection = ops.dot(contracted, dphi);
      return { phi: psi, psi: connection.sub(spatial).mul(metric.g[0][0]) };
    },
    params: {
      mass,
      ...vectorParams('center', center),
      amplitude,
      width,
      ...vectorParams('packetCenter', packetCenter),
    },
  });
}
