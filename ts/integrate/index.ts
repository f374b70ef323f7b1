export type { ControllerOptions, StepDecision, StepSizeController } from './controller';
export { adaptiveController, constantController } from './controller';
export type { IntegrationErrorReason } from './errors';
export { AbortError, IntegrationError, isAbortError, StepFailure } from './errors';
export type { AcceptedStep, IntegrateOptions, IntegrateResult } from './integrate';
export { integrate, MIN_DECAY, SWITCH_STEPS_LEFT } from './integrate';
export { type MethodName, methods } from './methods';
export type {
  IntegrationProgress,
  IntegrationStats,
  StepFailureReason,
  StepRecord,
  StiffnessFinding,
} from './progress';
export type { RkStepOptions, RkStepResult } from './rk';
export { rkStep, stageTerms } from './rk';
export { MAX_RKC_STAGES, rkc, rkcStages, rkcTableau } from './rkc';
export { spectralRadius } from './spectral-radius';
export { STIFF_STEPS, StiffnessWatch } from './stiffness';
export type { ButcherTableau, StabilizedMethod, TableauName } from './tableaus';
export { checkTableau, isStabilized, rk23, rk45, tableaus } from './tableaus';
export type { Awaitable, OdeSystem, StageOutput, StepEnd, Terms, VectorOps } from './vector';
export { arrayOps, releaseAll } from './vector';
