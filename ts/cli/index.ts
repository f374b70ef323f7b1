// The `neural-ivp` command line as importable functions (the executable is ./main.ts).
export type { ParamValue } from './args';
export { ExitCode, UsageError } from './errors';
export type { LoadedProblem, ProblemArgs } from './load-problem';
export { loadProblem, PROBLEM_NAMES } from './load-problem';
export type { CliIO } from './program';
export { createProgram, runCommand } from './program';
export type { CliContext, RunFlags } from './run';
export { runSolve, solverOptions } from './run';
