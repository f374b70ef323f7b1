// The package root: public exports only.
export { SpecError } from './errors';
export { AbortError, IntegrationError } from './integrate/index';
// The native engine, for users who drive the network and its Jacobian products directly.
export type {
  NativeJets,
  NativeLinearization,
  NativeNetwork,
  NativeNetworkConfig,
  NetworkLayout,
} from './native';
export { native } from './native';
export type {
  CompiledProblem,
  ExprLike,
  JetRequest,
  PlanNode,
  Problem,
  ProblemSpec,
  Program,
} from './problem/index';
export { defineProblem, Expr, ops } from './problem/index';
export { problems } from './problems/index';
export type { RuntimeInfo } from './runtime';
export { runtimeInfo, setThreads } from './runtime';
export type {
  EvolveOptions,
  EvolveProgress,
  FitCallOptions,
  FitReport,
} from './solver/neural-ivp';
export { EvolveError, NeuralIVP } from './solver/neural-ivp';
export type { GradientWeight, NeuralIVPInput, NeuralIVPOptions } from './solver/options';
export { SolutionFileError } from './solver/save-format';
export type { Points, SolutionStats, SolveSeconds, StepCost, StepHistoryRecord } from './solver/solution';
export { Solution } from './solver/solution';
