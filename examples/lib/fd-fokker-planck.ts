// A finite-difference reference for the Fokker–Planck equation without interaction,
// u_t = DΔu − ∇·((a − x)u) on [−1, 1]^d with zero Dirichlet values and u0 = (3/4)^d Π(1 − x_i²).
// With α = 0 the drift acts on each axis alone and u0 is a product, so u(x, t) = Π u1(x_i, t) with
// u1 the 1D solution from u1(x, 0) = (3/4)(1 − x²): one fine 1D grid gives the d-dimensional truth.
// u1 comes from the conservative central scheme (second order in space) stepped by forward Euler at
// a fifth of the diffusive limit, so halving the cells also quarters the step.

export interface FdFokkerPlanckOptions {
  /** Cells on [−1, 1]. */
  readonly cells: number;
  /** Diffusion constant D. */
  readonly diffusion: number;
  /** The trap centre a (the same on every axis). */
  readonly centre: number;
  /** Increasing times ≥ 0 at which to keep u1. */
  readonly saveAt: readonly number[];
  /** u1 at t = 0 (default the catalogue's (3/4)(1 − x²)); the faces are set to 0. */
  readonly initial?: (x: number) => number;
}

export interface FdFokkerPlanck1D {
  readonly cells: number;
  readonly times: readonly number[];
  /** u1 on the cells + 1 nodes at each saved time. */
  readonly states: readonly Float64Array[];
  /** u1(x) at saved time index k, by linear interpolation between nodes. */
  at(k: number, x: number): number;
  /** Π u1(x_i) at saved time index k for one point of any dimension. */
  product(k: number, point: ArrayLike<number>): number;
  /** `product` at saved time index k for each row of `points` (n×dim, row-major). */
  products(k: number, points: Float64Array, dim: number): Float64Array;
}

export function solveFokkerPlanck1D(options: FdFokkerPlanckOptions): FdFokkerPlanck1D {
  const { cells, diffusion, centre, saveAt, initial = (xi: number) => 0.75 * (1 - xi * xi) } = options;
  if (!(Number.isInteger(cells) && cells >= 4)) throw new RangeError(`cells must be an integer ≥ 4, got ${cells}`);
  if (!(diffusion > 0)) throw new RangeError(`diffusion must be positive, got ${diffusion}`);
  const dx = 2 / cells;
  const x = Float64Array.from({ length: cells + 1 }, (_, i) => -1 + i * dx);
  const u = x.map(initial);
  u[0] = 0;
  u[cells] = 0;
  const next = new Float64Array(cells + 1);
  const stable = (0.2 * dx * dx) / diffusion;
  const states: Float64Array[] = [];
  let t = 0;
  for (const target of saveAt) {
    if (!(target >= t)) throw new RangeError('saveAt must be increasing and ≥ 0');
    while (t < target) {
      const h = Math.min(stable, target - t);
      for (let i = 1; i < cells; i++) {
        const flux = (centre - x[i + 1]) * u[i + 1] - (centre - x[i - 1]) * u[i - 1];
        const curvature = u[i + 1] - 2 * u[i] + u[i - 1];
        next[i] = u[i] + h * ((diffusion * curvature) / (dx * dx) - flux / (2 * dx));
      }
      u.set(next.subarray(1, cells), 1);
      t = target - t <= stable ? target : t + h;
    }
    states.push(u.slice());
  }
  const at = (k: number, xq: number): number => {
    const s = Math.min(cells, Math.max(0, (xq + 1) / dx));
    const i = Math.min(cells - 1, Math.floor(s));
    const w = s - i;
    return (1 - w) * states[k][i] + w * states[k][i + 1];
  };
  const product = (k: number, point: ArrayLike<number>): number => {
    let value = 1;
    for (let i = 0; i < point.length; i++) value *= at(k, point[i]);
    return value;
  };
  const products = (k: number, points: Float64Array, dim: number): Float64Array =>
    Float64Array.from({ length: points.length / dim }, (_, i) => product(k, points.subarray(i * dim, (i + 1) * dim)));
  return { cells, times: [...saveAt], states, at, product, products };
}
