// The package root: public exports only.

export type { DistributedBackend, DistributedOptions } from './distributed/options';
export { OutOfMemoryError, SpecError } from './errors';
export type { IntegrationErrorReason } from './integrate/errors';
export { AbortError, IntegrationError } from './integrate/index';
export type { MethodName } from './integrate/methods';
export type {
  IntegrationProgress,
  IntegrationStats,
  StepFailureReason,
  StepRecord,
  StiffnessFinding,
} from './integrate/progress';
// The native engine, for users who drive the network and its Jacobian products directly.
export type {
  Activation,
  DeviceName,
  DType,
  JetRequestNative,
  LayerLayout,
  NativeAddon,
  NativeJets,
  NativeLinearization,
  NativeNetwork,
  NativeNetworkConfig,
  NetworkLayout,
  NetworkOutput,
} from './native';
export { native } from './native';
export type { LaunchCounts } from './native-config';
export type {
  Boundary,
  BoundarySpec,
  CompiledProblem,
  ExactArgs,
  ExprLike,
  FieldRecord,
  InitialArgs,
  JetRequest,
  PlanNode,
  Problem,
  ProblemSpec,
  Program,
  RhsArgs,
} from './problem/index';
export { defineProblem, Expr, ops } from './problem/index';
export type {
  AdvectionOptions,
  FokkerPlanckOptions,
  HeatOptions,
  VlasovOptions,
  WaveMapsOptions,
  WaveOptions,
  WavePacketOptions,
} from './problems/index';
export { problems } from './problems/index';
export type { RuntimeInfo } from './runtime';
export { runtimeInfo, setThreads } from './runtime';
export type { FitAdvice } from './solver/fit-guard';
export { POOR_FIT_FACTOR, PoorFitError, SLOW_FIT_BUDGETS } from './solver/fit-guard';
export type { FitStopReason, RateFeaturesReport } from './solver/fit-report';
export type {
  EvolveOptions,
  EvolveProgress,
  FitCallOptions,
  FitReport,
} from './solver/neural-ivp';
export { EvolveError, NeuralIVP } from './solver/neural-ivp';
export type {
  DenseOptions,
  DeviceOption,
  ErrorNorm,
  FitMethod,
  FitOptions,
  GradientDirections,
  GradientWeight,
  ImportanceOptions,
  IntegratorMethod,
  IntegratorOptions,
  LinearOptions,
  MuScale,
  NetworkOptions,
  NeuralIVPInput,
  NeuralIVPOptions,
  PcgOptions,
  PointSequence,
  Preset,
  RestartOptions,
  SampleOptions,
} from './solver/options';
export type { RestartEvent, RestartReason } from './solver/restarts';
export { SolutionFileError } from './solver/save-format';
export type { FitProgress } from './solver/session';
export type {
  Points,
  SaveOptions,
  SolutionStats,
  SolveSeconds,
  StepCost,
  StepHistoryRecord,
  StepRefinement,
} from './solver/solution';
export { Solution } from './solver/solution';
