// `neural-ivp run <file>`: problem modules load from any folder in every flavour (.ts, .mts, .js,
// .mjs; the temporary folder is in no package), and what goes wrong in one is reported against
// the file (and line), not against a flag. Stand-in session: no native code.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntaxError } from '../ts/cli/load-problem';
import { cli } from './cli-helpers';
import { fakeFactory } from './solver-fake-session';

const define = path.resolve('ts/problem/define.ts');
let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'neural-ivp-cli-modules-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A 1D decay problem module; `typed` adds a TypeScript annotation. */
function decay(typed: boolean, rhs = '({ u }) => ({ u: u.mul(-rate) })'): string {
  return [
    `import { defineProblem } from ${JSON.stringify(define)};`,
    `const rate${typed ? ': number' : ''} = 1;`,
    'export default defineProblem({',
    "  name: 'decay', dim: 1, domain: { lower: 0, upper: 1 }, boundary: 'none', fields: ['u'],",
    '  initial: ({ x }) => ({ u: x[0] }),',
    `  rhs: ${rhs},`,
    '});',
    '',
  ].join('\n');
}

async function run(name: string, source: string, extra: string[] = []) {
  const file = path.join(root, name);
  await writeFile(file, source);
  const out = path.join(root, `${name}-out`);
  const r = await cli(['run', file, '--T', '0.05', '--grid', '4', '--quiet', '--out', out, ...extra], {
    createSession: fakeFactory().make,
  });
  return { ...r, file };
}

