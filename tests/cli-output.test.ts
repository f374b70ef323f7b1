// `neural-ivp run --out`: a bad folder fails before any work naming --out, files there that no run
// wrote are not replaced, and nothing a complete earlier run wrote is replaced by an incomplete run
// (stand-in session, no native code).
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problems } from '../ts/problems/index';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { SolutionFileError } from '../ts/solver/save-format';
import { Solution } from '../ts/solver/solution';
import { cli } from './cli-helpers';
import { fakeFactory } from './solver-fake-session';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neural-ivp-cli-out-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const quick = ['--T', '0.2', '--grid', '4', '--quiet', '--no-restarts'];

describe('neural-ivp run --out: bad folders fail fast, naming --out', () => {
  it('/proc/x (where a recursive mkdir spins) fails at once', async () => {
    const fake = fakeFactory();
    const started = performance.now();
    const r = await cli(['run', 'heat', ...quick, '--out', '/proc/x/y'], { createSession: fake.make });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --out: cannot write to \/proc\/x\/y: /);
    expect(fake.sessions).toHaveLength(0); // no work began
  });

  it('an existing file fails naming --out and the file', async () => {
    const file = path.join(root, 'a-file');
    await writeFile(file, 'keep me');
    const r = await cli(['run', 'heat', ...quick, '--out', file], { createSession: fakeFactory().make });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: --out: cannot write to ${file}: it exists and is not a folder`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    const under = await cli(['run', 'heat', ...quick, '--out', path.join(file, 'sub')], {
      createSession: fakeFactory().make,
    });
    expect(under.code).toBe(2);
    expect(under.stderr).toContain(`${file} is a file, not a folder`);
  });

  it.skipIf(process.getuid?.() === 0)('a folder without write permission fails naming --out', async () => {
    const locked = path.join(root, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    const r = await cli(['run', 'heat', ...quick, '--out', path.join(locked, 'run')], {
      createSession: fakeFactory().make,
    });
    await chmod(locked, 0o700);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --out: cannot write to .*locked\/run: permission denied/);
  });

  it('missing parents are made', async () => {
    const out = path.join(root, 'deep', 'er', 'run');
    const r = await cli(['run', 'heat', ...quick, '--out', out], { createSession: fakeFactory().make });
    expect(r.code).toBe(0);
    expect((await stat(path.join(out, 'solution.json'))).isFile()).toBe(true);
  });
});

describe('neural-ivp run: files in --out that no run wrote are not replaced', () => {
  it('refuses before any work, naming them, and replaces them with --force', async () => {
    const out = path.join(root, 'users-own');
    await mkdir(out);
    await writeFile(path.join(out, 'solution.json'), '{"my":"important data"}');
    await writeFile(path.join(out, 'metrics.json'), '{"mine":1}');
    await writeFile(path.join(out, 'report.html'), '<html>my notes</html>');
    const fake = fakeFactory();
    const r = await cli(['run', 'heat', ...quick, '--out', out], { createSession: fake.make });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: --out: ${out} holds solution.json, metrics.json, report.html, which no neural-ivp run wrote`,
    );
    expect(fake.sessions).toHaveLength(0); // no work began
    expect(await readFile(path.join(out, 'solution.json'), 'utf8')).toBe('{"my":"important data"}');
    expect(await readFile(path.join(out, 'report.html'), 'utf8')).toBe('<html>my notes</html>');

    const forced = await cli(['run', 'heat', ...quick, '--out', out, '--force'], { createSession: fakeFactory().make });
    expect(forced.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')).status).toBe('complete');
    // what a run wrote, a second run replaces without --force
    const again = await cli(['run', 'heat', ...quick, '--out', out], { createSession: fakeFactory().make });
    expect(again.code).toBe(0);
  });
});

