// NeuralIVP's driver logic against the JavaScript fake session (no native code): θ̇ = −θ.
import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { defineProblem } from '../ts/problem/define';
import { ops } from '../ts/problem/ops';
import { problems } from '../ts/problems/index';
import { EvolveError, type EvolveProgress, NeuralIVP, type NeuralIVPWarning } from '../ts/solver/neural-ivp';
import type { NeuralIVPOptions } from '../ts/solver/options';
import { decodeSolution, encodeSolution } from '../ts/solver/save-format';
import { relativeError } from './helpers/random';
import { type FakeSessionOptions, fakeFactory } from './solver-fake-session';

const heat = problems.heat({ dim: 2 });

function setup(
  options: Partial<NeuralIVPOptions> = {},
  fake: FakeSessionOptions = {},
  maxRestarts?: number,
): { ivp: NeuralIVP; sessions: ReturnType<typeof fakeFactory>['sessions'] } {
  const { make, sessions } = fakeFactory(fake);
  const ivp = new NeuralIVP(
    { problem: heat, device: 'cpu', restarts: false, integrator: { method: 'rk23', rtol: 1e-4 }, ...options },
    { createSession: make, maxRestarts },
  );
  return { ivp, sessions };
}

/**
 * A run cut in an attempt kept its accepted steps: θ at the last follows θ̇ = −θ from θ0, and only
 * θ0 and the solution's states are live (the cut attempt left nothing behind).
 */
function expectKeptSteps(e: EvolveError, session: { store: Map<number, Float64Array> }): void {
  const { solution } = e;
  expect(
    relativeError(
      solution.theta(e.t),
      solution.theta(0).map((x) => x * Math.exp(-e.t)),
    ),
  ).toBeLessThan(1e-4);
  expect(session.store.size).toBe(1 + solution.times.length);
}

