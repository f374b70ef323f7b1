/**
 * Steps that keep shrinking, said once with the figures ('NIVP_STEP_COLLAPSE'). With their PDE
 * residual growing, the solution is forming a feature the network does not follow (a front
 * steepening into a shock, a layer); with the residual still small but the steps a hundredth of the
 * run's largest, the network follows a solution that changes ever faster (a blow-up at finite
 * time). A stiff run's steps hold steady and a finely structured solution's residual stays where it
 * started, so neither looks like this.
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
/** Steps this many times below the run's largest collapsed whatever their residual. */
export const COLLAPSE_FAST = 100;
/**
 * Every step of the window was sized by its error: its error norm is at least this share of the
 * tolerance. A step cut short to land on a saved time (dense `saveAt`) is far below it (the error
 * goes as h⁵), and says nothing of the pace the solution allows.
 */
export const SIZED_BY_ERROR = 1e-2;

interface StepFigures {
  readonly t: number;
  readonly h: number;
  readonly residual: number;
  readonly errorNorm: number;
}

/** Watches the accepted steps of one run; `observe` returns the warning once, on the step that shows it. */
export class StepCollapseWatch {
  private largest: StepFigures | undefined;
  private readonly window: StepFigures[] = [];
  private said = false;

  observe(p: EvolveProgress): string | undefined {
    const step = { t: p.t - p.h, h: p.h, residual: p.residual, errorNorm: p.errorNorm };
    if (p.restarted) this.window.length = 0; // a refit starts the residual afresh
    if (this.largest === undefined || step.h > this.largest.h) this.largest = step;
    this.window.push(step);
    if (this.window.length > COLLAPSE_STEPS) this.window.shift();
    if (this.said || this.window.length < COLLAPSE_STEPS) return undefined;
    const largest = this.largest;
    const h = Math.max(...this.window.map((s) => s.h));
    const residual = Math.min(...this.window.map((s) => s.residual));
    if (Math.min(...this.window.map((s) => s.errorNorm)) < SIZED_BY_ERROR) return undefined;
    const unfollowed =
      h * COLLAPSE_SHRINK <= largest.h && residual > COLLAPSE_RESIDUAL && residual > COLLAPSE_GROWTH * largest.residual;
    const faster = h * COLLAPSE_FAST <= largest.h;
    if (!unfollowed && !faster) return undefined;
    this.said = true;
    const short = (x: number) => x.toExponential(1);
    const shrank =
      `the steps shrank ${Math.round(largest.h / h)}× since t = ${Number(largest.t.toPrecision(3))} ` +
      `(h = ${short(largest.h)} then, ${short(h)} now)`;
    if (unfollowed) {
      return (
        `${shrank} while their PDE residual rose from ${short(largest.residual)} to ${short(residual)}: the solution ` +
        'is forming a feature the network does not follow (a front steepening into a shock, a layer), and each step ' +
        `only gets shorter. Check that the PDE has a smooth solution up to T = ${p.T} (an equation that forms shocks ` +
        'needs a diffusion term to have one), or evolve to a T before it; a wider network follows a steeper feature further'
      );
    }
    return (
      `${shrank} while θ̇ still matched the PDE (residual ${short(residual)}): the solution changes ever faster, as ` +
      'one that grows without bound does (a blow-up at finite time), and each step only gets shorter. Check that the ' +
      `PDE's solution stays bounded up to T = ${p.T}, or evolve to a T before it`
    );
  }
}
