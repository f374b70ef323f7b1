import type { CompiledProblem } from '../problem/plan';
import { fieldReads } from '../problem/reads';
import type { GradientDirections } from './options';
import { smallestHalfWidth } from './session-config';

/**
 * The second-order equations in time written as systems: pairs [u, v] (field indices) with
 * u_t = g(v, …), g reading no spatial derivative of any field, and v_t reading u's second
 * derivatives (v_t = Δu; a Klein–Gordon or damped wave alike).
 */
export function secondOrderPairs(plan: CompiledProblem): [number, number][] {
  const reads = fieldReads(plan.rhs, plan.fields.length);
  const pairs: [number, number][] = [];
  reads.forEach((readsOfU, u) => {
    if (readsOfU.some((order) => order > 0)) return;
    reads.forEach((readsOfV, v) => {
      if (v !== u && readsOfU[v] === 0 && readsOfV[u] === 2) pairs.push([u, v]);
    });
  });
  return pairs;
}

/**
 * The fields the default projection grades (docs/accuracy.md, "The projection's norm"): u of each
 * `secondOrderPairs` pair. Projected in L², u_t = v leaves u with Laplacian errors that v_t reads,
 * and a wave carries them to T; the energy norm (H¹ for u, L² for v) controls them.
 */
export function energyNormFields(plan: CompiledProblem): string[] {
  const graded = new Set(secondOrderPairs(plan).map(([u]) => u));
  return plan.fields.filter((_, u) => graded.has(u));
}

/**
 * The most dimensions the default grades in. The default preset is sized for a CPU: beyond 2D,
 * even with one sampled direction per point, the graded block's CG work, not the accuracy,
 * decides a run (docs/accuracy.md, "One sampled direction per point").
 */
export const MAX_DEFAULT_GRADED_DIM = 2;

/**
 * `linear.gradientWeight`'s default: β = (the domain's smallest half-width)² for the energy
 * norm's fields up to `MAX_DEFAULT_GRADED_DIM` dimensions, 0 for the rest. β is a squared length,
 * so the gradient term outweighs the value term for every mode the domain holds, whatever the
 * domain's units.
 */
export function energyNormWeights(plan: CompiledProblem): Record<string, number> {
  const halfWidth = smallestHalfWidth(plan.lower, plan.upper);
  const graded = new Set(plan.dim <= MAX_DEFAULT_GRADED_DIM ? energyNormFields(plan) : []);
  return Object.fromEntries(plan.fields.map((f) => [f, graded.has(f) ? halfWidth * halfWidth : 0]));
}

/**
 * The most dimensions whose gradient norm differences every axis by default. Up to 2D that is at
 * most 5 rows per point against the sampled direction's 3, and the sampled rows' noise costs CG
 * iterations that take back what they save; above, every axis costs 1 + 2·dim rows
 * (docs/accuracy.md, "One sampled direction per point").
 */
export const MAX_AXES_DIM = 2;

/** `linear.gradientDirections`' default for a problem in `dim` dimensions. */
export function defaultGradientDirections(dim: number): GradientDirections {
  return dim <= MAX_AXES_DIM ? 'axes' : 'sampled';
}
