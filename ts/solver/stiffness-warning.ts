import { type MethodName, methods } from '../integrate/methods';
import { StiffnessWatch } from '../integrate/stiffness';
import { isStabilized } from '../integrate/tableaus';
import type { EvolveProgress } from './evolve-run';

/**
 * The warning of a run whose steps are held at its method's stability limit (`StiffnessWatch`),
 * said once, on the step that shows it; undefined before then, and for a method without a limit
 * to be held at (rkc takes more stages instead) or without an estimate (rk23).
 */
export function stiffnessWatcher(method: MethodName): (p: EvolveProgress) => string | undefined {
  const tableau = methods[method];
  if (isStabilized(tableau)) return () => undefined;
  const { stabilityLimit, stiffnessStages } = tableau;
  if (stabilityLimit === undefined || stiffnessStages === undefined) return () => undefined;
  const watch = new StiffnessWatch(stabilityLimit);
  return (p) => (watch.observe(p.stiffness) ? stiffWarning(method, p) : undefined);
}

function stiffWarning(method: MethodName, p: EvolveProgress): string {
  const rate = p.stiffness / p.h;
  const left = Math.ceil((p.T - p.t) / p.h);
  return (
    `the steps are held at ${method}'s stability limit, not by rtol (h·ρ = ${p.stiffness.toFixed(2)} at ` +
    `h = ${p.h.toExponential(2)}, ρ ≈ ${rate.toPrecision(3)} the fastest rate of θ's dynamics): the problem is ` +
    'stiff on the scales the network resolves (diffusion or decay much faster than the solution changes), so ' +
    `reaching T = ${p.T} takes about ${left} more step${left === 1 ? '' : 's'} whatever rtol; ` +
    "where ρ is a diffusion's or a decay's, integrator: { method: 'rkc' } (Runge–Kutta–Chebyshev, " +
    '--method rkc) takes as many stages per step as it needs and steps past the limit, which it does not ' +
    'for an oscillation as fast (docs/accuracy.md, "Stiff problems")'
  );
}
