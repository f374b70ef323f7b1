import { spawn } from 'node:child_process';
// `neural-ivp` argument handling: help text, and bad flags exiting 2 with the flag named, before
// any output is written.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaAvailable } from '../ts/solver/native-session';
import { flagsOfPaths, optionAt } from '../ts/solver/option-table';
import { cli } from './cli-helpers';
import { fakeFactory } from './solver-fake-session';

const RUN_FLAGS = [
  '--T',
  '--samples',
  '--out',
  '--width',
  '--depth',
  '--rtol',
  '--method',
  '--refine',
  '--linear',
  '--rank',
  '--gradient-weight',
  '--fit-steps',
  '--fit-batch',
  '--restarts',
  '--no-restarts',
  '--seed',
  '--dim',
  '--save-at',
  '--dtype',
  '--device',
  '--param',
  '--grid',
  '--quiet',
  '--help',
];

describe('neural-ivp --help', () => {
  it('lists the commands', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: neural-ivp/);
    expect(r.stdout).toMatch(/\brun\b.*<problem>/);
    expect(r.stdout).toMatch(/\bbench\b/);
  });

  it('run --help documents every flag, the choices and the problem names', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const flag of RUN_FLAGS) expect(r.stdout).toMatch(new RegExp(`(^|[\\s,])${flag}\\b`, 'm'));
    for (const choice of ['rk23', 'rk45', 'rkc', 'pcg', 'dense', 'float64', 'float32', 'auto', 'cpu', 'cuda']) {
      expect(r.stdout).toContain(`"${choice}"`);
    }
    for (const name of ['heat', 'advection', 'wave', 'vlasov', 'fokkerPlanck', 'waveMaps', 'wavePacket']) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toContain('(default: 0.5)');
  });

  it('run --help gives a default resolved per problem in words, not as its placeholder name', async () => {
    const help = (await cli(['run', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('(default: axes up to 2D, sampled above)');
    for (const path of Object.keys(flagsOfPaths())) {
      const spec = optionAt(path);
      const value = spec?.defaults.default;
      let valid = true;
      try {
        spec?.read(path, value);
      } catch {
        valid = false;
      }
      if (!valid) expect(help).not.toContain(`(default: ${String(value)})`);
    }
  });

  it('bench --help documents --quick and --json', async () => {
    const r = await cli(['bench', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--quick');
    expect(r.stdout).toContain('--json');
  });

  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad command lines exit 2 and name the flag', () => {
  let dir: string;
  const { make } = fakeFactory();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'neural-ivp-cli-args-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, string[], RegExp][] = [
    ['a non-numeric --samples', ['heat', '--samples', 'abc'], /--samples/],
    ['too few --samples', ['heat', '--samples', '3'], /--samples/],
    ['a negative --T', ['heat', '--T', '-1'], /--T/],
    ['a non-numeric --T', ['heat', '--T', 'soon'], /--T/],
    ['a fractional --width', ['heat', '--width', '2.5'], /--width/],
    ['--depth 0', ['heat', '--depth', '0'], /--depth/],
    ['an unknown --method', ['heat', '--method', 'rk99'], /--method[\s\S]*rk23, rk45/],
    ['an unknown --linear', ['heat', '--linear', 'lu'], /--linear/],
    ['an unknown --dtype', ['heat', '--dtype', 'float16'], /--dtype/],
    ['an unknown --device', ['heat', '--device', 'tpu'], /--device/],
    ['a negative --seed', ['heat', '--seed', '-4'], /--seed/],
    ['--dim 0', ['heat', '--dim', '0'], /--dim/],
    ['a --dim the problem does not take', ['vlasov', '--dim', '3'], /--dim.*6-dimensional/],
    ['decreasing --save-at', ['heat', '--save-at', '0.5,0.1'], /--save-at.*increasing/],
    ['a --save-at entry that is not a number', ['heat', '--save-at', '0,x'], /--save-at/],
    ['a --save-at time after T', ['heat', '--T', '0.5', '--save-at', '0,1'], /--save-at.*after the final time/],
    ['--grid 1', ['heat', '--grid', '1'], /--grid/],
    ['a malformed --param', ['heat', '--param', 'diffusivity'], /--param/],
    ['--rank with --linear dense', ['heat', '--linear', 'dense', '--rank', '10'], /--rank/],
    ['a negative --gradient-weight', ['heat', '--gradient-weight', 'u=-1'], /--gradient-weight.*β ≥ 0/],
    ['a --gradient-weight that is not a number', ['heat', '--gradient-weight', 'much'], /--gradient-weight/],
    [
      'a bare --gradient-weight beside a per-field one',
      ['heat', '--gradient-weight', 'u=1', '--gradient-weight', '2'],
      /--gradient-weight.*give it once, or only field=β/,
    ],
    [
      'a --gradient-weight for a field the problem lacks',
      ['heat', '--gradient-weight', 'v=1'],
      /linear\.gradientWeight\.v: .*allowed: u.*\(set by --gradient-weight\)/,
    ],
    ['an unknown flag', ['heat', '--bogus'], /unknown option '--bogus'/],
    ['a missing <problem>', [], /missing required argument 'problem'/],
    ['an unknown problem', ['no-such-problem'], /<problem>.*'no-such-problem' is neither a problem name/],
    // SpecErrors from the library: `path: message`, with the flag that set it.
    ['an unknown problem option', ['heat', '--param', 'foo=1'], /foo: .*unknown.*\(set by --param foo=/],
    ['a bad problem option', ['heat', '--param', 'diffusivity=-1'], /diffusivity: .*--param diffusivity=/],
    ['a bad --param dim', ['heat', '--param', 'dim=abc'], /^error: dim: .*\(set by --param dim=…\)\n$/],
    [
      '--dim and --param dim together',
      ['heat', '--dim', '2', '--param', 'dim=3'],
      /--param: dim is set twice, by --dim 2 and --param dim=…: give one/,
    ],
    ['--rtol ≥ 1', ['heat', '--rtol', '2'], /integrator\.rtol: .*\(set by --rtol\)/],
    ['--refine above 100', ['heat', '--refine', '101'], /integrator\.refine: .*\(set by --refine\)/],
    ['--samples beyond the library cap', ['heat', '--samples', String(2 ** 40)], /samples: .*\(set by --samples\)/],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const out = path.join(dir, 'out');
    const r = await cli(['run', ...args, '--out', out], { createSession: make });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('--device cuda: the CUDA session where CUDA is available, else a SpecError naming --device', async () => {
    const fake = fakeFactory();
    const out = path.join(dir, 'cuda');
    const flags = ['--T', '0.01', '--width', '8', '--depth', '1', '--samples', '100', '--no-restarts', '--quiet'];
    const r = await cli(['run', 'heat', '--device', 'cuda', ...flags, '--out', out], { createSession: fake.make });
    if (cudaAvailable()) {
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
      expect(fake.sessions[0].config.network.device).toBe('cuda');
    } else {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/device: .*CUDA is not available.*\(set by --device\)/);
      expect(fake.sessions).toHaveLength(0);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an unknown command exits 2', async () => {
    const r = await cli(['solve']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'solve'/);
  });
});

describe('the executable', () => {
  it('ends quietly with status 0 when its reader closes early (run --help | head)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'ts/cli/main.ts', 'run', '--help'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before the help is written
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 30_000);
});