describe('NeuralIVP (fake session)', () => {
  it('validates options before any native work', () => {
    const { make, sessions } = fakeFactory();
    expect(() => new NeuralIVP({ problem: heat, samples: 3 }, { createSession: make })).toThrow(SpecError);
    expect(() => new NeuralIVP({} as NeuralIVPOptions, { createSession: make })).toThrow(SpecError);
    expect(sessions).toHaveLength(0);
    const ivp = new NeuralIVP(heat, { createSession: make });
    expect(ivp.options.samples).toEqual({ count: 4000, heldOut: 1000, sequence: 'sobol', importance: false });
    expect(sessions).toHaveLength(0);
  });

  it('reports parameterCount and device', () => {
    const { ivp, sessions } = setup({}, { p: 9 });
    expect(ivp.device).toBe('cpu');
    expect(ivp.parameterCount).toBe(9);
    expect(sessions[0].config.network).toMatchObject({ dim: 2, fields: 1, dirichlet: true, device: 'cpu' });
    expect(sessions[0].config.plan).toBe(heat.plan);
  });

  it('hands the session a tagged linear config: a dense solve carries no CG fields', () => {
    const dense = setup({ linear: { method: 'dense', mu: 1e-5 } });
    expect(dense.ivp.parameterCount).toBe(6);
    expect(dense.sessions[0].config.linear).toEqual({ method: 'dense', mu: 1e-5, muScale: 'solution' });
    const pcg = setup({ linear: { rank: 7 }, samples: 64, seed: 5, memoryBudget: 2 ** 21 });
    expect(pcg.ivp.parameterCount).toBe(6);
    expect(pcg.sessions[0].config).toMatchObject({
      linear: {
        method: 'pcg',
        tol: 1e-8,
        maxIters: 1000,
        rank: 7,
        mu: 1e-6,
        muScale: 'solution',
        mixedPrecision: false,
        reusePreconditioner: true,
      },
      samples: 64,
      sampling: { sequence: 'sobol', importance: null },
      seed: 5,
      memoryBudget: 2 ** 21,
    });
  });

  it('fit() resolves to a FitReport and passes the fit options, steps capping the iterations', async () => {
    const { ivp, sessions } = setup({ fit: { steps: 7, batch: 10, headSamples: 20, lr: 0.01, tol: 1e-5 } });
    const r = await ivp.fit();
    expect(r).toMatchObject({
      relativeError: 1e-3,
      iterations: 7,
      method: 'gauss-newton',
      stopped: 'steps',
      tol: 1e-5,
      headTuned: true,
    });
    expect(r.seconds).toBeGreaterThanOrEqual(0);
    expect(sessions[0].lastFitConfig).toEqual({
      method: 'gauss-newton',
      maxIterations: 7,
      tol: 1e-5,
      maxSeconds: 60,
      lr: 0.01,
      batch: 10,
      samples: 2000,
      maxSamples: 16_000,
      rank: 100,
      warmupSteps: 0,
      headTuning: true,
      headSamples: 20,
    });
    expect(sessions[0].lastPool).toBeNull();
    // No tolerance and no time limit reach the session as 0.
    const adam = setup({ fit: { method: 'adam', tol: null, maxSeconds: null } });
    await adam.ivp.fit();
    expect(adam.sessions[0].lastFitConfig).toMatchObject({
      method: 'adam',
      maxIterations: 50_000,
      tol: 0,
      maxSeconds: 0,
    });
  });

  it('fits a problem given by initialValues on a seeded pool, calling the function once per fit', async () => {
    let calls = 0;
    const byValues = defineProblem({
      dim: 2,
      domain: { lower: [0, -2], upper: [1, 2] },
      boundary: 'none',
      fields: ['u', 'v'],
      initialValues: (points, n) => {
        calls++;
        const out = new Float64Array(n * 2);
        for (let i = 0; i < n; i++) out[2 * i] = points[2 * i] + points[2 * i + 1];
        return out;
      },
      rhs: ({ u, v }) => ({ u: v, v: ops.lap(u) }),
    });
    const pools = [];
    for (let k = 0; k < 2; k++) {
      const { make, sessions } = fakeFactory();
      // Resolving the options reads u0's shape at pilot points (initial-shape.ts); the fit then
      // calls the function once, on its pool.
      const ivp = new NeuralIVP(
        { problem: byValues, device: 'cpu', fit: { batch: 100, samples: 50, headSamples: 300 } },
        { createSession: make },
      );
      const before = calls;
      await ivp.fit();
      expect(calls - before).toBe(1);
      pools.push(sessions[0].lastPool);
    }
    const pool = pools[0];
    if (pool === null || pools[1] === null) throw new Error('no pool');
    expect(pool.points.length).toBe(400 * 2); // max(4·max(batch, samples), headSamples) points
    expect(pool.values.length).toBe(400 * 2);
    // Boundary 'none': the pool fills the domain grown by the default margin, half a half-width.
    const x = pool.points.filter((_, j) => j % 2 === 0);
    const y = pool.points.filter((_, j) => j % 2 === 1);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-0.25);
    expect(Math.max(...x)).toBeLessThanOrEqual(1.25);
    expect(Math.min(...x)).toBeLessThan(-0.2); // the margin is sampled
    expect(Math.max(...y.map(Math.abs))).toBeLessThanOrEqual(3);
    expect(Math.max(...y.map(Math.abs))).toBeGreaterThan(2.9);
    expect(pools[1].points).toEqual(pool.points); // seeded
  });

  it('retries an attempt whose θ̇ misses f between its samples once, with fresh samples and a smaller step', async () => {
    // The third attempt's first θ̇ misses f on its held-out points (0.5 against 0.01 on its samples).
    const { ivp, sessions } = setup({}, { heldOutResidual: (attempt) => (attempt === 3 ? 0.5 : 0.03) });
    const sol = await ivp.evolve(0.2);
    const s = sessions[0];
    expect(sol.stats.rejectedSteps).toBe(1);
    expect(s.resamples).toBe(sol.stats.steps + 1);
    // The retried attempt stopped at its first stage: three stages fewer than a whole rk23 attempt.
    expect(sol.stats.dynamicsEvaluations).toBe(4 * sol.stats.steps + 1);
    expect(sol.history.map((r) => r.heldOutResidual)).toEqual(sol.history.map(() => 0.03));
    // The retry's step is a quarter of the one that missed: the third step of a run without it.
    const plain = await setup().ivp.evolve(0.2);
    expect(sol.history.slice(0, 2)).toEqual(plain.history.slice(0, 2));
    expect(sol.history[2].h).toBeCloseTo(plain.history[2].h / 4, 12);
    expect(
      relativeError(
        sol.theta(0.2),
        sol.theta(0).map((x) => x * Math.exp(-0.2)),
      ),
    ).toBeLessThan(1e-3);
    expect(s.store.size).toBeLessThanOrEqual(sol.times.length + 1); // the missed stage was released
  });

  it("stops retrying after three steps whose retry missed again: the gap is the network's", async () => {
    const { ivp } = setup({}, { heldOutResidual: 0.5 });
    const sol = await ivp.evolve(0.2);
    expect(sol.stats.rejectedSteps).toBe(3);
    expect(sol.history.every((r) => r.heldOutResidual === 0.5)).toBe(true);
  });

  it('evolve integrates θ̇ = −θ, saves at saveAt, resamples before every attempt, no FSAL', async () => {
    const { ivp, sessions } = setup();
    const progress: EvolveProgress[] = [];
    const sol = await ivp.evolve(1, { saveAt: [0, 0.5, 1], onProgress: (p) => progress.push(p) });
    const s = sessions[0];
    expect(sol.times).toEqual([0, 0.5, 1]);
    const theta0 = sol.theta(0);
    expect(
      relativeError(
        sol.theta(1),
        theta0.map((x) => x * Math.exp(-1)),
      ),
    ).toBeLessThan(1e-3);
    expect(
      relativeError(
        sol.theta(0.5),
        theta0.map((x) => x * Math.exp(-0.5)),
      ),
    ).toBeLessThan(1e-3);
    const attempts = sol.stats.steps + sol.stats.rejectedSteps;
    expect(s.resamples).toBe(attempts);
    expect(sol.stats.dynamicsEvaluations).toBe(4 * attempts); // rk23 without FSAL: 4 solves per attempt
    expect(sol.stats.cgIterations).toBe(10 * sol.stats.dynamicsEvaluations);
    expect(sol.history).toHaveLength(sol.stats.steps);
    // The fake's stage seconds: sampling and the held-out residual 1 ms each on an attempt's
    // first stage, jets 2 ms, one preconditioner built (1 ms), CG 1 ms per iteration.
    const stage = (first: boolean) => ({
      sampling: first ? 0.001 : 0,
      jets: 0.002,
      plan: 0,
      linearization: 0,
      preconditioner: 0.001,
      cg: 0.01,
      heldOut: first ? 0.001 : 0,
    });
    const close = (x: number) => expect.closeTo(x, 12);
    expect(sol.history[0]).toEqual({
      t: 0,
      h: 20 * 1e-4,
      cgIterations: 40,
      residual: 0.01,
      heldOutResidual: 0.03, // the first stage's: it drew the attempt's samples
      restarted: false,
      cost: {
        sampling: close(0.001),
        jets: close(0.008),
        plan: 0,
        linearization: 0,
        preconditioner: close(0.004),
        cg: close(0.04),
        heldOut: close(0.001),
        stages: [stage(true), stage(false), stage(false), stage(false)],
        preconditionerRank: 20,
        preconditionerAge: 0,
      },
    });
    const evaluations = sol.stats.dynamicsEvaluations;
    expect(sol.stats.solveSeconds).toEqual({
      sampling: close(0.001 * attempts),
      jets: close(0.002 * evaluations),
      plan: 0,
      linearization: 0,
      preconditioner: close(0.001 * evaluations),
      cg: close(0.01 * evaluations),
      heldOut: close(0.001 * attempts),
    });
    expect(progress).toHaveLength(sol.stats.steps);
    expect(progress.map((p) => p.cost)).toEqual(sol.history.map((r) => r.cost));
    expect(progress[progress.length - 1]).toMatchObject({ t: 1, T: 1, step: sol.stats.steps, restarts: 0 });
    expect(sol.stats.restarts).toBe(0);
    // θ0 stays in the solver's session, and the solution holds one handle per saved time
    expect(s.store.size).toBe(1 + sol.times.length);
  });

  it('rk45 takes 7 solves per attempt', async () => {
    const { ivp } = setup({ integrator: { method: 'rk45', rtol: 1e-4 } });
    const sol = await ivp.evolve(0.5);
    expect(sol.times).toEqual([0, 0.5]);
    expect(sol.stats.dynamicsEvaluations).toBe(7 * (sol.stats.steps + sol.stats.rejectedSteps));
  });

  it("integrator.method 'rkc': one sample draw per attempt for f, ρ and the stages; θ̇ = −50θ followed", async () => {
    const { ivp, sessions } = setup({ integrator: { method: 'rkc', rtol: 1e-4 } }, { rate: 50 });
    const sol = await ivp.evolve(0.04, { saveAt: [0, 0.02, 0.04] });
    const s = sessions[0];
    const theta0 = sol.theta(0);
    // A second-order method's global error: within 10·rtol of ‖θ0‖ (the error scale).
    for (const t of [0.02, 0.04]) {
      const exact = theta0.map((x) => x * Math.exp(-50 * t));
      expect(relativeError(sol.theta(t), exact) * Math.exp(-50 * t)).toBeLessThan(1e-3);
    }
    expect(s.resamples).toBe(sol.stats.steps + sol.stats.rejectedSteps);
    // Power iteration on θ̇ = −50θ finds 50 exactly; each step records h·ρ.
    for (const r of sol.history) expect((r.stiffness as number) / r.h).toBeCloseTo(50, 6);
    expect(s.store.size).toBe(1 + sol.times.length);
  });

  it("integrator.errorNorm 'function': the session's relative norm is compared with rtol itself", async () => {
    const run = async (errorNorm: 'parameters' | 'function') => {
      const { ivp, sessions } = setup({ integrator: { method: 'rk23', rtol: 1e-4, errorNorm } });
      const sol = await ivp.evolve(1);
      return { steps: sol.stats.steps, norms: new Set(sessions[0].errorNorms) };
    };
    const parameters = await run('parameters');
    const fn = await run('function');
    expect([...parameters.norms]).toEqual(['parameters']);
    expect([...fn.norms]).toEqual(['function']);
    // The fake's norm is ‖err‖₂ either way; the parameter norm is scaled by ‖θ₀‖₂ ≈ 3.1, so the
    // function norm's test, ‖err‖ ≤ rtol, is the stricter one here.
    expect(fn.steps).toBeGreaterThan(parameters.steps);
  });

  it('validates T and saveAt', async () => {
    const { ivp, sessions } = setup();
    await expect(ivp.evolve(0)).rejects.toThrow(RangeError);
    await expect(ivp.evolve(Number.POSITIVE_INFINITY)).rejects.toThrow(/T must be/);
    await expect(ivp.evolve(1, { saveAt: [0, 2] })).rejects.toThrow(/saveAt\[1\]/);
    await expect(ivp.evolve(1, { saveAt: [0.5, 0.2] })).rejects.toThrow(/saveAt must be strictly increasing/);
    await expect(ivp.evolve(1, { saveAt: [Number.NaN] })).rejects.toThrow(/saveAt\[0\]/);
    await expect(ivp.evolve(1, { saveAt: [] })).rejects.toThrow(/saveAt/);
    expect(sessions).toHaveLength(0);
  });

  it('a second evolve starts again from θ0', async () => {
    const { ivp, sessions } = setup();
    const a = await ivp.evolve(0.5);
    const b = await ivp.evolve(0.5);
    expect(b.theta(0)).toEqual(a.theta(0));
    expect(relativeError(b.theta(0.5), a.theta(0.5))).toBeLessThan(1e-12);
    expect(sessions[0].fits).toBe(1);
    expect(sessions[0].store.size).toBe(1 + a.times.length + b.times.length);
  });

  it('conditioning restarts refit θ, mark the history and lower the CG iterations', async () => {
    const growing = (age: number): number => 10 + 2 * age; // conditioning worsens since the last fit
    // An initial fit within the refit bound (10× fit.tol), or no restart would be tried.
    const plain = await setup({ restarts: false }, { cg: growing, fitError: 1e-5 }).ivp.evolve(1);
    const { ivp, sessions } = setup({ restarts: { cgIterations: 60 } }, { cg: growing, fitError: 1e-5 });
    const sol = await ivp.evolve(1);
    expect(sol.stats.restarts).toBeGreaterThan(0);
    expect(sol.stats.restarts).toBeLessThanOrEqual(10);
    expect(sessions[0].refits).toBe(sol.stats.restarts);
    expect(sol.history.filter((r) => r.restarted)).toHaveLength(sol.stats.restarts);
    const mean = (s: typeof sol): number => s.stats.cgIterations / s.stats.dynamicsEvaluations;
    expect(mean(sol)).toBeLessThan(mean(plain));
    // the refit here returns the same θ: the result is unchanged
    expect(relativeError(sol.theta(1), plain.theta(1))).toBeLessThan(1e-3);
    expect(sessions[0].store.size).toBe(1 + sol.times.length);
  });

  it('restarts are capped (maxRestarts)', async () => {
    const integrator = { method: 'rk23', rtol: 1e-6 } as const; // enough steps to exceed the caps
    const { ivp } = setup({ integrator, restarts: { cgIterations: 1 } }, { fitError: 1e-5 }, 3);
    const sol = await ivp.evolve(1);
    expect(sol.stats.steps).toBeGreaterThan(20);
    expect(sol.stats.restarts).toBe(3);
    const dflt = await setup({ integrator, restarts: { cgIterations: 1 } }, { fitError: 1e-5 }).ivp.evolve(1);
    expect(dflt.stats.restarts).toBe(10);
  });

  it('abort rejects with an AbortError promptly, cancels native work, and leaves the instance usable', async () => {
    const { ivp, sessions } = setup({}, { delayMs: 20 });
    await ivp.fit();
    const controller = new AbortController();
    const run = ivp.evolve(1, { signal: controller.signal });
    const s = sessions[0];
    let solvesAtAbort = -1;
    setTimeout(() => {
      solvesAtAbort = s.solves;
      controller.abort();
    }, 100);
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('AbortError');
    // promptly: the stage in flight was cancelled (it never completed) and no other one started
    expect(solvesAtAbort).toBeGreaterThan(0);
    expect(s.solves).toBe(solvesAtAbort);
    expect(s.cancels).toBe(1);
    // the instance still works, from θ0
    s.options.delayMs = 0;
    const sol = await ivp.evolve(0.3);
    expect(sol.times).toEqual([0, 0.3]);
    expect(s.store.size).toBe(1 + sol.times.length); // nothing of the aborted run is left
    // an already aborted signal rejects at once
    await expect(ivp.evolve(1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a persistent non-finite θ̇ rejects with an EvolveError holding the work done', async () => {
    const { ivp, sessions } = setup({}, { nanAfterSolves: 12 });
    const error = await ivp.evolve(1, { saveAt: [0, 0.001, 1] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EvolveError);
    const e = error as EvolveError;
    expect(e.name).toBe('EvolveError');
    expect(e.reason).toBe('rejections');
    expect(e.t).toBeGreaterThan(0.001);
    const sol = e.solution;
    expect(sol.times).toEqual([0, 0.001, e.t]);
    expect(
      relativeError(
        sol.theta(e.t),
        sol.theta(0).map((x) => x * Math.exp(-e.t)),
      ),
    ).toBeLessThan(1e-3);
    expect(sol.stats.steps).toBe(sol.history.length);
    expect(sol.evaluate([[0, 0]], e.t)).toHaveLength(1);
    expect(sessions[0].store.size).toBe(1 + sol.times.length);
  });

  it('maxSeconds stops evolve with an EvolveError holding the saved times reached', async () => {
    const { ivp } = setup({ integrator: { method: 'rk45', rtol: 1e-7 } }, { delayMs: 5 });
    const error = await ivp.evolve(100, { saveAt: [0, 0.01, 100], maxSeconds: 0.3 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EvolveError);
    const e = error as EvolveError;
    expect(e.reason).toBe('maxSeconds');
    expect(e.t).toBeGreaterThan(0.01);
    expect(e.t).toBeLessThan(100);
    expect(e.solution.times).toEqual([0, 0.01, e.t]);
    expect(
      relativeError(
        e.solution.theta(e.t),
        e.solution.theta(0).map((x) => x * Math.exp(-e.t)),
      ),
    ).toBeLessThan(1e-3);
    // the instance stays usable
    const sol = await ivp.evolve(0.02);
    expect(sol.times).toEqual([0, 0.02]);
  });

  it('maxSeconds cuts a slow attempt at the budget and returns what was accepted before it', async () => {
    // The first 30 solves are instant; from then on every solve would take 20 s unless cancelled.
    let slow = true;
    const { ivp, sessions } = setup(
      { integrator: { method: 'rk45', rtol: 1e-6 } },
      { delayMs: (solves) => (solves >= 30 && slow ? 20_000 : 0) },
    );
    await ivp.fit();
    const started = performance.now();
    const error = await ivp.evolve(100, { maxSeconds: 0.4 }).then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = (performance.now() - started) / 1000;
    expect(error).toBeInstanceOf(EvolveError);
    const e = error as EvolveError;
    expect(e.reason).toBe('maxSeconds');
    expect(elapsed).toBeGreaterThanOrEqual(0.39);
    expect(elapsed).toBeLessThan(0.4 + 0.3);
    expect(sessions[0].cancels).toBe(1);
    expect(e.t).toBeGreaterThan(0);
    expect(e.solution.times).toEqual([0, e.t]);
    expect(e.solution.stats.steps).toBeGreaterThanOrEqual(1);
    expect(e.solution.history).toHaveLength(e.solution.stats.steps);
    expectKeptSteps(e, sessions[0]);
    slow = false;
    expect((await ivp.evolve(0.02)).times).toEqual([0, 0.02]);
  });

  it('stop ends evolve in the attempt in flight with an EvolveError holding what was reached', async () => {
    // The first 30 solves are instant; from then on every solve would take 20 s unless cancelled.
    let slow = true;
    const { ivp, sessions } = setup(
      { integrator: { method: 'rk45', rtol: 1e-6 } },
      { delayMs: (solves) => (solves >= 30 && slow ? 20_000 : 0) },
    );
    await ivp.fit();
    const stop = new AbortController();
    const started = performance.now();
    const timer = setTimeout(() => stop.abort(new Error('interrupted (SIGTERM)')), 200);
    const error = await ivp.evolve(100, { saveAt: [0, 1e-3, 100], stop: stop.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    clearTimeout(timer);
    expect((performance.now() - started) / 1000).toBeLessThan(5);
    expect(error).toBeInstanceOf(EvolveError);
    const e = error as EvolveError;
    expect(e.reason).toBe('stopped');
    expect(e.rootCause).toBeNull();
    expect(e.message).toMatch(
      /^evolve stopped at t = \S+ of T = 100 \(stopped\): stopped by the caller: interrupted \(SIGTERM\)$/,
    );
    expect(sessions[0].cancels).toBe(1);
    expect(e.t).toBeGreaterThan(1e-3);
    expect(e.solution.times).toEqual([0, 1e-3, e.t]);
    expectKeptSteps(e, sessions[0]);
    // The instance stays usable.
    slow = false;
    expect((await ivp.evolve(0.02)).times).toEqual([0, 0.02]);
  });

  it('a stop fired during the fit that evolve runs keeps the fitted θ at t = 0', async () => {
    const { ivp } = setup();
    const e = (await ivp.evolve(1, { stop: AbortSignal.abort() }).catch((x: unknown) => x)) as EvolveError;
    expect(e).toBeInstanceOf(EvolveError);
    expect(e.reason).toBe('stopped');
    expect(e.t).toBe(0);
    expect(e.solution.times).toEqual([0]);
    expect(e.solution.stats.fit?.relativeError).toBe(1e-3);
  });

  it('rejects a stop that is not an AbortSignal before any work', async () => {
    const { ivp, sessions } = setup();
    await expect(ivp.evolve(1, { stop: {} as AbortSignal })).rejects.toThrow(
      new TypeError('evolve(): stop must be an AbortSignal'),
    );
    expect(sessions).toHaveLength(0);
  });

  it('rejects a bad maxSeconds before any work', async () => {
    const { ivp, sessions } = setup();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      await expect(ivp.evolve(1, { maxSeconds: bad as number })).rejects.toThrow(/evolve: maxSeconds/);
    }
    expect(sessions).toHaveLength(0);
  });

  it("a solution measures on the evolve's session and releases its handles when collected", async () => {
    const { ivp, sessions } = setup();
    expect(sessions).toHaveLength(0);
    const measure = async (): Promise<number> => {
      const sol = await ivp.evolve(0.5, { saveAt: [0, 0.25, 0.5] });
      expect(await sol.residual(0.25)).toBe(0.01);
      expect(await sol.error(0.5)).toBe(0.02);
      return sol.times.length;
    };
    const saved = await measure();
    const session = sessions[0];
    expect(sessions).toHaveLength(1); // no second session for the measurements
    expect(session.measurements.size).toBe(1);
    expect(session.store.size).toBe(1 + saved);
    // Once the solution is collected, its handles and its measurement are released.
    for (let i = 0; i < 50 && session.store.size > 1; i++) {
      globalThis.gc?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(session.store.size).toBe(1);
    expect(session.measurements.size).toBe(0);
  });
});

describe('warnings: said through the process, or the warn hook', () => {
  const make = (fake: FakeSessionOptions, warn?: (w: NeuralIVPWarning) => void) =>
    new NeuralIVP(
      { problem: heat, device: 'cpu', restarts: false, fit: { allowPoorFit: true } },
      { createSession: fakeFactory(fake).make, ...(warn === undefined ? {} : { warn }) },
    );

  it('a fit above its tolerance is a process warning NIVP_FIT_TOLERANCE with the figures', async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    try {
      await make({ fitError: 3e-4 }).fit();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', listener);
    }
    const fit = seen.filter((w) => (w as Error & { code?: string }).code === 'NIVP_FIT_TOLERANCE');
    expect(fit).toHaveLength(1);
    expect(fit[0].message).toMatch(/relative error of 3\.00e-4, above its tolerance 1\.0e-5/);
    // The fake fit stops at its iteration cap with one traced error: the advice is that option.
    expect(fit[0].message).toMatch(/what would help: fit\.maxIterations \(now \d+\): the fit ran out of iterations$/);
  });

  it("the fit's report carries the advice its warning words, and a saved solution keeps it", async () => {
    const ivp = make({ fitError: 3e-4 }, () => {});
    const report = await ivp.fit();
    expect(report.advice.map((a) => a.option)).toEqual(['fit.maxIterations']);
    const sol = await ivp.evolve(0.01);
    expect(sol.stats.fit?.advice).toEqual(report.advice);
    expect(decodeSolution(encodeSolution(sol.toData())).stats.fit?.advice).toEqual(report.advice);
    expect((await make({ fitError: 5e-6 }, () => {}).fit()).advice).toEqual([]);
  });

  it('a fit within its tolerance says nothing', async () => {
    const warnings: NeuralIVPWarning[] = [];
    await make({ fitError: 5e-6 }, (w) => warnings.push(w)).fit();
    expect(warnings).toEqual([]);
  });

  it('steps held at the stability limit are said once (NIVP_STIFF) with the dynamics rate; a smooth run says nothing', async () => {
    const stiffWarnings = async (rate: number) => {
      const warnings: NeuralIVPWarning[] = [];
      const progress: EvolveProgress[] = [];
      await make({ fitError: 5e-6, rate }, (w) => warnings.push(w)).evolve(0.1, {
        onProgress: (p) => progress.push(p),
      });
      return { said: warnings.filter((w) => w.code === 'NIVP_STIFF'), progress };
    };
    // θ̇ = −2000·θ: RK45 is held near h = 3.3/2000 whatever rtol.
    const stiff = await stiffWarnings(2000);
    expect(stiff.said).toHaveLength(1);
    const rate = Number(/ρ ≈ ([0-9.e+-]+)/.exec(stiff.said[0].message)?.[1]);
    expect(rate).toBe(2000);
    expect(stiff.said[0].message).toMatch(/rk45's stability limit/);
    const late = stiff.progress.slice(-20);
    for (const p of late) expect(p.stiffness / p.h).toBeCloseTo(2000, 6);
    expect(stiff.progress.length).toBeGreaterThan(50);
    const smooth = await stiffWarnings(1);
    expect(smooth.said).toEqual([]);
    for (const p of smooth.progress) expect(p.stiffness).toBeLessThan(1);
  });

  it("a stiff run with many steps left goes on with 'rkc' and says so; integrator.stiffSwitch: false keeps rk45", async () => {
    const run = async (stiffSwitch: boolean) => {
      const warnings: NeuralIVPWarning[] = [];
      const progress: EvolveProgress[] = [];
      const ivp = new NeuralIVP(
        {
          problem: heat,
          device: 'cpu',
          restarts: false,
          fit: { allowPoorFit: true },
          integrator: { stiffSwitch },
        },
        { createSession: fakeFactory({ fitError: 5e-6, rate: 2000 }).make, warn: (w) => warnings.push(w) },
      );
      const sol = await ivp.evolve(0.5, { onProgress: (p) => progress.push(p) });
      return { sol, said: warnings.filter((w) => w.code === 'NIVP_STIFF'), found: progress.filter((p) => p.stiff) };
    };
    const switched = await run(true);
    expect(switched.said).toHaveLength(1);
    expect(switched.said[0].message).toMatch(/goes on with 'rkc'/);
    expect(switched.found).toHaveLength(1);
    expect(switched.found[0].stiff).toMatchObject({ switchedTo: 'rkc', decay: expect.closeTo(1, 6) });
    expect((switched.found[0].stiff?.rho as number) / 2000).toBeCloseTo(1, 6);
    const kept = await run(false);
    expect(kept.said).toHaveLength(1);
    expect(kept.said[0].message).toMatch(/integrator: \{ stiffSwitch: true \} would go on with 'rkc'/);
    expect(kept.found[0].stiff?.switchedTo).toBeUndefined();
    // θ̇ = −2000·θ to T = 0.5: RK45 needs T·ρ/3.3 ≈ 300 steps of 7 solves.
    expect(kept.sol.stats.dynamicsEvaluations).toBeGreaterThan(1500);
    expect(switched.sol.stats.dynamicsEvaluations).toBeLessThan(kept.sol.stats.dynamicsEvaluations / 3);
  });

  it('a held-out gap over the first steps is said once, when the third step is accepted', async () => {
    const warnings: { warning: NeuralIVPWarning; stepsSeen: number }[] = [];
    const steps: number[] = [];
    const ivp = make({ fitError: 5e-6, heldOutResidual: 0.5 }, (warning) =>
      warnings.push({ warning, stepsSeen: steps.length }),
    );
    await ivp.evolve(0.1, { onProgress: (p) => steps.push(p.step) });
    expect(steps.length).toBeGreaterThan(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].warning.code).toBe('NIVP_HELD_OUT_GAP');
    expect(warnings[0].stepsSeen).toBe(2); // said before the third step's progress reaches the caller
    expect(warnings[0].warning.message).toMatch(/not on held-out points \(median 5\.00e-1\)/);
  });
});
