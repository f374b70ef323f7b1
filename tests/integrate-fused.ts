// The integrator's optional capabilities (OdeSystem.stage, VectorOps.finishStep and releaseMany)
// built from the basic operations, as a backend would fuse them: for tests that run the fused
// path in JavaScript and compare it with the composed one. `calls` counts the backend calls.
import type { OdeSystem, StageOutput, StepEnd, Terms, VectorOps } from '../ts/integrate';

type Vec = Float64Array;

export interface Fused {
  ops: VectorOps<Vec>;
  system: OdeSystem<Vec>;
  calls: Record<'stage' | 'finishStep' | 'releaseMany', number>;
}

export function fused(base: VectorOps<Vec>, system?: OdeSystem<Vec>): Fused {
  const calls = { stage: 0, finishStep: 0, releaseMany: 0 };
  const release = (v: Vec): void => base.release?.(v);
  const ops: VectorOps<Vec> = {
    combine: (b, terms) => base.combine(b, terms),
    norm: (v) => base.norm(v),
    isFinite: (v) => base.isFinite(v),
    release,
    releaseMany(vs) {
      calls.releaseMany++;
      for (const v of vs) release(v);
    },
    async finishStep(y: Vec, solution: Terms<Vec>, error: Terms<Vec>): Promise<StepEnd<Vec>> {
      calls.finishStep++;
      const y1 = await base.combine(y, solution);
      const err = await base.combine(null, error);
      const errorNorm = await base.norm(err);
      release(err);
      return { y1, errorNorm, finite: await base.isFinite(y1) };
    },
  };
  const derivative = system?.derivative ?? (() => Promise.reject(new Error('no system given')));
  return {
    ops,
    calls,
    system: {
      derivative,
      async stage(t: number, y: Vec, terms: Terms<Vec>): Promise<StageOutput<Vec>> {
        calls.stage++;
        const input = terms.length === 0 ? y : await base.combine(y, terms);
        try {
          const k = await derivative(t, input);
          return { k, finite: await base.isFinite(k) };
        } finally {
          if (input !== y) release(input);
        }
      },
    },
  };
}
