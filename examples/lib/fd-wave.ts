// A finite-difference solver of the 3D wave equation φ_tt = Δφ on [-1,1]³ with zero Dirichlet
// values, the comparison column of the paper's Figure 6: the second-order 7-point Laplacian on an
// N×N×N cell-vertex grid (spacing h = 2/N, (N−1)³ interior nodes), integrated as the first-order
// system (φ, ψ = φ_t) by this library's own adaptive Runge–Kutta engine over Float64Arrays.
// Values between nodes come from trilinear interpolation.
import { arrayOps, integrate, tableaus } from '../../ts/integrate/index';

export interface FdWaveOptions {
  /** Cells per axis N (the paper: 100). */
  readonly cells: number;
  /** Initial φ and ψ at n points (n×3 row-major). */
  readonly initial: (points: Float64Array) => readonly [ArrayLike<number>, ArrayLike<number>];
  readonly saveAt: readonly number[];
  /** RK45 relative tolerance (default 1e-4, the paper's). */
  readonly rtol?: number;
}

export interface FdWaveSolution {
  readonly cells: number;
  readonly times: readonly number[];
  /** At each saved time: φ then ψ on the interior nodes, x fastest. */
  readonly states: readonly Float64Array[];
  readonly steps: number;
  readonly seconds: number;
  /** φ and ψ at point (x, y, z) at saved time index k. */
  at(k: number, x: number, y: number, z: number): [number, number];
}

/** The 7-point Laplacian of `u` (interior nodes, m per axis, zero outside) into `out`. */
export function laplacian(u: Float64Array, m: number, h: number, out: Float64Array): void {
  const c = 1 / (h * h);
  const plane = m * m;
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < m; j++) {
      const row = k * plane + j * m;
      for (let i = 0; i < m; i++) {
        const p = row + i;
        const v = u[p];
        const sum =
          (i > 0 ? u[p - 1] : 0) +
          (i < m - 1 ? u[p + 1] : 0) +
          (j > 0 ? u[p - m] : 0) +
          (j < m - 1 ? u[p + m] : 0) +
          (k > 0 ? u[p - plane] : 0) +
          (k < m - 1 ? u[p + plane] : 0);
        out[p] = c * (sum - 6 * v);
      }
    }
  }
}

export async function solveWaveFd(options: FdWaveOptions): Promise<FdWaveSolution> {
  const N = options.cells;
  if (!(Number.isInteger(N) && N >= 4)) throw new RangeError(`cells must be an integer >= 4, got ${N}`);
  const m = N - 1;
  const h = 2 / N;
  const size = m * m * m;
  const node = (i: number): number => -1 + (i + 1) * h;
  const nodes = new Float64Array(3 * size);
  for (let k = 0; k < m; k++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < m; i++) nodes.set([node(i), node(j), node(k)], 3 * ((k * m + j) * m + i));
  const [phi0, psi0] = options.initial(nodes);
  const y0 = new Float64Array(2 * size);
  y0.set(phi0, 0);
  y0.set(psi0, size);
  const started = performance.now();
  const result = await integrate({
    tableau: tableaus.rk45,
    ops: arrayOps,
    system: {
      async derivative(_t: number, y: Float64Array): Promise<Float64Array> {
        const dy = new Float64Array(2 * size);
        dy.set(y.subarray(size), 0);
        laplacian(y.subarray(0, size), m, h, dy.subarray(size));
        return dy;
      },
    },
    y0,
    t0: 0,
    T: options.saveAt[options.saveAt.length - 1],
    saveAt: [...options.saveAt],
    rtol: options.rtol ?? 1e-4,
  });
  const seconds = (performance.now() - started) / 1000;
  const states = result.states;
  return {
    cells: N,
    times: result.times,
    states,
    steps: result.stats.steps,
    seconds,
    at(k: number, x: number, y: number, z: number): [number, number] {
      const s = states[k];
      // Grid index g(x) = (x + 1)/h − 1 over the interior; the boundary nodes (index −1 and m) are 0.
      const value = (offset: number): number => {
        const gx = (x + 1) / h - 1;
        const gy = (y + 1) / h - 1;
        const gz = (z + 1) / h - 1;
        const i0 = Math.floor(gx);
        const j0 = Math.floor(gy);
        const k0 = Math.floor(gz);
        let v = 0;
        for (let dk = 0; dk <= 1; dk++)
          for (let dj = 0; dj <= 1; dj++)
            for (let di = 0; di <= 1; di++) {
              const i = i0 + di;
              const j = j0 + dj;
              const k = k0 + dk;
              if (i < 0 || j < 0 || k < 0 || i >= m || j >= m || k >= m) continue;
              const w =
                (di === 1 ? gx - i0 : 1 - (gx - i0)) *
                (dj === 1 ? gy - j0 : 1 - (gy - j0)) *
                (dk === 1 ? gz - k0 : 1 - (gz - k0));
              v += w * s[offset + (k * m + j) * m + i];
            }
        return v;
      };
      return [value(0), value(size)];
    },
  };
}
