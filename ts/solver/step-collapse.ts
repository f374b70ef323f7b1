/**
 * Steps that keep shrinking while their PDE residual grows: the solution is forming a feature the
 * network does not follow (a front steepening into a shock, a blow-up, a layer), and each step only
 * gets shorter. A stiff run's steps hold steady and a finely structured solution's residual stays
 * where it started, so neither looks like this; the run is told once, with the figures
 * ('NIVP_STEP_COLLAPSE').
 */
import type { EvolveProgress } from './evolve-run';

/** Accepted steps the test reads: one short step (cut to land on a saved time) says nothing. */
export const COLLAPSE_STEPS = 3;
/** The window's largest step is at most the run's largest over this. */
export const COLLAPSE_SHRINK = 10;
/** Every step of the window has a residual above this … */
export const COLLAPSE_RESIDUAL = 0.1;
/** … and this many times the residual of the run's largest step. */
export const COLLAPSE_GROWTH = 10;

interface StepFigures {
  readonly t: number;
  readonly h: number;
  readonly residual: number;
}

/** Watches the accepted steps of one run; `observe` returns the warning once, on the step that shows it. */
export class StepCollapseWatch {
  private largest: StepFigures | undefined;
  private readonly window: StepFigures[] = [];
  private said = false;

  observe(p: EvolveProgress): string | undefined {
    const step = { t: p.t - p.h, h: p.h, residual: p.residual };
    if (p.restarted) this.window.length = 0; // a refit starts the residual afresh
    if (this.largest === undefined || step.h > this.largest.h) this.largest = step;
    this.window.push(step);
    if (this.window.length > COLLAPSE_STEPS) this.window.shift();
    if (this.said || this.window.length < COLLAPSE_STEPS) return undefined;
    const largest = this.largest;
    const h = Math.max(...this.window.map((s) => s.h));
    const residual = Math.min(...this.window.map((s) => s.residual));
    const collapsed =
      h * COLLAPSE_SHRINK <= largest.h && residual > COLLAPSE_RESIDUAL && residual > COLLAPSE_GROWTH * largest.residual;
    if (!collapsed) return undefined;
    this.said = true;
    const short = (x: number) => x.toExponential(1);
    return (
      `the steps shrank ${Math.round(largest.h / h)}× since t = ${Number(largest.t.toPrecision(3))} (h = ${short(largest.h)} ` +
      `then, ${short(h)} now) while their PDE residual rose from ${short(largest.residual)} to ${short(residual)}: ` +
      'the solution is forming a feature the network does not follow (a front steepening into a shock, a blow-up, ' +
      `a layer), and each step only gets shorter. Check that the PDE has a smooth solution up to T = ${p.T} (an ` +
      'equation that forms shocks needs a diffusion term to have one), or evolve to a T before it; a wider network ' +
      'follows a steeper feature further'
    );
  }
}
