// The configuration a Solution of resolved options carries, as NeuralIVP builds it for a CPU session.
import type { ResolvedOptions } from '../../ts/solver/options';
import type { SolutionConfig } from '../../ts/solver/save-format';
import { sessionConfigFor } from '../../ts/solver/session-config';

export function solutionConfig(resolved: ResolvedOptions, parameterCount: number): SolutionConfig {
  const { problem, ...rest } = resolved;
  const { distributed: _distributed, ...options } = rest;
  return {
    name: problem.name,
    params: problem.params,
    plan: problem.plan,
    options,
    session: sessionConfigFor(resolved, 'cpu'),
    parameterCount,
  };
}
