// Failures that will repeat stop at once, and the real cause is the first thing a user reads: in
// EvolveError.message, on the CLI's stderr and in metrics.json. Against the JavaScript stand-in
// session (no native code), whose solves reject the way the native ones do.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromNative, innermostCause, OutOfMemoryError } from '../ts/errors';
import { native } from '../ts/native';
import { problems } from '../ts/problems/index';
import { EvolveError, NeuralIVP } from '../ts/solver/neural-ivp';
import { cli } from './cli-helpers';
import { type FakeSessionOptions, fakeFactory } from './solver-fake-session';

// What the native dense solver says when a solve would need more than memoryBudget.
const DENSE_REFUSAL =
  "dense solve needs 235.9 GB (235854466240 bytes; n=2000, p=85601, float64) but the memory budget is 16.8 MB (16777216 bytes); use linear.method 'pcg' or raise memoryBudget";
// What libtorch 1.13's CPU allocator throws (what() with its C++ trace).
const ALLOC_FAILURE =
  '[enforce fail at alloc_cpu.cpp:75] data. DefaultCPUAllocator: not enough memory: you tried to allocate 68719476736 bytes.\nException raised from alloc_cpu at ../c10/core/impl/alloc_cpu.cpp:75 (most recent call first):\nframe #0: <unknown function> + 0x12 (0x7f in /usr/lib/libc10.so)';

function setup(fake: FakeSessionOptions) {
  const { make, sessions } = fakeFactory(fake);
  const ivp = new NeuralIVP(
    { problem: problems.heat({ dim: 2 }), device: 'cpu', restarts: false, integrator: { method: 'rk23', rtol: 1e-4 } },
    { createSession: make },
  );
  return { ivp, sessions };
}

