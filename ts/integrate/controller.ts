/**
 * Step-size controllers, separate from the RK engine (as in diffrax).
 *
 * A controller sees the attempted step size h and the step's error norm — a scalar where 1 means
 * "exactly at tolerance" (see `integrate.ts`: errNorm = ‖err‖₂ / (rtol·‖y₀‖₂ + atol)) — and
 * decides whether to accept and what step to try next.
 */
export interface StepDecision {
  readonly accept: boolean;
  /** The next step size to try (from the same t when rejected). */
  readonly hNext: number;
}

export interface StepSizeController {
  /** errNorm is finite and ≥ 0 (non-finite steps never reach the controller). */
  decide(h: number, errNorm: number): StepDecision;
}

export interface ControllerOptions {
  /** Safety factor on the optimal step (default 0.9). */
  safety?: number;
  /** Smallest factor h may shrink by in one decision (default 0.2). */
  minFactor?: number;
  /** Largest factor h may grow by in one decision (default 10). */
  maxFactor?: number;
  /**
   * PI memory coefficient β (default 0: a pure integral controller). With β > 0 an accepted step
   * uses factor = safety · errNorm^(−α) · prevErrNorm^β with α = 1/(q+1) − 0.75β (Hairer's PI
   * controller; 0.04 is Hairer's choice for DOPRI5).
   */
  beta?: number;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * The adaptive (I or PI) controller for a method whose error estimate has order `errorOrder` (q):
 * accept iff errNorm ≤ 1; next h = h · clamp(safety · errNorm^(−1/(q+1)) [· prev^β], minFactor,
 * maxFactor), where a rejected step never grows (factor ≤ 1) and uses the pure I factor.
 * errNorm = 0 gives maxFactor. `prev` is the error norm of the last accepted step (starts at 1).
 */
export function adaptiveController(errorOrder: number, options: ControllerOptions = {}): StepSizeController {
  const safety = options.safety ?? 0.9;
  const minFactor = options.minFactor ?? 0.2;
  const maxFactor = options.maxFactor ?? 10;
  const beta = options.beta ?? 0;
  if (!(errorOrder >= 1)) throw new RangeError(`errorOrder must be ≥ 1, got ${errorOrder}`);
  if (!(safety > 0 && safety <= 1)) throw new RangeError(`safety must be in (0, 1], got ${safety}`);
  if (!(minFactor > 0 && minFactor <= 1)) throw new RangeError(`minFactor must be in (0, 1], got ${minFactor}`);
  if (!(maxFactor >= 1 && Number.isFinite(maxFactor))) {
    throw new RangeError(`maxFactor must be finite and ≥ 1, got ${maxFactor}`);
  }
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  const alpha = 1 / (errorOrder + 1) - 0.75 * beta;
  let prev = 1;
  return {
    decide(h: number, errNorm: number): StepDecision {
      if (errNorm <= 1) {
        const factor = safety * errNorm ** -alpha * prev ** beta;
        prev = Math.max(errNorm, 1e-4);
        return { accept: true, hNext: h * clamp(Number.isNaN(factor) ? maxFactor : factor, minFactor, maxFactor) };
      }
      const factor = safety * errNorm ** (-1 / (errorOrder + 1));
      return { accept: false, hNext: h * clamp(factor, minFactor, 1) };
    },
  };
}

/** Fixed steps: every finite step is accepted and h never changes (failed steps still shrink it). */
export function constantController(): StepSizeController {
  return {
    decide(h: number): StepDecision {
      return { accept: true, hNext: h };
    },
  };
}