describe('problem modules load from any folder', () => {
  for (const [name, typed] of [
    ['plain.ts', true],
    ['module.mts', true],
    ['plain.js', false],
    ['module.mjs', false],
  ] as const) {
    it(name, async () => {
      const r = await run(name, decay(typed));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});

describe('what goes wrong in a module names the module', () => {
  it('a syntax error in JavaScript names the file and line', async () => {
    const source = decay(false).replace('export default', 'export default,');
    const r = await run('broken.mjs', source);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${r.file}:3: syntax error: `);
  });

  // Node's own import says neither file nor line, and `node --check` passes a .js file with
  // import/export outside a module package whatever else is wrong with it. (The test runner and
  // tsx parse modules themselves, so the check is called here as the built CLI calls it.)
  it('a syntax error in a .js module outside any package is found with its line', async () => {
    const file = path.join(root, 'broken-esm.js');
    await writeFile(file, decay(false).replace("name: 'decay'", "name: 'decay',,"));
    expect(syntaxError(file, undefined)).toBeUndefined();
    expect(syntaxError(file, "Unexpected token ','")).toEqual({ line: 4, message: "Unexpected token ','" });
    // Another SyntaxError than the module check's is not given the module check's line.
    expect(syntaxError(file, 'Unexpected end of JSON input')).toBeUndefined();
  });

  it('a .js module that parses but throws a SyntaxError is not given a line', async () => {
    const file = path.join(root, 'throws-syntax.js');
    await writeFile(file, `${decay(false)}JSON.parse('{');\n`);
    expect(syntaxError(file, "Expected property name or '}' in JSON at position 1")).toBeUndefined();
  });

  it('a syntax error in TypeScript names the file, line and column', async () => {
    const r = await run('broken.ts', decay(true).replace('= 1;', '= ;'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${r.file.replace(/[.\\/]/g, '\\$&')}:2:\\d+: syntax error: `));
  });

  it('an rhs the problem refuses is the module’s error, not a --param', async () => {
    const r = await run('bad-rhs.mjs', decay(false, '({ u }) => ({ w: u })'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: <problem>: ${r.file.replace(/[.\\/]/g, '\\$&')}: rhs`));
    expect(r.stderr).not.toMatch(/--param/);
  });

  it('an rhs that throws is the module’s error, with its message', async () => {
    const r = await run('rhs-throws.mjs', decay(false, "() => { throw new Error('my rhs is broken'); }"));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: <problem>: ${r.file}: rhs: the callback threw: my rhs is broken\n`);
  });

  it('a third derivative is the module’s error too', async () => {
    const opsModule = JSON.stringify(path.resolve('ts/problem/ops.ts'));
    const source = `import { ops } from ${opsModule};\n${decay(false, '({ u }) => ({ u: ops.d(ops.d(ops.d(u, 0), 0), 0) })')}`;
    const r = await run('third.mjs', source);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: <problem>: ${r.file}: rhs: `);
    expect(r.stderr).toMatch(/total order above 2; fields may be differentiated at most twice/);
    expect(r.stderr).not.toMatch(/--param/);
  });

  it('a module that throws while loading, or whose function throws, is named', async () => {
    const loading = await run('throws.mjs', "throw new Error('boom');\nexport default 1;\n");
    expect(loading.code).toBe(2);
    expect(loading.stderr).toContain(`${loading.file}: loading it threw: boom`);
    const calling = await run('fn.mjs', "export default () => { throw new Error('no problem today'); };\n");
    expect(calling.code).toBe(2);
    expect(calling.stderr).toContain(`${calling.file}: its default export threw: no problem today`);
  });
});

describe("--param with a module: its keys are the problem's params", () => {
  /** A module whose default export takes { rate } and declares it in params. */
  const parametrised = [
    `import { defineProblem } from ${JSON.stringify(define)};`,
    'export default ({ rate = 1 } = {}) => defineProblem({',
    "  name: 'decay', dim: 1, domain: { lower: 0, upper: 1 }, boundary: 'none', fields: ['u'],",
    '  params: { rate },',
    '  initial: ({ x }) => ({ u: x[0] }),',
    '  rhs: ({ u }) => ({ u: u.mul(-rate) }),',
    '});',
    '',
  ].join('\n');

  it('a key the problem does not declare is refused, naming the declared ones', async () => {
    const r = await run('param-typo.mjs', parametrised, ['--param', 'rte=2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: --param: rte: not among the params of ${r.file}'s problem (rate); a module takes the --param keys its problem declares in defineProblem's params\n`,
    );
  });

  it('a bad value of a declared key names its --param', async () => {
    const r = await run('param-value.mjs', parametrised, ['--param', 'rate=abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(set by --param rate=…)');
  });

  it('a declared key runs', async () => {
    const r = await run('param-ok.mjs', parametrised, ['--param', 'rate=2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('what the solver says about a module before its fit', () => {
  it('a backward diffusion is said before the fit’s summary; boundary values on a Dirichlet face are refused', async () => {
    const opsModule = JSON.stringify(path.resolve('ts/problem/ops.ts'));
    const backward = `import { ops } from ${opsModule};\n${decay(false, '({ u }) => ({ u: ops.lap(u).mul(-0.1) })')}`;
    const file = path.join(root, 'backward.mjs');
    await writeFile(file, backward);
    const r = await cli(['run', file, '--T', '0.05', '--grid', '4', '--out', path.join(root, 'backward-out')], {
      createSession: fakeFactory().make,
    });
    expect(r.code).toBe(0);
    const said = r.stderr.indexOf('warning: the right-hand side of u is a backward diffusion along x[0]');
    expect(said).toBeGreaterThan(-1);
    expect(said).toBeLessThan(r.stderr.indexOf('fit: relative error'));
    expect(r.stderr.split('backward diffusion').length).toBe(2);
    // u0 = x on [0, 1] is 1 on the face x = 1, its largest value: a Dirichlet network cannot hold it.
    const dirichlet = await run('dirichlet.mjs', decay(false).replace("boundary: 'none'", "boundary: 'dirichlet'"));
    expect(dirichlet.code).toBe(2);
    expect(dirichlet.stderr).toMatch(
      /^error: problem\.initial\.u: boundary 'dirichlet' makes every field zero on the faces of x\[0\] .*u0 = 1 at x = \(1\) \(the face x\[0\] = 1\), 100 % of its largest value/,
    );
  });
});
