import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutOfMemoryError, SpecError } from '../ts/errors';
import { defineProblem } from '../ts/problem/define';
import { ops } from '../ts/problem/ops';
import { problems } from '../ts/problems/index';
import { resolveOptions } from '../ts/solver/options';
import {
  decodeFloat64,
  decodeSolution,
  encodeFloat64,
  encodeSolution,
  FORMAT_NAME,
  FORMAT_VERSION,
  type SolutionData,
  SolutionFileError,
  writeFileAtomic,
} from '../ts/solver/save-format';
import { Solution } from '../ts/solver/solution';
import { solutionConfig } from './helpers/solution-config';
import { fakeFactory } from './solver-fake-session';

const P = 6;

/** One stage's seconds by part (the history's one step has one stage). */
const STAGE_SECONDS = {
  sampling: 0.001,
  jets: 0.02,
  plan: 0.001,
  linearization: 0,
  preconditioner: 0.01,
  cg: 0.1,
  heldOut: 0.001,
};

/** A Solution of the 2D heat problem with hand-made θs, evaluated by the fake session. */
function makeData(problem = problems.heat({ dim: 2 }), times = [0, 0.25, 0.5]): SolutionData {
  const resolved = resolveOptions({ problem, samples: 500, seed: 3, memoryBudget: 2 ** 30 });
  return {
    config: solutionConfig(resolved, P),
    times,
    thetas: times.map((t, k) => Float64Array.from({ length: P }, (_, i) => (k + 1) * (i + 1) + t)),
    stats: {
      steps: 7,
      rejectedSteps: 1,
      dynamicsEvaluations: 32,
      cgIterations: 640,
      restarts: 1,
      seconds: 1.5,
      solveSeconds: {
        sampling: 0.01,
        jets: 0.2,
        plan: 0.01,
        linearization: 0,
        preconditioner: 0.1,
        cg: 1,
        heldOut: 0.01,
      },
      fit: {
        relativeError: 2e-6,
        seconds: 0.5,
        iterations: 12,
        method: 'gauss-newton',
        stopped: 'tol',
        tol: 1e-5,
        message: 'reached the tolerance',
        rejectedSteps: 2,
        cgIterations: 90,
        samples: 2000,
        headTuned: false,
        advice: [],
        rateFeatures: null,
      },
    },
    history: [
      {
        t: 0,
        h: 0.1,
        cgIterations: 40,
        residual: 0.01,
        heldOutResidual: 0.02,
        stiffness: 3.27,
        restarted: false,
        cost: { ...STAGE_SECONDS, stages: [STAGE_SECONDS], preconditionerRank: 120, preconditionerAge: 3 },
      },
      {
        t: 0.1,
        h: 0.15,
        cgIterations: 80,
        residual: Number.NaN,
        heldOutResidual: Number.NaN,
        stiffness: Number.NaN,
        restarted: true,
      },
    ],
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'neural-ivp-solution-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Solution: arguments', () => {
  const { make, sessions } = fakeFactory({ p: P });
  const sol = new Solution(makeData(), make);

  it('exposes times, stats and history', () => {
    expect(sol.times).toEqual([0, 0.25, 0.5]);
    expect(sol.stats).toEqual(makeData().stats);
    expect(sol.stats.fit).toMatchObject({ method: 'gauss-newton', stopped: 'tol', relativeError: 2e-6 });
    expect(sol.history).toHaveLength(2);
    expect(sol.history[1]).toMatchObject({ t: 0.1, h: 0.15, cgIterations: 80, restarted: true });
    expect(sol.dim).toBe(2);
    expect(sol.fields).toEqual(['u']);
    expect(sol.name).toBe('heat-2d');
  });

  it('rejects a time that was not saved, naming the saved times', () => {
    expect(() => sol.evaluate(new Float64Array(2), 0.3)).toThrow(RangeError);
    expect(() => sol.evaluate(new Float64Array(2), 0.3)).toThrow(/t = 0\.3 is not a saved time.*0, 0\.25, 0\.5/);
    expect(() => sol.theta(1)).toThrow(/0, 0\.25, 0\.5/);
    expect(() => sol.evaluate(new Float64Array(2), Number.NaN)).toThrow(RangeError);
    expect(() => sol.evaluate(new Float64Array(2), '0' as unknown as number)).toThrow(TypeError);
  });

  it('takes a time within round-off of a saved one as that time, and one just beyond it as no time', () => {
    // 0.7 − 0.45 is 0.25 less one ulp; 0.5·(1 + 1e-9) is no round-off.
    expect(0.7 - 0.45).not.toBe(0.25);
    expect(sol.theta(0.7 - 0.45)).toEqual(sol.theta(0.25));
    expect(sol.theta(0.5 - 2e-13)).toEqual(sol.theta(0.5));
    expect(() => sol.theta(0.5 * (1 + 1e-9))).toThrow(/is not a saved time/);
    expect(() => sol.theta(1e-13 + 1e-12)).toThrow(/is not a saved time/);
  });

  it('says how to pass a flat array of numbers', () => {
    expect(() => sol.evaluate([0.5, 0.5] as unknown as number[][], 0)).toThrow(
      /points\[0\] must be 2 coordinates \(D = 2\), got number: .*Float64Array\.from\(points\)/,
    );
  });

  it('rejects points of the wrong width, naming D', () => {
    expect(() => sol.evaluate(new Float64Array(5), 0)).toThrow(RangeError);
    expect(() => sol.evaluate(new Float64Array(5), 0)).toThrow(/D = 2/);
    expect(() =>
      sol.evaluate(
        [
          [0, 0],
          [0, 0, 0],
        ],
        0,
      ),
    ).toThrow(/points\[1\].*D = 2/);
    expect(() => sol.evaluate([[0, Number.NaN]], 0)).toThrow(/points\[0\]\[1\]/);
    expect(() => sol.evaluate(Float64Array.of(0, Number.POSITIVE_INFINITY), 0)).toThrow(RangeError);
    expect(() => sol.evaluate({ length: 2 } as unknown as Float64Array, 0)).toThrow(TypeError);
  });

  it('does no native work for bad arguments', () => {
    expect(sessions).toHaveLength(0);
  });

  it('evaluates n×k at a saved time, from either points layout, sync and async', async () => {
    const flat = Float64Array.of(0, 0, 0.5, -0.25);
    const a = sol.evaluate(flat, 0.25);
    const b = sol.evaluate(
      [
        [0, 0],
        [0.5, -0.25],
      ],
      0.25,
    );
    expect(a).toEqual(Float64Array.of(2.25, 2.25 * 1.25));
    expect(b).toEqual(a);
    expect(await sol.evaluateAsync(flat, 0.25)).toEqual(a);
    expect(sol.evaluate(new Float64Array(0), 0)).toHaveLength(0);
    expect(sessions).toHaveLength(1);
    // each θ is written to the session once
    sol.evaluate(flat, 0.25);
    expect(sessions[0].store.size).toBe(1);
  });

  it('residual and error resolve to numbers; async argument errors reject', async () => {
    expect(await sol.residual(0.5)).toBe(0.01);
    expect(await sol.error(0.5, 100)).toBe(0.02);
    await expect(sol.residual(0.4)).rejects.toThrow(RangeError);
    await expect(sol.error(0.5, 0)).rejects.toThrow(/samples/);
    await expect(sol.evaluateAsync(new Float64Array(3), 0)).rejects.toThrow(/D = 2/);
  });

  it('a measurement on too few points or on more than memory holds is refused before native work', async () => {
    const calls = sessions.length;
    await expect(sol.error(0.5, 3)).rejects.toThrow('Solution.error: samples must be an integer ≥ 16');
    // 2·10⁹ points of a 2D heat run: 2.5 kB each (points, jets, Jacobian caches), about 5 TB.
    const refusal = await sol.residual(0.5, 2e9).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(OutOfMemoryError);
    expect((refusal as OutOfMemoryError).neededBytes).toBeGreaterThan(4e12);
    expect((refusal as Error).message).toMatch(
      /^Solution\.residual: 2000000000 points need about \d+\.\d TB but only .* is free on this machine; pass fewer samples$/,
    );
    await expect(sol.error(0.5, 2e9)).rejects.toThrow(OutOfMemoryError);
    expect(sessions.length).toBe(calls);
  });

  it('error() rejects when the problem has no exact solution', async () => {
    const noExact = defineProblem({
      dim: 1,
      domain: { lower: 0, upper: 1 },
      boundary: 'none',
      fields: ['u'],
      initial: ({ x }) => ({ u: ops.sin(x[0]) }),
      rhs: ({ u }) => ({ u: u.neg() }),
    });
    const s = new Solution(makeData(noExact, [0]), fakeFactory({ p: P }).make);
    await expect(s.error(0)).rejects.toThrow(SpecError);
    await expect(s.error(0)).rejects.toThrow(/^problem\.exact: Solution\.error needs the exact solution/);
  });

  it('theta(t) returns a copy', () => {
    const th = sol.theta(0.5);
    th[0] = 1e9;
    expect(sol.theta(0.5)[0]).not.toBe(1e9);
  });
});

describe('save format', () => {
  it('encodes θ bit for bit', () => {
    const bytes = new Uint8Array(8 * 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff; // arbitrary bit patterns
    const odd = new Float64Array(bytes.buffer);
    const special = Float64Array.of(0, -0, 5e-324, -Number.MAX_VALUE, Math.PI, 1 / 3, Number.NaN);
    for (const values of [odd, special, new Float64Array(0)]) {
      const back = decodeFloat64(encodeFloat64(values), values.length);
      expect(new Uint8Array(back.buffer)).toEqual(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    // a subarray encodes only its own values
    const sub = special.subarray(2, 5);
    expect(decodeFloat64(encodeFloat64(sub), 3)).toEqual(Float64Array.from(sub));
    expect(() => decodeFloat64(encodeFloat64(special), 3)).toThrow(SolutionFileError);
    expect(() => decodeFloat64('not base64!', null)).toThrow(SolutionFileError);
  });

  it('round-trips a solution document', () => {
    const data = makeData();
    const back = decodeSolution(encodeSolution(data));
    expect(back.times).toEqual(data.times);
    back.thetas.forEach((th, i) => {
      expect(new Uint8Array(th.buffer)).toEqual(new Uint8Array(data.thetas[i].buffer));
    });
    expect(back.stats).toEqual(data.stats);
    expect(back.history[0]).toEqual(data.history[0]);
    expect(back.history[1].residual).toBeNaN();
    expect(back.history[1].heldOutResidual).toBeNaN();
    expect(back.history[1].stiffness).toBeNaN();
    expect(back.config.plan).toEqual(data.config.plan);
    expect(back.config.session).toEqual(data.config.session);
    expect(back.config.options).toEqual(JSON.parse(JSON.stringify(data.config.options)));
    expect(back.config.name).toBe('heat-2d');
    expect(back.config.params).toEqual({ dim: 2, diffusivity: 0.1 });
  });

  it("reads files without a fit report, and a failed fit's NaN error", () => {
    const doc = JSON.parse(encodeSolution(makeData()));
    delete doc.stats.fit;
    expect(decodeSolution(JSON.stringify(doc)).stats.fit).toBeUndefined();
    const failed = JSON.parse(encodeSolution(makeData()));
    failed.stats.fit.relativeError = null;
    failed.stats.fit.tol = null;
    expect(decodeSolution(JSON.stringify(failed)).stats.fit).toMatchObject({ relativeError: Number.NaN, tol: null });
    failed.stats.fit.stopped = 'tired';
    expect(() => decodeSolution(JSON.stringify(failed))).toThrow(/stats\.fit\.stopped/);
  });

  it("reads the fit's advice, absent from older files, and refuses a malformed one", () => {
    const doc = JSON.parse(encodeSolution(makeData()));
    const advice = [
      { option: 'network.decay', now: 2, reason: 'the octaves' },
      { option: 'network', now: null, reason: 'x' },
    ];
    doc.stats.fit.advice = advice;
    expect(decodeSolution(JSON.stringify(doc)).stats.fit?.advice).toEqual(advice);
    delete doc.stats.fit.advice;
    expect(decodeSolution(JSON.stringify(doc)).stats.fit?.advice).toEqual([]);
    doc.stats.fit.advice = 'more time';
    expect(() => decodeSolution(JSON.stringify(doc))).toThrow('stats.fit.advice: expected an array');
    doc.stats.fit.advice = [{ option: 'fit.maxSeconds', now: [60], reason: 'more time' }];
    expect(() => decodeSolution(JSON.stringify(doc))).toThrow(
      'stats.fit.advice[0].now: expected a number, string, boolean or null',
    );
    doc.stats.fit.advice = [{ option: 'fit.maxSeconds', now: 60 }];
    expect(() => decodeSolution(JSON.stringify(doc))).toThrow(/stats\.fit\.advice\[0\]\.reason/);
  });

  it("reads the rate features' report, absent from older files, and refuses a malformed one", () => {
    const doc = JSON.parse(encodeSolution(makeData()));
    const rateFeatures = { fields: ['v'], relativeError: 3e-4, seconds: 2.5 };
    doc.stats.fit.rateFeatures = rateFeatures;
    expect(decodeSolution(JSON.stringify(doc)).stats.fit?.rateFeatures).toEqual(rateFeatures);
    delete doc.stats.fit.rateFeatures;
    expect(decodeSolution(JSON.stringify(doc)).stats.fit?.rateFeatures).toBeNull();
    doc.stats.fit.rateFeatures = { fields: 'v', relativeError: 3e-4, seconds: 2.5 };
    expect(() => decodeSolution(JSON.stringify(doc))).toThrow('stats.fit.rateFeatures.fields: expected an array');
    doc.stats.fit.rateFeatures = { fields: ['v'], relativeError: 3e-4 };
    expect(() => decodeSolution(JSON.stringify(doc))).toThrow(/stats\.fit\.rateFeatures\.seconds/);
  });

  it('validates format, version and shapes', () => {
    const doc = JSON.parse(encodeSolution(makeData()));
    expect(doc.format).toBe(FORMAT_NAME);
    expect(doc.version).toBe(FORMAT_VERSION);
    const bad = (patch: Record<string, unknown>): string => JSON.stringify({ ...doc, ...patch });
    expect(() => decodeSolution('{')).toThrow(/not JSON/);
    expect(() => decodeSolution(bad({ format: 'other' }))).toThrow(/not a neural-ivp solution file/);
    expect(() => decodeSolution(bad({ version: 2 }))).toThrow(/version 2.*newer/);
    expect(() => decodeSolution(bad({ times: [0, 0.5, 0.25] }))).toThrow(/strictly increasing/);
    expect(() => decodeSolution(bad({ theta: doc.theta.slice(1) }))).toThrow(/theta/);
    expect(() => decodeSolution(bad({ parameterCount: P + 1 }))).toThrow(/theta\[0\].*expected 7/);
    expect(() => decodeSolution(bad({ problem: { ...doc.problem, plan: null } }))).toThrow(/problem\.plan/);
    expect(() => decodeSolution(bad({ stats: { ...doc.stats, steps: -1 } }))).toThrow(/stats\.steps/);
    const cost = doc.history[0].cost;
    expect(() => decodeSolution(bad({ history: [{ ...doc.history[0], cost: { ...cost, cg: 'x' } }] }))).toThrow(
      /history\[0\]\.cost\.cg/,
    );
    expect(() =>
      decodeSolution(bad({ stats: { ...doc.stats, solveSeconds: { ...doc.stats.solveSeconds, jets: null } } })),
    ).toThrow(/stats\.solveSeconds\.jets/);
    expect(() => decodeSolution(bad({ history: [{ ...doc.history[0], heldOutResidual: 'x' }] }))).toThrow(
      /history\[0\]\.heldOutResidual/,
    );
    expect(() => decodeSolution(bad({ history: [{ ...doc.history[0], stiffness: 'x' }] }))).toThrow(
      /history\[0\]\.stiffness/,
    );
    // Files written before the held-out check and the stiffness estimate: neither, and 0 seconds spent on the check.
    const { heldOutResidual: _unmeasured, stiffness: _unestimated, ...older } = doc.history[0];
    const { heldOut: _none, ...olderCost } = cost;
    const read = decodeSolution(bad({ history: [{ ...older, cost: { ...olderCost, stages: [olderCost] } }] }));
    expect('heldOutResidual' in read.history[0]).toBe(false);
    expect('stiffness' in read.history[0]).toBe(false);
    expect(read.history[0].cost?.heldOut).toBe(0);
    expect(read.history[0].cost?.stages[0].heldOut).toBe(0);
    for (const patch of [{ format: 'other' }, { version: 0 }]) {
      expect(() => decodeSolution(bad(patch))).toThrow(SolutionFileError);
    }
  });

  it("checks the session config native code will trust, and normalises older files' linear section", () => {
    const doc = JSON.parse(encodeSolution(makeData()));
    const withSession = (patch: Record<string, unknown>): string =>
      JSON.stringify({ ...doc, session: { ...doc.session, ...patch } });
    const linear = (patch: Record<string, unknown>) => withSession({ linear: { ...doc.session.linear, ...patch } });
    expect(() => decodeSolution(withSession({ samples: 0 }))).toThrow(/session\.samples/);
    expect(() => decodeSolution(withSession({ seed: -1 }))).toThrow(/session\.seed/);
    expect(() => decodeSolution(withSession({ network: { ...doc.session.network, dim: 3 } }))).toThrow(
      /session\.network\.dim/,
    );
    expect(() => decodeSolution(linear({ method: 'cholesky' }))).toThrow(/session\.linear\.method/);
    expect(() => decodeSolution(linear({ mu: -1 }))).toThrow(/session\.linear\.mu/);
    expect(() => decodeSolution(linear({ tol: 0 }))).toThrow(/session\.linear\.tol/);
    expect(() => decodeSolution(linear({ rank: 1.5 }))).toThrow(/session\.linear\.rank/);
    expect(() => decodeSolution(linear({ mixedPrecision: 'yes' }))).toThrow(/session\.linear\.mixedPrecision/);
    expect(() => decodeSolution(linear({ muScale: 'relative' }))).toThrow(/session\.linear\.muScale/);
    // Written before mixedPrecision/reusePreconditioner/muScale existed: false, false, 'absolute'.
    const { mixedPrecision: _m, reusePreconditioner: _r, muScale: _s, ...older } = doc.session.linear;
    const old = decodeSolution(withSession({ linear: older }));
    expect(old.config.session.linear).toEqual({
      ...older,
      mixedPrecision: false,
      reusePreconditioner: false,
      muScale: 'absolute',
    });
    // A dense solve written with CG fields keeps only mu and its scale.
    const dense = decodeSolution(linear({ method: 'dense', mu: 1e-5 }));
    expect(dense.config.session.linear).toEqual({ method: 'dense', mu: 1e-5, muScale: doc.session.linear.muScale });
    // Gradient rows: one weight per field with their stencil step, both kept; absent in older files.
    const fields = doc.problem.plan.fields.length;
    const graded = decodeSolution(linear({ gradientWeights: Array(fields).fill(0.5), stencilStep: 1e-4 }));
    expect(graded.config.session.linear).toMatchObject({ gradientWeights: Array(fields).fill(0.5), stencilStep: 1e-4 });
    expect(old.config.session.linear).not.toHaveProperty('gradientWeights');
    expect(() => decodeSolution(linear({ gradientWeights: [0.5, 0.5, 0.5], stencilStep: 1e-4 }))).toThrow(
      /session\.linear\.gradientWeights/,
    );
    expect(() => decodeSolution(linear({ gradientWeights: Array(fields).fill(-1), stencilStep: 1e-4 }))).toThrow(
      /session\.linear\.gradientWeights\[0\]/,
    );
    expect(() => decodeSolution(linear({ gradientWeights: Array(fields).fill(1), stencilStep: 0 }))).toThrow(
      /session\.linear\.stencilStep/,
    );
    // One sampled direction per point is kept; absent, every axis (files written before it).
    const sampled = decodeSolution(
      linear({ gradientWeights: Array(fields).fill(0.5), stencilStep: 1e-4, stencilDirections: 'sampled' }),
    );
    expect(sampled.config.session.linear).toMatchObject({ stencilDirections: 'sampled' });
    expect(graded.config.session.linear).not.toHaveProperty('stencilDirections');
    expect(() =>
      decodeSolution(
        linear({ gradientWeights: Array(fields).fill(1), stencilStep: 1e-4, stencilDirections: 'diagonal' }),
      ),
    ).toThrow(/session\.linear\.stencilDirections/);
  });
});

describe('save and load', () => {
  it('a loaded solution has the same times, θ (bit for bit), stats and history, and evaluates the same', async () => {
    const file = path.join(dir, 'heat.nivp.json');
    const original = new Solution(makeData(), fakeFactory({ p: P }).make);
    await original.save(file);
    const loaded = await Solution.load(file, { makeSession: fakeFactory({ p: P }).make });
    expect(loaded.times).toEqual(original.times);
    for (const t of original.times) {
      expect(new Uint8Array(loaded.theta(t).buffer)).toEqual(new Uint8Array(original.theta(t).buffer));
    }
    expect(loaded.stats).toEqual(original.stats);
    expect(loaded.history.length).toBe(original.history.length);
    expect(loaded.options).toEqual(JSON.parse(JSON.stringify(original.options)));
    const pts = Float64Array.of(0.1, 0.2, -0.3, 0.4);
    expect(loaded.evaluate(pts, 0.5)).toEqual(original.evaluate(pts, 0.5));
    // no temporary files are left behind
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a solution of a problem given by initialValues saves and loads', async () => {
    const byValues = defineProblem({
      name: 'bump',
      dim: 2,
      domain: { lower: -1, upper: 1 },
      boundary: 'dirichlet',
      fields: ['u'],
      initialValues: (_points, n) => new Float64Array(n),
      rhs: ({ u }) => ({ u: ops.lap(u) }),
    });
    const file = path.join(dir, 'bump.json');
    await new Solution(makeData(byValues, [0, 1]), fakeFactory({ p: P }).make).save(file);
    const loaded = await Solution.load(file, { makeSession: fakeFactory({ p: P }).make });
    expect(loaded.times).toEqual([0, 1]);
    expect(loaded.name).toBe('bump');
  });

  it('load rejects other files', async () => {
    const file = path.join(dir, 'other.json');
    await writeFile(file, JSON.stringify({ format: 'something-else', version: 1 }));
    await expect(Solution.load(file)).rejects.toThrow(SolutionFileError);
    const missing = path.join(dir, 'missing.json');
    await expect(Solution.load(missing)).rejects.toThrow(SolutionFileError);
    await expect(Solution.load(missing)).rejects.toThrow(`cannot read ${missing}: no such file`);
  });

  it('a failed save leaves an existing file untouched', async () => {
    const file = path.join(dir, 'keep.json');
    await writeFile(file, 'precious');
    // into a folder that does not exist
    const sol = new Solution(makeData(), fakeFactory({ p: P }).make);
    const target = path.join(dir, 'no', 'such', 'dir', 'x.json');
    await expect(sol.save(target)).rejects.toThrow(SolutionFileError);
    await expect(sol.save(target)).rejects.toThrow(`cannot write ${target}: the folder`);
    // a failure in the middle of writing: the chunks throw after some data went out
    function* failing(): Generator<string> {
      yield 'partial data that must never reach keep.json';
      throw new Error('disk on fire');
    }
    await expect(writeFileAtomic(file, failing())).rejects.toThrow('disk on fire');
    expect(await readFile(file, 'utf8')).toBe('precious');
    // renaming over a folder fails after the temporary file is complete
    const folder = path.join(dir, 'a-folder');
    await rm(folder, { recursive: true, force: true });
    await mkdir(path.join(folder, 'child'), { recursive: true });
    await expect(sol.save(folder)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // a file that is not a solution is replaced only when asked, and whole
    await expect(sol.save(file)).rejects.toThrow(
      `${file} exists and is not a neural-ivp solution file; save does not replace it`,
    );
    expect(await readFile(file, 'utf8')).toBe('precious');
    await sol.save(file, { overwrite: true });
    expect(decodeSolution(await readFile(file, 'utf8')).times).toEqual([0, 0.25, 0.5]);
    // an earlier solution file is replaced without asking
    const later = new Solution(makeData(undefined, [0, 1]), fakeFactory({ p: P }).make);
    await later.save(file);
    expect(decodeSolution(await readFile(file, 'utf8')).times).toEqual([0, 1]);
    await expect(sol.save(file, { overwrite: 'yes' } as never)).rejects.toThrow(TypeError);
  });
});