async function evolveError(ivp: NeuralIVP, T = 1): Promise<EvolveError> {
  const error = await ivp.evolve(T).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EvolveError);
  return error as EvolveError;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neural-ivp-failures-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('native errors as the library throws them', () => {
  it('a refused dense solve is an OutOfMemoryError with its message intact', () => {
    const e = fromNative(new Error(DENSE_REFUSAL));
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect((e as Error).message).toBe(DENSE_REFUSAL);
  });

  it("libtorch's allocation failure loses its C++ trace and keeps the bytes asked for", () => {
    const e = fromNative(new Error(ALLOC_FAILURE)) as OutOfMemoryError;
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect(e.message).toMatch(/^out of memory: .*not enough memory: you tried to allocate 68719476736 bytes\.$/);
    expect(e.message).not.toMatch(/frame #0|Exception raised from/);
    expect(e.neededBytes).toBe(68719476736);
  });

  it('the addon’s typed memory errors keep their byte counts; other errors only lose the trace', () => {
    const typed = Object.assign(new Error(DENSE_REFUSAL), {
      name: 'OutOfMemoryError',
      neededBytes: 235854466240,
      limitBytes: 16777216,
    });
    const e = fromNative(typed) as OutOfMemoryError;
    expect([e.neededBytes, e.limitBytes]).toEqual([235854466240, 16777216]);
    const other = fromNative(new Error('shape mismatch\nException raised from foo at bar.cpp:1\nframe #0: x'));
    expect(other).not.toBeInstanceOf(OutOfMemoryError);
    expect((other as Error).message).toBe('shape mismatch');
    const abort = Object.assign(new Error('cancelled'), { name: 'AbortError' });
    expect(fromNative(abort)).toBe(abort);
  });
});

describe('evolve: errors that will repeat are not retried', () => {
  it('a refused dense solve stops after one attempt, its message first', async () => {
    const { ivp, sessions } = setup({ stageError: () => new Error(DENSE_REFUSAL) });
    const e = await evolveError(ivp);
    expect(sessions[0].solves).toBe(1);
    expect(e.reason).toBe('error');
    expect(e.message.startsWith(DENSE_REFUSAL)).toBe(true);
    expect(e.rootCause).toBe(DENSE_REFUSAL);
    expect(e.message).toMatch(/evolve stopped at t = 0 of T = 1; not retried/);
    expect(innermostCause(e)).toBeInstanceOf(OutOfMemoryError);
    expect(e.solution.times).toEqual([0]);
    expect(sessions[0].store.size).toBe(2); // θ0 and the solution's θ(0), nothing leaked
  });

  it('an allocation failure mid-run stops at once too, keeping the steps already taken', async () => {
    let solves = 0;
    const { make, sessions } = fakeFactory({});
    const ivp = new NeuralIVP(setup({}).ivp.options, {
      createSession: (config) => {
        const s = make(config);
        const stage = s.stage.bind(s);
        s.stage = async (...args) => {
          if (++solves > 30) throw new Error(ALLOC_FAILURE);
          return stage(...args);
        };
        return s;
      },
    });
    const e = await evolveError(ivp);
    expect(sessions).toHaveLength(1);
    expect(solves).toBe(31);
    expect(e.message).toMatch(/^out of memory: .*you tried to allocate 68719476736 bytes\. \(evolve stopped at t = /);
    expect(e.message).not.toMatch(/frame #0/);
    expect(e.t).toBeGreaterThan(0);
    expect(e.solution.stats.steps).toBeGreaterThan(0);
  });

  it('a non-finite θ̇ on the fitted initial state stops at once and says so', async () => {
    const { ivp, sessions } = setup({ nanAfterSolves: 0 });
    const e = await evolveError(ivp);
    expect(sessions[0].solves).toBe(1);
    expect(e.message).toMatch(/^θ̇ is not finite at t = 0 on the fitted initial condition/);
    expect(e.message.startsWith(e.rootCause ?? 'no root cause')).toBe(true);
  });

  it('a non-finite θ̇ later in the run is still retried (a smaller step may cure it)', async () => {
    const { ivp, sessions } = setup({ nanAfterSolves: 12 });
    const e = await evolveError(ivp);
    expect(e.reason).toBe('rejections');
    expect(sessions[0].solves).toBe(12 + 10);
    expect(e.message).toMatch(/^step failed: a non-finite value at stage 0 .*10 consecutive failed steps at t = /);
  });
});

describe('neural-ivp run: the cause on stderr and in metrics.json', () => {
  it('prints the refused dense solve and records it as the reason the run stopped', async () => {
    const out = path.join(root, 'dense');
    const r = await cli(['run', 'heat', '--T', '0.5', '--out', out, '--grid', '4', '--no-restarts'], {
      createSession: fakeFactory({ stageError: () => new Error(DENSE_REFUSAL) }).make,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`warning: The run stopped early: ${DENSE_REFUSAL}`);
    const m = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8'));
    expect(m.status).toBe('incomplete');
    expect(m.stopped).toEqual({ reason: 'error', t: 0, cause: DENSE_REFUSAL });
  });

  it('records a non-finite θ̇ at t = 0 in words, and a spent budget by its reason alone', async () => {
    const nan = path.join(root, 'nan');
    const r = await cli(['run', 'heat', '--T', '0.5', '--out', nan, '--grid', '4', '--quiet', '--no-restarts'], {
      createSession: fakeFactory({ nanAfterSolves: 0 }).make,
    });
    expect(r.code).toBe(1);
    const m = JSON.parse(await readFile(path.join(nan, 'metrics.json'), 'utf8'));
    expect(m.stopped.cause).toMatch(/^θ̇ is not finite at t = 0 on the fitted initial condition/);

    const slow = path.join(root, 'slow');
    const budget = await cli(['run', 'heat', '--T', '100', '--max-seconds', '0.2', '--out', slow, '--grid', '4'], {
      createSession: fakeFactory({ delayMs: 5 }).make,
    });
    expect(budget.code).toBe(1);
    const b = JSON.parse(await readFile(path.join(slow, 'metrics.json'), 'utf8'));
    expect(b.stopped.reason).toBe('maxSeconds');
    expect(b.stopped.cause).toMatch(
      /^evolve stopped at t = .* \(maxSeconds\): the budget of maxSeconds = 0\.2 s ran out$/,
    );
  });
});

// With the native addon: θ of a width-65536, depth-64 network (2.7e11 parameters, 2.2 TB) is more
// than any machine here holds. The addon refuses it before allocating, whatever the kernel's
// overcommit mode (where it overcommits, the allocation itself would be granted and drawing θ
// would fill the memory page by page).
const THETA_REFUSAL =
  /^network\.width\/depth: θ has \d+ parameters, 2\.2 TB in float64, more than this machine's [0-9.]+ [kMGT]?B of memory$/;

describe('native allocations that cannot succeed (native addon)', () => {
  it('the addon itself throws an OutOfMemoryError without the C++ trace', () => {
    const Network = native().Network as unknown as new (
      config: Record<string, unknown>,
    ) => { initialParameters(seed: number): Float64Array };
    const network = new Network({ dim: 2, width: 65536, depth: 64, lower: [-1, -1], upper: [1, 1] });
    let error: unknown;
    try {
      network.initialParameters(0);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe('OutOfMemoryError');
    const { neededBytes, limitBytes } = error as { neededBytes?: number; limitBytes?: number };
    expect(neededBytes).toBeGreaterThan(2e12); // θ: 2.7e11 doubles
    expect(limitBytes).toBeGreaterThan(0);
    expect(limitBytes).toBeLessThan(neededBytes as number);
    expect((error as Error).message).toMatch(THETA_REFUSAL);
    expect((error as Error).message).not.toMatch(/frame #|Exception raised from/);
  });

  it('an OutOfMemoryError with the bytes asked for and no C++ trace, before the fit does anything', async () => {
    const ivp = new NeuralIVP(
      {
        problem: problems.heat({ dim: 2 }),
        device: 'cpu',
        network: { width: 65536, depth: 64 },
        fit: { steps: 1, headTuning: false },
      },
      { freeMemory: () => null }, // past the estimate, to reach the native allocation
    );
    const error = await ivp.fit().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutOfMemoryError);
    const e = error as OutOfMemoryError;
    expect(e.neededBytes).toBe(8 * ivp.parameterCount);
    expect(e.message.replace(/^out of memory: /, '')).toMatch(THETA_REFUSAL);
    expect(e.message).not.toMatch(/frame #|Exception raised from/);
  });
});
