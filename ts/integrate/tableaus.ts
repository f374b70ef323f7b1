/**
 * Explicit Runge–Kutta methods as data (Butcher tableaus), in the style of diffrax: one generic
 * engine (`rk.ts`) runs any of them.
 *
 * Stage i (0-based) is evaluated at t + c[i]·h and y + h·Σ_j a[i][j]·k_j (j < i; a[0] is empty).
 * The solution is y1 = y + h·Σ b[i]·k_i and the error estimate err = h·Σ bError[i]·k_i, where
 * bError = b − b̂ with b̂ the embedded lower-order weights.
 */
export interface ButcherTableau {
  readonly name: string;
  /** Strictly lower-triangular stage coefficients; a[i] has i entries. */
  readonly a: readonly (readonly number[])[];
  /** Weights of the propagated solution (order `order`). */
  readonly b: readonly number[];
  /** b − b̂: weights of the local error estimate. */
  readonly bError: readonly number[];
  /** Stage times as fractions of h. */
  readonly c: readonly number[];
  /** Order of the propagated solution. */
  readonly order: number;
  /**
   * The error estimate is O(h^(errorOrder+1)): the order of the embedded solution b̂ of a pair, or
   * the solution's own order for an estimate of its local error (RKC, `rkc.ts`).
   */
  readonly errorOrder: number;
  /**
   * First Same As Last: the last stage is evaluated at (t + h, y1), so after an accepted step it
   * is the next step's first stage. Requires c[s−1] = 1, a[s−1] = b[0..s−2] and b[s−1] = 0.
   */
  readonly fsal: boolean;
  /**
   * Two stages i < j evaluated at the same time (c[i] = c[j]), for the stiffness estimate: their
   * derivatives' difference over their inputs' difference, ‖k_j − k_i‖/‖Y_j − Y_i‖, is a lower
   * estimate of the largest rate ρ of f's Jacobian along the step (Hairer & Wanner's test for
   * Dormand–Prince), and h·ρ near the stability limit says the step is held by stability, not
   * accuracy. Absent: no estimate.
   */
  readonly stiffnessStages?: readonly [number, number];
  /** Where the method's stability region meets the negative real axis: h·ρ beyond it is unstable. */
  readonly stabilityLimit?: number;
}

/**
 * A family of stabilized explicit methods (Runge–Kutta–Chebyshev, `rkc.ts`): each step takes the
 * member whose stability interval holds h·ρ, ρ the spectral radius of f's Jacobian.
 */
export interface StabilizedMethod {
  readonly name: string;
  /** The error estimate is O(h^(errorOrder+1)) for every member (the controller's exponent). */
  readonly errorOrder: number;
  /** The member for a step of size h on a problem of spectral radius ρ, given h·ρ. */
  member(hRho: number): ButcherTableau;
}

export function isStabilized(method: ButcherTableau | StabilizedMethod): method is StabilizedMethod {
  return 'member' in method;
}

function freezeTableau(t: ButcherTableau): ButcherTableau {
  for (const row of t.a) Object.freeze(row);
  Object.freeze(t.a);
  Object.freeze(t.b);
  Object.freeze(t.bError);
  Object.freeze(t.c);
  return Object.freeze(t);
}

/** Bogacki–Shampine 3(2): 3rd-order solution, embedded 2nd order, FSAL (4 stages, 3 new per step). */
export const rk23: ButcherTableau = freezeTableau({
  name: 'rk23',
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  // b̂ = [7/24, 1/4, 1/3, 1/8]
  bError: [-5 / 72, 1 / 12, 1 / 9, -1 / 8],
  c: [0, 1 / 2, 3 / 4, 1],
  order: 3,
  errorOrder: 2,
  fsal: true,
  stabilityLimit: 2.5,
});

/** Dormand–Prince 5(4): 5th-order solution, embedded 4th order, FSAL (7 stages, 6 new per step). */
export const rk45: ButcherTableau = freezeTableau({
  name: 'rk45',
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  // b̂ = [5179/57600, 0, 7571/16695, 393/640, −92097/339200, 187/2100, 1/40]
  bError: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  order: 5,
  errorOrder: 4,
  fsal: true,
  stiffnessStages: [5, 6],
  stabilityLimit: 3.3,
});

export type TableauName = 'rk23' | 'rk45';

export const tableaus: Readonly<Record<TableauName, ButcherTableau>> = Object.freeze({ rk23, rk45 });

/**
 * Checks a tableau's shape and basic consistency (row sums of a equal c, Σb = 1, ΣbError = 0,
 * the FSAL structure when claimed). Throws a `RangeError` naming the first problem.
 */
export function checkTableau(t: ButcherTableau, tol = 1e-14): void {
  const s = t.c.length;
  if (s < 1) throw new RangeError(`${t.name}: no stages`);
  if (t.a.length !== s || t.b.length !== s || t.bError.length !== s) {
    throw new RangeError(`${t.name}: a, b, bError and c need ${s} entries each`);
  }
  if (t.c[0] !== 0) throw new RangeError(`${t.name}: c[0] must be 0`);
  for (let i = 0; i < s; i++) {
    if (t.a[i].length !== i) throw new RangeError(`${t.name}: a[${i}] needs ${i} entries`);
    const sum = t.a[i].reduce((acc, x) => acc + x, 0);
    if (Math.abs(sum - t.c[i]) > tol)
      throw new RangeError(`${t.name}: row ${i} of a sums to ${sum}, not c = ${t.c[i]}`);
  }
  const sb = t.b.reduce((acc, x) => acc + x, 0);
  if (Math.abs(sb - 1) > tol) throw new RangeError(`${t.name}: b sums to ${sb}, not 1`);
  const se = t.bError.reduce((acc, x) => acc + x, 0);
  if (Math.abs(se) > tol) throw new RangeError(`${t.name}: bError sums to ${se}, not 0`);
  if (!(t.order >= 1) || !(t.errorOrder >= 1) || t.errorOrder > t.order) {
    throw new RangeError(`${t.name}: need 1 ≤ errorOrder ≤ order`);
  }
  if (t.stiffnessStages !== undefined) {
    const [i, j] = t.stiffnessStages;
    if (!(Number.isInteger(i) && Number.isInteger(j) && 0 <= i && i < j && j < s && t.c[i] === t.c[j])) {
      throw new RangeError(`${t.name}: stiffnessStages needs two stages i < j with c[i] = c[j]`);
    }
  }
  if (t.fsal) {
    if (t.c[s - 1] !== 1 || t.b[s - 1] !== 0 || t.a[s - 1].some((x, j) => x !== t.b[j])) {
      throw new RangeError(`${t.name}: FSAL needs c[s−1] = 1, b[s−1] = 0 and a[s−1] = b`);
    }
  }
}
