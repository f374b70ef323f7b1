// The native config structs start from the option tables' default preset: the header they read
// is what the tables give now, and a struct built in C++ alone holds those values.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, packageRoot } from '../ts/native';
import { CPU_MEMORY_BUDGET } from '../ts/solver/device-budget';
import { MAX_DEFAULT_OCTAVE } from '../ts/solver/initial-shape';
import { NATIVE_DEFAULTS_HEADER, nativeDefaultsHeader } from '../ts/solver/native-defaults';
import { DEFAULT_IMPORTANCE } from '../ts/solver/option-table';
import { DEFAULT_OPTIONS } from '../ts/solver/options';

describe('native defaults', () => {
  it('the checked-in header is what the option tables give (npm run native:defaults writes it)', () => {
    const header = readFileSync(path.join(packageRoot, NATIVE_DEFAULTS_HEADER), 'utf8');
    expect(header).toBe(nativeDefaultsHeader());
  });

  it("a struct built natively holds the default preset's values", () => {
    const d = DEFAULT_OPTIONS;
    const s = native().structDefaults();
    // Per problem in TypeScript; natively those of a first-order plan and a u0 of unknown shape.
    const {
      decay: _decay,
      frequencies: _frequencies,
      embedding: _embedding,
      output: _output,
      outputScale: _outputScale,
      outputOffset: _outputOffset,
      ...network
    } = d.network;
    expect(s.network).toEqual({
      ...network,
      decay: 1,
      frequencies: MAX_DEFAULT_OCTAVE,
      embedding: true,
      output: 'linear',
      memoryBudget: CPU_MEMORY_BUDGET,
    });
    expect(s.linear).toEqual({
      method: d.linear.method,
      tol: d.linear.tol,
      maxIters: d.linear.maxIters,
      rank: d.linear.rank,
      maxRank: d.linear.maxRank,
      mu: d.linear.mu,
      muScale: d.linear.muScale,
      mixedPrecision: d.linear.mixedPrecision,
      reusePreconditioner: d.linear.reusePreconditioner,
      memoryBudget: CPU_MEMORY_BUDGET,
    });
    expect(s.session).toEqual({ samples: d.samples.count, seed: d.seed, sequence: d.samples.sequence });
    const f = d.fit;
    const fitCaps = { maxIterations: f.maxIterations, tol: f.tol ?? 0, maxSeconds: f.maxSeconds ?? 0 };
    expect(s.fit).toEqual({
      method: f.method,
      ...fitCaps,
      warmupSteps: f.warmupSteps,
      headTuning: f.headTuning,
      headSamples: f.headSamples,
    });
    expect(s.gaussNewton).toEqual({ ...fitCaps, samples: f.samples, maxSamples: f.maxSamples, rank: f.rank });
    expect(s.adam).toEqual({ steps: d.adamIterations, lr: f.lr, batch: f.batch });
    expect(s.importance).toEqual({ ...DEFAULT_IMPORTANCE });
  });
});
