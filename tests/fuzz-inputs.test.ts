// A seeded fuzz pass over the CLI flags and the option object: every input ends in a typed error
// or a success, within a few seconds, and no folder holding a complete earlier run is clobbered
// by a run that did not complete. Stand-in session (no native code); deterministic (seeded).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { problems } from '../ts/problems/index';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { cli } from './cli-helpers';
import { rng } from './helpers/random';
import { fakeFactory } from './solver-fake-session';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neural-ivp-fuzz-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];

/** Flags with good and bad values (strings, as a shell passes them). */
const FLAG_VALUES: Record<string, readonly (string | null)[]> = {
  '--T': ['0.05', '0', '-1', 'abc', '1e309', '0.1'],
  '--samples': ['16', '500', '0', '15', '2.5', '1e9', 'lots'],
  '--width': ['4', '16', '0', '65536', '-3'],
  '--depth': ['1', '2', '0', '99'],
  '--rtol': ['1e-3', '0', '-1e-3', 'x'],
  '--method': ['rk23', 'rk45', 'rk99'],
  '--refine': ['0', '1', '-1', '2.5', '101'],
  '--linear': ['pcg', 'dense', 'cholesky'],
  '--rank': ['0', '10', '-1'],
  '--fit-steps': ['0', '3', '-2'],
  '--fit-tol': ['1e-3', '0'],
  '--save-at': ['0,0.05', '0.05,0', '0,2', 'a,b'],
  '--dtype': ['float32', 'float64', 'float16'],
  '--seed': ['0', '7', '-1'],
  '--max-seconds': ['0.5', '0', '-1'],
  '--param': ['diffusivity=0.2', 'diffusivity=-1', 'bogus=1', 'noequals'],
  '--gradient-weight': ['1', 'u=1', 'w=1', '-1'],
  '--restarts': [null],
  '--no-restarts': [null],
  '--bogus-flag': [null, '3'],
};

describe('fuzz: neural-ivp run flags', () => {
  it('every command line ends in success or a typed error, fast, without clobbering a complete run', async () => {
    const next = rng(2026);
    // A complete earlier run to protect.
    const kept = path.join(root, 'kept');
    const first = await cli(['run', 'heat', '--T', '0.05', '--grid', '4', '--quiet', '--out', kept], {
      createSession: fakeFactory().make,
    });
    expect(first.code).toBe(0);
    const file = path.join(root, 'a-file');
    await writeFile(file, 'not a folder');
    const snapshot = async (): Promise<string[]> =>
      Promise.all(['solution.json', 'metrics.json', 'report.html'].map((f) => readFile(path.join(kept, f), 'utf8')));
    let before = await snapshot();

    const codes = new Map<number, number>();
    for (let run = 0; run < 60; run++) {
      const args = ['run', pick(next, ['heat', 'advection', 'nosuchproblem', './missing.mjs'])];
      const flags = Object.keys(FLAG_VALUES);
      const count = 1 + Math.floor(next() * 4);
      for (let i = 0; i < count; i++) {
        const flag = pick(next, flags);
        const value = pick(next, FLAG_VALUES[flag]);
        args.push(flag);
        if (value !== null) args.push(value);
      }
      const out = pick(next, [kept, file, path.join(root, `fresh-${run}`), '/proc/fuzz']);
      args.push('--out', out, '--grid', '4', '--quiet');
      if (!args.includes('--T')) args.push('--T', '0.05');
      const fake = fakeFactory({ nanAfterSolves: next() < 0.3 ? 5 : undefined });
      const started = performance.now();
      const r = await cli(args, { createSession: fake.make, cwd: root });
      const seconds = (performance.now() - started) / 1000;
      const what = args.join(' ');
      expect(seconds, what).toBeLessThan(5);
      expect([0, 1, 2], `${what}\n${r.stderr}`).toContain(r.code);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      if (r.code === 2) {
        expect(r.stderr, what).toMatch(/^error: |error: option|error: unknown option|error: missing|error: too many/m);
        expect(fake.sessions, what).toHaveLength(0); // refused before any work
      }
      if (r.code === 1) expect(r.stderr, what).toMatch(/warning: The run stopped early|^error: /m);
      const after = await snapshot();
      if (out === kept && r.code === 0)
        before = after; // a complete run may replace a complete run
      else expect(after, `${what}: the complete run in ${kept} was clobbered`).toEqual(before);
    }
    // The draw exercises all three outcomes.
    expect([...codes.keys()].sort()).toEqual([0, 1, 2]);
  }, 120_000);
});

describe('fuzz: the option object', () => {
  const VALUES: readonly unknown[] = [
    undefined,
    null,
    0,
    -1,
    1.5,
    16,
    1e9,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    'x',
    'pcg',
    true,
    [],
    [1],
    {},
    { bogus: 1 },
    () => 1,
  ];
  const PATHS: readonly string[][] = [
    ['samples'],
    ['samples', 'count'],
    ['samples', 'sequence'],
    ['network'],
    ['network', 'width'],
    ['network', 'depth'],
    ['network', 'activation'],
    ['linear'],
    ['linear', 'method'],
    ['linear', 'rank'],
    ['linear', 'gradientWeight'],
    ['integrator', 'rtol'],
    ['integrator', 'method'],
    ['fit', 'tol'],
    ['fit', 'batch'],
    ['fit', 'method'],
    ['restarts'],
    ['dtype'],
    ['device'],
    ['seed'],
    ['memoryBudget'],
    ['margin'],
    ['bogus'],
    ['preset'],
  ];

  it('every option object constructs or throws SpecError/TypeError/RangeError, fast', () => {
    const next = rng(7);
    let built = 0;
    let refused = 0;
    for (let run = 0; run < 400; run++) {
      const options: Record<string, unknown> = { problem: problems.heat({ dim: 2 }), device: 'cpu' };
      const changes = 1 + Math.floor(next() * 3);
      for (let i = 0; i < changes; i++) {
        const keys = pick(next, PATHS);
        let target = options;
        for (const key of keys.slice(0, -1)) {
          if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
          target = target[key] as Record<string, unknown>;
        }
        target[keys[keys.length - 1]] = pick(next, VALUES);
      }
      const { make, sessions } = fakeFactory();
      const started = performance.now();
      try {
        new NeuralIVP(options as never, { createSession: make, freeMemory: () => 16 * 2 ** 30 });
        built++;
      } catch (e) {
        refused++;
        const ok = e instanceof SpecError || e instanceof TypeError || e instanceof RangeError;
        expect(ok, `${String(e)} for ${JSON.stringify(options, (_k, v) => (typeof v === 'function' ? 'fn' : v))}`).toBe(
          true,
        );
      }
      expect(performance.now() - started).toBeLessThan(2000);
      expect(sessions).toHaveLength(0);
    }
    expect(built).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