describe('neural-ivp run: an incomplete run never replaces a complete one', () => {
  it('writes beside the complete run, or over it with --force', async () => {
    const out = path.join(root, 'kept');
    const complete = await cli(['run', 'heat', ...quick, '--out', out], { createSession: fakeFactory().make });
    expect(complete.code).toBe(0);
    const before = await Promise.all(
      ['solution.json', 'metrics.json', 'report.html'].map((f) => readFile(path.join(out, f), 'utf8')),
    );

    const stopped = fakeFactory({ nanAfterSolves: 20 });
    const partial = await cli(['run', 'heat', ...quick, '--T', '0.5', '--out', out], { createSession: stopped.make });
    expect(partial.code).toBe(1);
    const after = await Promise.all(
      ['solution.json', 'metrics.json', 'report.html'].map((f) => readFile(path.join(out, f), 'utf8')),
    );
    expect(after).toEqual(before);
    const beside = `${out}-incomplete`;
    expect(partial.stdout.trim().split('\n')[0]).toBe(path.join(beside, 'solution.json'));
    const m = JSON.parse(await readFile(path.join(beside, 'metrics.json'), 'utf8'));
    expect(m.status).toBe('incomplete');

    // a second incomplete run: the next free name, the first incomplete run kept too
    const again = await cli(['run', 'heat', ...quick, '--T', '0.5', '--out', out], {
      createSession: fakeFactory({ nanAfterSolves: 20 }).make,
    });
    expect(again.stdout.trim().split('\n')[0]).toBe(path.join(`${out}-incomplete-2`, 'solution.json'));

    const forced = await cli(['run', 'heat', ...quick, '--T', '0.5', '--out', out, '--force'], {
      createSession: fakeFactory({ nanAfterSolves: 20 }).make,
    });
    expect(forced.code).toBe(1);
    const overwritten = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8'));
    expect(overwritten.status).toBe('incomplete');
  });
});

describe('Solution files: errors name the path', () => {
  const make = fakeFactory().make;

  it('load of a missing file or a folder is a SolutionFileError naming the path', async () => {
    const missing = path.join(root, 'nope.json');
    await expect(Solution.load(missing, { makeSession: make })).rejects.toThrow(SolutionFileError);
    await expect(Solution.load(missing, { makeSession: make })).rejects.toThrow(`cannot read ${missing}: no such file`);
    await expect(Solution.load(root, { makeSession: make })).rejects.toThrow(
      `cannot read ${root}: it is a folder, not a file`,
    );
  });

  it('load of a truncated or foreign file names the path and what is wrong', async () => {
    const truncated = path.join(root, 'truncated.json');
    await writeFile(truncated, '{"format": "neural-ivp-solution", "ver');
    const error = await Solution.load(truncated, { makeSession: make }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SolutionFileError);
    expect((error as SolutionFileError).file).toBe(truncated);
    expect((error as Error).message).toMatch(new RegExp(`^${truncated}: not a neural-ivp solution file \\(not JSON: `));
    const foreign = path.join(root, 'foreign.json');
    await writeFile(foreign, '{"a": 1}');
    await expect(Solution.load(foreign, { makeSession: make })).rejects.toThrow(
      `${foreign}: not a neural-ivp solution file (format is undefined`,
    );
  });

  it('save into a folder that exists and takes no files says so, not that it is missing', async () => {
    const ivp = new NeuralIVP(
      { problem: problems.heat({ dim: 2 }), device: 'cpu', restarts: false },
      { createSession: fakeFactory().make },
    );
    const solution = await ivp.evolve(0.05);
    // /proc refuses new files with ENOENT although the folder is there.
    await expect(solution.save('/proc/solution.json')).rejects.toThrow(
      'cannot write /proc/solution.json: the folder /proc does not accept new files',
    );
  });

  it('save into a missing folder names the requested path, not a temporary file', async () => {
    const ivp = new NeuralIVP(
      { problem: problems.heat({ dim: 2 }), device: 'cpu', restarts: false },
      { createSession: fakeFactory().make },
    );
    const solution = await ivp.evolve(0.05);
    const target = path.join(root, 'no-such-folder', 'solution.json');
    const error = await solution.save(target).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SolutionFileError);
    expect((error as Error).message).toBe(`cannot write ${target}: the folder ${path.dirname(target)} does not exist`);
  });
});
