// The native session's config from the validated options: the one place that maps options to
// what native code receives (which trusts it).
import type { DeviceName } from '../native-config';
import type { ResolvedLinear, ResolvedOptions } from './options';
import type { FitConfig, SessionConfig, SessionLinearConfig } from './session';

export function sessionConfigFor(options: ResolvedOptions, device: DeviceName): SessionConfig {
  const { problem, network: n } = options;
  return {
    network: {
      dim: problem.dim,
      fields: problem.fields.length,
      width: n.width,
      depth: n.depth,
      activation: n.activation,
      embedding: n.embedding,
      frequencies: n.frequencies,
      decay: n.decay,
      embeddingScale: n.embeddingScale,
      dirichlet: problem.boundary === 'dirichlet',
      lower: [...problem.lower],
      upper: [...problem.upper],
      dtype: options.dtype,
      device,
      memoryBudget: options.memoryBudget,
    },
    plan: problem.plan,
    samples: options.samples,
    linear: linearConfig(options.linear),
    seed: options.seed,
    memoryBudget: options.memoryBudget,
  };
}

/** The solver's own fields only: a dense solve carries no CG settings. */
export function linearConfig(linear: ResolvedLinear): SessionLinearConfig {
  if (linear.method === 'dense') return { method: 'dense', mu: linear.mu };
  const { tol, maxIters, rank, mu, mixedPrecision, reusePreconditioner } = linear;
  return { method: 'pcg', tol, maxIters, rank, mu, mixedPrecision, reusePreconditioner };
}

/** The initial fit's config; a restart's refit uses `steps` when given. */
export function fitConfigFor(options: ResolvedOptions, steps?: number | null): FitConfig {
  const f = options.fit;
  return { steps: steps ?? f.steps, lr: f.lr, batch: f.batch, headTuning: f.headTuning, headSamples: f.headSamples };
}
