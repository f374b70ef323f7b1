// A finite-difference solver of u_t = r(u, u_xx) on a periodic interval, the reference for 1D
// problems with no closed form (Allen–Cahn in examples/periodic-boundary.ts): the fourth-order
// five-point second difference on N equally spaced nodes, integrated by this library's own
// adaptive Runge–Kutta engine over Float64Arrays.
import { arrayOps, integrate, tableaus } from '../../ts/integrate/index';

export interface FdPeriodicOptions {
  /** Nodes N on [lower, lower + length), spacing length/N. */
  readonly cells: number;
  readonly lower: number;
  /** The period. */
  readonly length: number;
  /** u0 at the nodes. */
  readonly initial: (x: Float64Array) => ArrayLike<number>;
  /** The rate at every node from u and u_xx there, written into `out`. */
  readonly rate: (u: Float64Array, uxx: Float64Array, out: Float64Array) => void;
  readonly saveAt: readonly number[];
  /** RK45 relative tolerance (default 1e-8). */
  readonly rtol?: number;
}

export interface FdPeriodicSolution {
  /** The nodes. */
  readonly x: Float64Array;
  readonly times: readonly number[];
  /** u at the nodes at each saved time. */
  readonly states: readonly Float64Array[];
}

/** The fourth-order periodic second difference of `u` (spacing h) into `out`. */
export function secondDifference(u: Float64Array, h: number, out: Float64Array): void {
  const n = u.length;
  const c = 1 / (12 * h * h);
  for (let i = 0; i < n; i++) {
    const at = (k: number) => u[(i + k + n) % n];
    out[i] = c * (-at(2) + 16 * at(1) - 30 * u[i] + 16 * at(-1) - at(-2));
  }
}

export async function solvePeriodicFd(options: FdPeriodicOptions): Promise<FdPeriodicSolution> {
  const N = options.cells;
  if (!(Number.isInteger(N) && N >= 5)) throw new RangeError(`cells must be an integer >= 5, got ${N}`);
  const h = options.length / N;
  const x = Float64Array.from({ length: N }, (_, i) => options.lower + i * h);
  const uxx = new Float64Array(N);
  const result = await integrate({
    tableau: tableaus.rk45,
    ops: arrayOps,
    system: {
      async derivative(_t: number, u: Float64Array): Promise<Float64Array> {
        secondDifference(u, h, uxx);
        const du = new Float64Array(N);
        options.rate(u, uxx, du);
        return du;
      },
    },
    y0: Float64Array.from(options.initial(x)),
    t0: 0,
    T: options.saveAt[options.saveAt.length - 1],
    saveAt: [...options.saveAt],
    rtol: options.rtol ?? 1e-8,
  });
  return { x, times: result.times, states: result.states };
}
