// The memory check before any work: a run that cannot fit is a SpecError naming the option, the
// estimate and the limit, thrown by the constructor (no session opened); what fits is not refused.
import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { problems } from '../ts/problems/index';
import { denseSolveBytes, estimateMemory, fieldParameterCount } from '../ts/solver/memory';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { type NeuralIVPOptions, resolveOptions } from '../ts/solver/options';
import { cli } from './cli-helpers';
import { fakeFactory } from './solver-fake-session';

const GiB = 2 ** 30;
const heat = problems.heat({ dim: 2 });

function construct(options: Partial<NeuralIVPOptions>, free: number | null = 16 * GiB) {
  const { make, sessions } = fakeFactory();
  const attempt = () =>
    new NeuralIVP({ problem: heat, device: 'cpu', ...options }, { createSession: make, freeMemory: () => free });
  return { attempt, sessions };
}

function refusal(options: Partial<NeuralIVPOptions>, free?: number | null): SpecError {
  const { attempt, sessions } = construct(options, free);
  const started = performance.now();
  let error: unknown;
  try {
    attempt();
  } catch (e) {
    error = e;
  }
  expect(performance.now() - started).toBeLessThan(1000);
  expect(sessions).toHaveLength(0);
  expect(error).toBeInstanceOf(SpecError);
  return error as SpecError;
}

describe('the estimate', () => {
  it('sizes a dense solve exactly as the native solver does', () => {
    // The native refusal of this solve said: "dense solve needs 235.9 GB (235854466240 bytes;
    // n=2000, p=85601, float64)"; p_a = 85601 is a width-200, depth-3 network on 24 features
    // (the embedding of 2D points, octaves 0..5).
    expect(fieldParameterCount(24, 200, 3)).toBe(85601);
    expect(denseSolveBytes(2000, 85601, 8)).toBe(235854466240);
  });

  it('counts the held-out check as a phase of its own, as large as a solve on as many points', () => {
    const stage = (samples: { count: number; heldOut: number }) =>
      estimateMemory(resolveOptions({ problem: heat, samples }), 'cpu').stage;
    const withoutCheck = stage({ count: 4000, heldOut: 0 });
    // Fewer held-out points than samples: the solve is the peak.
    expect(stage({ count: 4000, heldOut: 1000 })).toBe(withoutCheck);
    // Many more: the check is, growing with them as the solve grows with the samples.
    const big = stage({ count: 4000, heldOut: 2_000_000 }) - stage({ count: 4000, heldOut: 1_000_000 });
    const solveGrowth = stage({ count: 2_004_000, heldOut: 0 }) - stage({ count: 1_004_000, heldOut: 0 });
    expect(big / solveGrowth).toBeCloseTo(1, 1);
  });

  it('grows linearly in the samples once they dominate', () => {
    const at = (count: number) => estimateMemory(resolveOptions({ problem: heat, samples: count }), 'cpu').stage;
    const ratio = (at(4_000_000) - at(2_000_000)) / (at(2_000_000) - at(1_000_000));
    expect(ratio).toBeCloseTo(2, 1);
  });
});

describe('refused before any work, naming the option', () => {
  it('samples: 5e7 on a machine with 16 GiB free', () => {
    const e = refusal({ samples: 5e7 });
    expect(e.path).toBe('samples');
    expect(e.message).toMatch(/^samples: the run needs about \d+\.\d GB .* but only 17\.2 GB is free on this machine/);
  });

  it('samples.heldOut: each step sweeps its held-out points apart, and a billion of them do not fit', () => {
    const e = refusal({ samples: { count: 4000, heldOut: 1e9 } });
    expect(e.path).toBe('samples.heldOut');
    expect(e.message).toMatch(
      /^samples\.heldOut: the run needs about \d+\.\d TB \(each solver step; the largest part: the points, jets and Jacobian caches of 1000000000 held-out points/,
    );
  });

  it('network.width: 65536 is a typed error, not a libtorch trace', () => {
    const e = refusal({ network: { width: 65536 } });
    expect(e.path).toBe('network.width');
    expect(e.message).toMatch(/TB/);
    expect(e.message).not.toMatch(/enforce fail|frame #/);
  });

  it('a dense solve over memoryBudget names linear.method, the estimate and the budget', () => {
    // p = (2·(5 + 1)·2 + 1)·200 + 2·(200 + 1)·200 + 201 = 85,601 for heat 2D with 5 octaves.
    const e = refusal({
      network: { width: 200, frequencies: 5 },
      samples: 2000,
      linear: { method: 'dense' },
      memoryBudget: 2 ** 24,
    });
    expect(e.path).toBe('linear.method');
    expect(e.message).toContain('a dense solve of 2000 rows × 85601 parameters needs about 235.9 GB');
    expect(e.message).toContain('over memoryBudget = 16.8 MB');
  });

  it('what fits is not refused (defaults; unknown free memory skips the free-memory test)', () => {
    expect(() => construct({}).attempt()).not.toThrow();
    expect(() => construct({ samples: 200_000 }).attempt()).not.toThrow();
    expect(() => construct({ samples: 5e7 }, null).attempt()).not.toThrow();
  });

  it('the CLI refuses --samples 1e9 at once with exit 2, naming --samples', async () => {
    const fake = fakeFactory();
    const started = performance.now();
    const r = await cli(['run', 'heat', '--samples', '1000000000', '--out', '/tmp/neural-ivp-never-written'], {
      createSession: fake.make,
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: samples: the run needs about \d+\.\d TB .*\(set by --samples\)/);
    expect(fake.sessions).toHaveLength(0);
  });
});
