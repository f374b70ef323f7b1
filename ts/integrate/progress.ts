// What the driver reports about an integration: one record per step attempt, the running totals,
// and where it stands (carried by IntegrationError and AbortError).
/** Why a step attempt failed (as opposed to being rejected by the error test). */
export type StepFailureReason = 'nonfinite' | 'derivative';

/** One step attempt. */
export interface StepRecord {
  /** Time at the start of the attempt. */
  readonly t: number;
  /** The step size attempted. */
  readonly h: number;
  /** ‖err‖₂ / errorScale (≤ 1 passes the error test); NaN for a failed step. */
  readonly errNorm: number;
  /** Whether the step was accepted. */
  readonly accepted: boolean;
  /**
   * h·ρ, ρ the step's estimate of the largest rate of f's Jacobian (`RkStepResult.stiffness`):
   * near the tableau's `stabilityLimit` the step size is held by stability. Absent when the
   * tableau gives no estimate or the step failed.
   */
  readonly stiffness?: number;
  /** On the accepted step whose h·ρ completed the stiffness test (`StiffnessWatch`): what was found. */
  readonly stiff?: StiffnessFinding;
  /** Present when the step failed rather than being rejected by the error test. */
  readonly failure?: StepFailureReason;
}

/** What an integration found when its steps were held at the stability limit. */
export interface StiffnessFinding {
  /** ρ: the power iteration's when it ran, else the held step's h·ρ over h. */
  readonly rho: number;
  /** The share of ρ that is decay (1: diffusion, 0: an oscillation; `spectralRadius`), NaN when not estimated. */
  readonly decay: number;
  /** Steps of the held size left to T. */
  readonly stepsLeft: number;
  /** The method the run goes on with after a switch (`stiffSwitch`); absent when it keeps its own. */
  readonly switchedTo?: string;
}

/** The running totals of an integration. */
export interface IntegrationStats {
  /** Accepted steps. */
  steps: number;
  /** Rejected attempts: error-test rejections plus failures. */
  rejectedSteps: number;
  /** Attempts that failed (non-finite values, a rejecting derivative); included in rejectedSteps. */
  failedSteps: number;
  /** Calls of `system.derivative`. */
  derivativeEvaluations: number;
}

/** Where an integration stands; what `IntegrationError` and `AbortError` carry. */
export interface IntegrationProgress<V> {
  /** The last accepted time. */
  readonly t: number;
  /** The state at `t` (owned by the caller). */
  readonly y: V;
  /** The saveAt times reached so far. */
  readonly times: number[];
  /** The states at `times` (owned by the caller). */
  readonly states: V[];
  /** Every step attempt, accepted or not. */
  readonly steps: StepRecord[];
  /** The running totals. */
  readonly stats: IntegrationStats;
  /** The step size the controller proposes next: pass as `firstStep` to resume. */
  readonly hNext: number;
  /** The error scale used (pass as `errorScale` to resume with the same error norm). */
  readonly errorScale: number;
}
