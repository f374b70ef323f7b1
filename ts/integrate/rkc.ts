/**
 * The Runge–Kutta–Chebyshev method RKC2 (Sommeijer, Shampine and Verwer, 1997): an explicit,
 * second-order family whose s-stage member is stable along the negative real axis out to
 * β(s) ≈ 0.653·s², against 3.3 for Dormand–Prince's six new stages. For a stiff diffusion the step
 * is then set by accuracy, with s growing as √(h·ρ), ρ the spectral radius of f's Jacobian.
 *
 * Each member is written as a Butcher tableau for the engine (`rk.ts`), with one extra FSAL stage,
 * f(t + h, y1), for the method's error estimate (1/15)·(12·(y − y1) + 6h·(f(y) + f(y1))).
 */
import type { ButcherTableau, StabilizedMethod } from './tableaus';

/** The damping ε of the stability polynomial (the authors' 2/13: |R| ≤ 1 − ε/3 away from 0). */
const DAMPING = 2 / 13;
/** Fewest stages: RKC2 needs two. */
export const MIN_RKC_STAGES = 2;
/** Most stages per step: past it the step size shrinks instead (rounding grows with s²). */
export const MAX_RKC_STAGES = 64;
/** The estimate of ρ is multiplied by this before the stage count is chosen (the authors' 1.2). */
export const RHO_SAFETY = 1.2;

/** The s-stage member, its error stage included (s + 1 stages in all). */
export function rkcTableau(s: number): ButcherTableau {
  if (!(Number.isInteger(s) && s >= MIN_RKC_STAGES)) throw new RangeError(`rkc: need an integer s ≥ 2, got ${s}`);
  const { w0, w1, T, b } = chebyshev(s);
  // Y_j = y + h·Σ_m A[j][m]·k_m, from Y_j = (1 − μ_j − ν_j)·y + μ_j·Y_{j−1} + ν_j·Y_{j−2}
  //   + μ̃_j·h·f(Y_{j−1}) + γ̃_j·h·f(Y_0), with Y_1 = y + μ̃_1·h·f(Y_0).
  const A: number[][] = [new Array(s + 1).fill(0), new Array(s + 1).fill(0)];
  A[1][0] = b[1] * w1;
  for (let j = 2; j <= s; j++) {
    const mu = (2 * b[j] * w0) / b[j - 1];
    const nu = -b[j] / b[j - 2];
    const muTilde = (2 * b[j] * w1) / b[j - 1];
    const gammaTilde = -(1 - b[j - 1] * T[j - 1]) * muTilde;
    const row = A[j - 1].map((a, m) => mu * a + nu * A[j - 2][m]);
    row[j - 1] += muTilde;
    row[0] += gammaTilde;
    A.push(row);
  }
  // y1 = Y_s, at t + h by construction: its weights sum to 1 up to the recursion's rounding.
  const total = A[s].reduce((acc, x) => acc + x, 0);
  const weights = A[s].slice(0, s).map((w) => w / total);
  const c = A.map((row) => row.reduce((acc, x) => acc + x, 0));
  c[s] = 1;
  return Object.freeze({
    name: `rkc${s}`,
    a: Object.freeze(A.map((row, i) => Object.freeze(i === s ? weights : row.slice(0, i)))),
    b: Object.freeze([...weights, 0]),
    // (12·(y − y1) + 6h·(k_0 + k_s))/15 = h·(−(4/5)·Σ b_j·k_j + (2/5)·(k_0 + k_s)).
    bError: Object.freeze([...weights.map((w, j) => -0.8 * w + (j === 0 ? 0.4 : 0)), 0.4]),
    c: Object.freeze(c),
    order: 2,
    // The estimate is O(h³), the solution's own local error: not an embedded lower-order pair.
    errorOrder: 2,
    fsal: true,
    stabilityLimit: (1 + w0) / w1,
  });
}

/** The fewest stages whose stability interval holds h·ρ (ρ with its safety), up to the maximum. */
export function rkcStages(hRho: number): number {
  const s = Math.ceil(Math.sqrt(1 + 1.54 * RHO_SAFETY * Math.max(0, hRho)));
  return Math.min(MAX_RKC_STAGES, Math.max(MIN_RKC_STAGES, s));
}

/**
 * The shifted Chebyshev data at w0 = 1 + ε/s²: T_j(w0), and b_j = T_j''(w0)/T_j'(w0)² (b_0 = b_1 =
 * b_2), w1 = T_s'(w0)/T_s''(w0).
 */
function chebyshev(s: number): { w0: number; w1: number; T: number[]; b: number[] } {
  const w0 = 1 + DAMPING / (s * s);
  const T = [1, w0];
  const dT = [0, 1];
  const ddT = [0, 0];
  for (let j = 2; j <= s; j++) {
    T.push(2 * w0 * T[j - 1] - T[j - 2]);
    dT.push(2 * T[j - 1] + 2 * w0 * dT[j - 1] - dT[j - 2]);
    ddT.push(4 * dT[j - 1] + 2 * w0 * ddT[j - 1] - ddT[j - 2]);
  }
  const w1 = dT[s] / ddT[s];
  const b = T.map((_, j) => (j < 2 ? 0 : ddT[j] / (dT[j] * dT[j])));
  b[0] = b[2];
  b[1] = b[2];
  return { w0, w1, T, b };
}

const members = new Map<number, ButcherTableau>();

/** RKC2 as a stabilized method: each step's member has the fewest stages that hold its h·ρ. */
export const rkc: StabilizedMethod = Object.freeze({
  name: 'rkc',
  errorOrder: 2,
  member(hRho: number): ButcherTableau {
    const s = rkcStages(hRho);
    let tableau = members.get(s);
    if (tableau === undefined) {
      tableau = rkcTableau(s);
      members.set(s, tableau);
    }
    return tableau;
  },
});
