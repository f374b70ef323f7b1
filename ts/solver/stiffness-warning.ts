import { MIN_DECAY, SWITCH_STEPS_LEFT } from '../integrate/index';
import type { MethodName } from '../integrate/methods';
import type { EvolveProgress } from './evolve-run';

/**
 * What to say of a run whose steps were held at its method's stability limit (the integrator's
 * `StiffnessWatch`), on the step that showed it (`EvolveProgress.stiff`): the rate that holds them,
 * and whether the run switched to 'rkc' (`integrator.stiffSwitch`), or why not.
 */
export function stiffWarning(method: MethodName, switchAllowed: boolean, p: EvolveProgress): string | undefined {
  const stiff = p.stiff;
  if (stiff === undefined) return undefined;
  const held =
    `the steps were held at ${method}'s stability limit, not by rtol (h·ρ = ${p.stiffness.toFixed(2)} at ` +
    `h = ${p.h.toExponential(2)}, ρ ≈ ${stiff.rho.toPrecision(3)} the fastest rate of θ's dynamics)`;
  const where = `t = ${Number(p.t.toPrecision(6))}`;
  const more = `about ${stiff.stepsLeft} more step${stiff.stepsLeft === 1 ? '' : 's'}`;
  const see = ' (docs/accuracy.md, "Stiff problems")';
  if (stiff.switchedTo !== undefined) {
    return (
      `${held}: a decay (${pct(stiff.decay)} of it) much faster than the solution changes, so from ${where} the run ` +
      `goes on with '${stiff.switchedTo}' (Runge–Kutta–Chebyshev), whose stages follow the stiffness, instead of ` +
      `${method}'s ${more}; integrator: { stiffSwitch: false } keeps ${method}${see}`
    );
  }
  if (!Number.isNaN(stiff.decay) && stiff.decay < MIN_DECAY) {
    return (
      `${held}: mostly an oscillation (${pct(stiff.decay)} of it decay), which 'rkc' does not step past, ` +
      `so reaching T = ${p.T} takes ${more} whatever rtol${see}`
    );
  }
  const why = switchAllowed
    ? stiff.stepsLeft <= SWITCH_STEPS_LEFT
      ? `; with ${SWITCH_STEPS_LEFT} or fewer left it keeps ${method}`
      : ''
    : method === 'rk45'
      ? "; where ρ is a decay's (a diffusion's, a fast reaction's) and the solution changes far more slowly than ρ, integrator: " +
        "{ stiffSwitch: true } would go on with 'rkc' (Runge–Kutta–Chebyshev), which steps past the limit"
      : "; where ρ is a decay's (a diffusion's, a fast reaction's), integrator: { method: 'rkc' } steps past the limit";
  return `${held}: reaching T = ${p.T} takes ${more} whatever rtol${why}${see}`;
}

const pct = (share: number): string => `${Math.round(100 * Math.max(0, share))} %`;
