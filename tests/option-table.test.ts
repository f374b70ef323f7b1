// The option tables (ts/solver/option-table.ts) against what is derived from them: the presets,
// the native session's config, the save format's checks and the command line's flags.
import { describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { problems } from '../ts/problems/index';
import {
  FIT,
  flagsOfPaths,
  IMPORTANCE,
  LINEAR,
  NETWORK,
  type OptionTable,
  optionAt,
  SECTIONS,
  TOP,
} from '../ts/solver/option-table';
import { DEFAULT_OPTIONS, PAPER_OPTIONS, resolveOptions } from '../ts/solver/options';
import { decodeSolution, encodeSolution, SolutionFileError } from '../ts/solver/save-format';
import { fitConfigFor, sessionConfigFor } from '../ts/solver/session-config';
import { cli } from './cli-helpers';
import { solutionConfig } from './helpers/solution-config';

const problem = problems.heat({ dim: 2 });

/** A solution file's text with its importance-sampling settings patched. */
function patchedImportance(doc: { session: { sampling: { importance: object } } }, patch: object): string {
  const copy = structuredClone(doc);
  copy.session.sampling.importance = { ...copy.session.sampling.importance, ...patch };
  return JSON.stringify(copy);
}

/** Options that depend on the problem: their preset default is not a value of their own reader. */
const PER_PROBLEM = new Set([
  'network.decay',
  'network.frequencies',
  'network.embedding',
  'network.output',
  'network.outputScale',
  'network.outputOffset',
  'integrator.errorNorm',
  'linear.gradientWeight',
  'linear.gradientDirections',
]);

const entries = (): [string, OptionTable[string]][] =>
  Object.entries(SECTIONS).flatMap(([section, table]) =>
    Object.entries(table as OptionTable).map(([key, spec]): [string, OptionTable[string]] => [
      section === '' ? key : `${section}.${key}`,
      spec,
    ]),
  );

describe('the option tables', () => {
  it('every default of both presets is a value its own reader accepts, unchanged', () => {
    let checked = 0;
    for (const [path, spec] of entries()) {
      for (const preset of ['default', 'paper'] as const) {
        const value = spec.defaults[preset];
        if (PER_PROBLEM.has(path) && preset === 'default') continue;
        expect(spec.read(path, value), `${path} (${preset})`).toEqual(value);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  it('every option has a one-line doc, and a bad value names its path', () => {
    for (const [path, spec] of entries()) {
      expect(spec.doc.length, path).toBeGreaterThan(10);
      expect(spec.doc, path).not.toContain('\n');
      expect(() => spec.read(path, Symbol('bad')), path).toThrow(SpecError);
      try {
        spec.read(path, Symbol('bad'));
      } catch (e) {
        expect((e as SpecError).path).toBe(path);
      }
    }
  });

  it('the presets are the tables’ defaults', () => {
    expect(DEFAULT_OPTIONS.linear.rank).toBe(LINEAR.rank.defaults.default);
    expect(PAPER_OPTIONS.linear.rank).toBe(200);
    expect(PAPER_OPTIONS.linear.maxRank).toBe(0); // the paper's fixed rank
    expect(DEFAULT_OPTIONS.linear.reusePreconditioner).toBe(true);
    expect(PAPER_OPTIONS.linear.reusePreconditioner).toBe(false);
    expect(DEFAULT_OPTIONS.network.width).toBe(48);
    expect(PAPER_OPTIONS.network.width).toBe(100);
    expect(PAPER_OPTIONS.fit.maxIterations).toBe(50_000);
    for (const [key, spec] of Object.entries(FIT)) {
      expect(DEFAULT_OPTIONS.fit[key as keyof typeof FIT], key).toEqual(spec.defaults.default);
      expect(PAPER_OPTIONS.fit[key as keyof typeof FIT], key).toEqual(spec.defaults.paper);
    }
  });

  it('every native-marked option reaches the session config under its own name, with the resolved value', () => {
    const options = resolveOptions({
      problem,
      network: {
        width: 7,
        depth: 2,
        activation: 'tanh',
        frequencies: 3,
        decay: 0.25,
        embeddingScale: 2,
        embedding: false,
      },
      linear: {
        tol: 1e-6,
        maxIters: 77,
        rank: 9,
        mu: 1e-4,
        muScale: 'absolute',
        mixedPrecision: true,
        reusePreconditioner: false,
      },
      fit: {
        method: 'adam',
        lr: 0.01,
        batch: 321,
        samples: 654,
        maxSamples: 987,
        rank: 5,
        headTuning: false,
        headSamples: 111,
      },
      samples: { count: 500, importance: { uniformShare: 0.5, kernels: 12, pilot: 300, imageShare: 0.1 } },
      seed: 42,
    });
    const config = sessionConfigFor(options, 'cpu');
    const fit = fitConfigFor(options);
    const sections: [OptionTable, Record<string, unknown>, Record<string, unknown>][] = [
      [
        NETWORK,
        options.network as unknown as Record<string, unknown>,
        config.network as unknown as Record<string, unknown>,
      ],
      [
        LINEAR,
        options.linear as unknown as Record<string, unknown>,
        config.linear as unknown as Record<string, unknown>,
      ],
      [FIT, options.fit, fit as unknown as Record<string, unknown>],
      [TOP, options as unknown as Record<string, unknown>, config as unknown as Record<string, unknown>],
      [
        IMPORTANCE,
        options.samples.importance as unknown as Record<string, unknown>,
        config.sampling?.importance as unknown as Record<string, unknown>,
      ],
    ];
    let sent = 0;
    for (const [table, resolved, native] of sections) {
      for (const [key, spec] of Object.entries(table)) {
        if (spec.native !== true) continue;
        expect(native[key], key).toEqual(resolved[key]);
        sent++;
      }
    }
    expect(sent).toBe(8 + 9 + 8 + 1 + 4);
    expect(config.sampling?.importance).toEqual({ uniformShare: 0.5, kernels: 12, pilot: 300, imageShare: 0.1 });
    expect(config.network).toMatchObject({ width: 7, activation: 'tanh', decay: 0.25, embedding: false });
    // Not under its own name: by field in the options, in field order for the network.
    expect(config.network.outputScale).toEqual(problem.fields.map((name) => options.network.outputScale[name]));
    expect(config.network.outputOffset).toEqual(problem.fields.map((name) => options.network.outputOffset[name]));
    expect(config.linear).toMatchObject({ maxIters: 77, rank: 9, muScale: 'absolute', reusePreconditioner: false });
    expect(fit).toMatchObject({ method: 'adam', batch: 321, headSamples: 111, warmupSteps: 0 });
    expect(config.seed).toBe(42);
    // A dense solve receives only the dense options.
    const dense = sessionConfigFor(resolveOptions({ problem, linear: { method: 'dense', mu: 1e-3 } }), 'cpu');
    expect(dense.linear).toEqual({ method: 'dense', mu: 1e-3, muScale: 'solution' });
  });

  it('every saved form checks a loaded file’s session config, and an older file’s absent value is its legacy one', () => {
    const resolved = resolveOptions({ problem, samples: { count: 100, importance: true }, memoryBudget: 2 ** 30 });
    const data = {
      config: solutionConfig(resolved, 2),
      times: [0],
      thetas: [Float64Array.of(1, 2)],
      stats: { steps: 0, rejectedSteps: 0, dynamicsEvaluations: 0, cgIterations: 0, restarts: 0, seconds: 0 },
      history: [],
    };
    const doc = JSON.parse(encodeSolution(data));
    const sectionAt = (root: Record<string, unknown>, what: string): Record<string, unknown> =>
      what
        .split('.')
        .slice(1)
        .reduce((o, key) => o[key] as Record<string, unknown>, root.session as Record<string, unknown>);
    const tables: [string, OptionTable][] = [
      ['session.linear', LINEAR],
      ['session', TOP],
      ['session.sampling.importance', IMPORTANCE],
    ];
    let forms = 0;
    for (const [what, table] of tables) {
      const section = sectionAt(doc, what);
      for (const [key, spec] of Object.entries(table)) {
        if (spec.saved === undefined) continue;
        forms++;
        const patched = (value: unknown) => {
          const copy = structuredClone(doc);
          const target = sectionAt(copy, what);
          if (value === undefined) delete target[key];
          else target[key] = value;
          return JSON.stringify(copy);
        };
        const loaded = (value: unknown) =>
          sectionAt({ session: decodeSolution(patched(value)).config.session }, what)[key];
        expect(() => decodeSolution(patched('bad')), key).toThrow(SolutionFileError);
        expect(() => decodeSolution(patched('bad')), key).toThrow(`${what}.${key}`);
        expect(() => decodeSolution(patched(-1)), key).toThrow(`${what}.${key}`);
        const legacy = 'legacy' in spec.saved ? spec.saved.legacy : undefined;
        if (legacy === undefined) expect(() => loaded(undefined), key).toThrow(SolutionFileError);
        else expect(loaded(undefined), key).toBe(legacy);
        // The value written is read back as it was.
        expect(loaded(section[key]), key).toEqual(section[key]);
      }
    }
    // A count with a lower bound and a share are checked beyond their type.
    expect(() => decodeSolution(patchedImportance(doc, { kernels: 0 }))).toThrow(
      'importance.kernels: expected an integer ≥ 1',
    );
    expect(() => decodeSolution(patchedImportance(doc, { uniformShare: 1.5 }))).toThrow('(0, 1]');
    expect(decodeSolution(patchedImportance(doc, { uniformShare: 1 })).config.session.sampling?.importance).toEqual({
      uniformShare: 1,
      kernels: 256,
      pilot: 4096,
      imageShare: 0.5,
    });
    expect(() => decodeSolution(patchedImportance(doc, { imageShare: 1 }))).toThrow('[0, 1)');
    expect(decodeSolution(patchedImportance(doc, { imageShare: 0 })).config.session.sampling?.importance).toMatchObject(
      {
        imageShare: 0,
      },
    );
    expect(forms).toBe(13);
  });

  it('every flag in the tables is a documented run flag that SpecErrors name', async () => {
    const flags = flagsOfPaths();
    expect(flags).toMatchObject({
      'network.width': '--width',
      'linear.rank': '--rank',
      'fit.maxSeconds': '--fit-seconds',
      'samples.count': '--samples',
      seed: '--seed',
    });
    const help = await cli(['run', '--help']);
    for (const [path, flag] of Object.entries(flags)) {
      expect(help.stdout, flag).toMatch(new RegExp(`(^|[\\s,])${flag}\\b`, 'm'));
      expect(optionAt(path)?.flag).toBe(flag);
    }
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`${LINEAR.rank.doc} (default: 100)`);
    expect(optionAt('linear.nope')).toBeUndefined();
    expect(optionAt('toString')).toBeUndefined();
    // A range the flag's syntax allows but the option does not: the library's message, with the flag.
    const r = await cli(['run', 'heat', '--width', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/network\.width: .*65536.*\(set by --width\)/);
  });
});
