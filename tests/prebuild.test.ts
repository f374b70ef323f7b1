// Tagged prebuilds (scripts/addon.mjs): tags, the CUDA-first order, the hash of the native sources
// that marks a prebuild stale, and loading one from a package without build/Release, in a child
// process whose addon must compute what an independent JavaScript forward pass computes. With a
// CUDA binary at hand (build-cuda/ of scripts/cuda-torch.sh, or the committed CUDA prebuild): it
// loads when its libtorch is reachable (RUNPATH, LIBTORCH, Python's torch) and is skipped for the
// CPU prebuild, with its reason, when not.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libtorchVersions, listPrebuilds, nativeSourceHash, prebuildDir, prebuildTag } from '../scripts/addon.mjs';
import { packageRoot } from '../ts/native';

const temp = mkdtempSync(path.join(tmpdir(), 'neural-ivp-prebuild-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A package root with the given files in prebuilds/<platform>-<arch>/. */
function fakeRoot(name: string, files: Record<string, string | Buffer>): string {
  const root = path.join(temp, name);
  const dir = prebuildDir(root);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  return root;
}

// The reference network: no embedding, tanh, no boundary factor, on a box that is not [-1, 1]²,
// so that u(x) = W₃ tanh(W₂ tanh(W₁ s + b₁) + b₂) + b₃ with s the point mapped to [-1, 1]².
const REFERENCE = {
  dim: 2,
  width: 8,
  depth: 2,
  activation: 'tanh',
  embedding: false,
  dirichlet: false,
  lower: [0, -1],
  upper: [2, 3],
};
const POINTS = [0.1, 0.2, 1.7, -0.3, 1.2, 2.5];

/** u at POINTS from θ, by the documented parameter layout (docs/api.md, "Parameter layout"). */
function referenceForward(theta: number[]): number[] {
  const sizes = [REFERENCE.dim, REFERENCE.width, REFERENCE.width, 1];
  const out: number[] = [];
  for (let q = 0; q < POINTS.length / 2; q++) {
    let h = [0, 1].map(
      (i) => ((POINTS[2 * q + i] - REFERENCE.lower[i]) * 2) / (REFERENCE.upper[i] - REFERENCE.lower[i]) - 1,
    );
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [rows, cols] = [sizes[l + 1], sizes[l]];
      const next = Array.from({ length: rows }, (_, r) => {
        let sum = theta[offset + rows * cols + r];
        for (let c = 0; c < cols; c++) sum += theta[offset + r * cols + c] * h[c];
        return l + 2 < sizes.length ? Math.tanh(sum) : sum;
      });
      offset += rows * cols + rows;
      h = next;
    }
    expect(offset).toBe(theta.length);
    out.push(h[0]);
  }
  return out;
}

interface ChildResult {
  file?: string;
  skipped?: string[];
  torch?: string;
  cuda?: string | null;
  cudaAvailable?: boolean;
  theta?: number[];
  values?: number[];
  error?: string;
}

const loaderScript = (root: string) => `
import(${JSON.stringify(path.join(packageRoot, 'scripts', 'addon.mjs'))}).then((m) => {
  try {
    const { addon, file, skipped } = m.loadPrebuild(${JSON.stringify(root)});
    const net = new addon.Network(${JSON.stringify(REFERENCE)});
    const theta = net.initialParameters(3);
    net.forward(theta, Float64Array.from(${JSON.stringify(POINTS)})).then((jets) =>
      console.log(JSON.stringify({ file, skipped, torch: addon.torchVersion(), cuda: addon.cudaVersion?.() ?? null,
        cudaAvailable: addon.cudaAvailable(), theta: [...theta], values: [...jets.values] })));
  } catch (e) { console.log(JSON.stringify({ error: e.message })); }
});`;

/** Loads the prebuilds of `root` in a child process; `env` replaces the environment's libtorch hints. */
function loadIn(root: string, env: Record<string, string> = {}): ChildResult {
  const { LIBTORCH: _l, LD_LIBRARY_PATH: _ld, NEURAL_IVP_ADDON: _a, NEURAL_IVP_PREBUILD: _p, ...rest } = process.env;
  const out = execFileSync(process.execPath, ['-e', loaderScript(root)], {
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

/** The child's values against the independent forward pass of its own θ. */
function expectReferenceValues(result: ChildResult): void {
  expect(result.error).toBeUndefined();
  const reference = referenceForward(result.theta ?? []);
  expect(result.values).toHaveLength(reference.length);
  for (let i = 0; i < reference.length; i++) expect(result.values?.[i]).toBeCloseTo(reference[i], 12);
}

/** The RUNPATH folders of a shared object (readelf). */
function runpath(file: string): string[] {
  const out = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return (/\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]/.exec(out)?.[1] ?? '').split(':').filter(Boolean);
}

/** A copy of `file` whose RUNPATH names a folder that does not exist (same length, in place). */
function withoutRunpath(file: string, target: string): void {
  const bytes = readFileSync(file);
  const entry = runpath(file).join(':');
  expect(entry.length).toBeGreaterThan(0);
  const needle = Buffer.from(`${entry}\0`);
  const blank = Buffer.from(`/${'x'.repeat(entry.length - 1)}\0`);
  let at = bytes.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  while (at >= 0) {
    blank.copy(bytes, at);
    at = bytes.indexOf(needle, at + 1);
  }
  writeFileSync(target, bytes);
  expect(runpath(target)).toEqual([blank.subarray(0, -1).toString()]);
}

describe('prebuild tags and order', () => {
  it('names the torch minor version and the CUDA flavour', () => {
    expect(prebuildTag('1.13.1', null)).toBe('torch1_13-cpu');
    expect(prebuildTag('2.14.1', '13.0')).toBe('torch2_14-cuda13_0');
    expect(prebuildTag('2.11.0+cu130', '13.0')).toBe('torch2_11-cuda13_0');
  });

  it('lists CUDA flavours first and ignores other files', () => {
    const root = fakeRoot('order', {
      'neural_ivp.napi.torch1_13-cpu.node': 'x',
      'neural_ivp.napi.torch2_14-cuda13_0.node': 'x',
      'neural_ivp.napi.torch2_14-cuda13_0.json': JSON.stringify({ libdir: '/nowhere' }),
      'neural_ivp.node': 'x',
      'README.txt': 'x',
    });
    const found = listPrebuilds(root);
    expect(found.map((p) => [path.basename(p.file), p.torch, p.cuda])).toEqual([
      ['neural_ivp.napi.torch2_14-cuda13_0.node', '2.14', '13.0'],
      ['neural_ivp.napi.torch1_13-cpu.node', '1.13', null],
    ]);
    expect(found[0].manifest).toEqual({ libdir: '/nowhere' });
    expect(found[1].manifest).toBeNull();
  });

  it("reads torch and CUDA versions from Python's torch/version.py and a libtorch's build-version", () => {
    const python = path.join(temp, 'py', 'torch');
    mkdirSync(path.join(python, 'lib'), { recursive: true });
    writeFileSync(
      path.join(python, 'version.py'),
      "__version__ = '2.14.1+cu130'\ndebug = False\ncuda: Optional[str] = '13.0'\nhip: Optional[str] = None\n",
    );
    expect(libtorchVersions(path.join(python, 'lib'))).toEqual({ torch: '2.14.1', cuda: '13.0' });
    writeFileSync(path.join(python, 'version.py'), "__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\n");
    expect(libtorchVersions(path.join(python, 'lib'))).toEqual({ torch: '2.13.0', cuda: null });
    const zip = path.join(temp, 'zip', 'libtorch');
    mkdirSync(path.join(zip, 'lib'), { recursive: true });
    writeFileSync(path.join(zip, 'build-version'), '2.11.0+cu128\n');
    expect(libtorchVersions(path.join(zip, 'lib'))).toEqual({ torch: '2.11.0', cuda: '12.8' });
    expect(libtorchVersions(path.join(temp, 'nothing'))).toBeNull();
  });
});

describe('the hash of the native sources', () => {
  it('changes with a compiled source and not with a native test', () => {
    const root = path.join(temp, 'hash');
    mkdirSync(path.join(root, 'native', 'engine'), { recursive: true });
    mkdirSync(path.join(root, 'native', 'tests'), { recursive: true });
    writeFileSync(path.join(root, 'CMakeLists.txt'), 'project(x)');
    writeFileSync(path.join(root, 'native', 'engine', 'a.cc'), 'int a;');
    writeFileSync(path.join(root, 'native', 'tests', 'test_a.cc'), 'int t;');
    const before = nativeSourceHash(root);
    writeFileSync(path.join(root, 'native', 'tests', 'test_a.cc'), 'int t2;');
    expect(nativeSourceHash(root)).toBe(before);
    writeFileSync(path.join(root, 'native', 'engine', 'a.cc'), 'int b;');
    expect(nativeSourceHash(root)).not.toBe(before);
  });

  // Both flavours are committed (node scripts/prebuild.mjs; bash scripts/cuda-torch.sh prebuild),
  // each made from the current native sources: the install step skips a stale one.
  it.each([
    ['CPU', 'torch1_13-cpu'],
    ['CUDA', 'torch2_14-cuda13_0'],
  ])('the committed %s prebuild (%s) was made from the current native sources', (_flavour, tag) => {
    const prebuild = listPrebuilds(packageRoot).find((p) => path.basename(p.file) === `neural_ivp.napi.${tag}.node`);
    expect(prebuild, `prebuilds/${process.platform}-${process.arch}/neural_ivp.napi.${tag}.node`).toBeDefined();
    expect(prebuild?.manifest).toMatchObject({ tag, sourceHash: nativeSourceHash(packageRoot) });
  });
});

/** A CPU binary to load: the local build (current sources) when there is one, else the committed CPU prebuild. */
function cpuBinary(): string {
  const local = path.join(packageRoot, 'build', 'Release', 'neural_ivp.node');
  if (existsSync(local)) return local;
  const committed = listPrebuilds(packageRoot).find((p) => p.cuda === null);
  if (!committed) throw new Error('no build/Release and no committed CPU prebuild to load');
  return committed.file;
}

/** A root holding a copy of the CPU binary under its tag (read from the binary in a child process). */
function rootWithCpu(name: string, files: Record<string, string | Buffer> = {}): string {
  const binary = cpuBinary();
  const torch = execFileSync(
    process.execPath,
    ['-e', `console.log(require(${JSON.stringify(binary)}).torchVersion())`],
    { encoding: 'utf8' },
  ).trim();
  const root = fakeRoot(name, files);
  copyFileSync(binary, path.join(prebuildDir(root), `neural_ivp.napi.${prebuildTag(torch, null)}.node`));
  return root;
}

describe('loading a prebuild (child process, no build/Release)', { timeout: 120_000 }, () => {
  it('skips a CUDA prebuild that cannot load and uses the CPU one, which computes the reference values', () => {
    const root = rootWithCpu('load', { 'neural_ivp.napi.torch2_14-cuda13_0.node': Buffer.from('not a shared object') });
    const result = loadIn(root);
    expect(path.basename(result.file ?? '')).toMatch(/^neural_ivp\.napi\.torch\d+_\d+-cpu\.node$/);
    expect(result.skipped).toEqual([expect.stringMatching(/^neural_ivp\.napi\.torch2_14-cuda13_0\.node: /)]);
    expect(result.cuda).toBeNull();
    expectReferenceValues(result);
  });

  it('names each prebuild and why it failed when none loads', () => {
    const root = fakeRoot('none', { 'neural_ivp.napi.torch2_14-cuda13_0.node': Buffer.from('junk') });
    const result = loadIn(root);
    expect(result.error).toMatch(/no prebuild in prebuilds\/.* loads: neural_ivp\.napi\.torch2_14-cuda13_0\.node: /);
  });
});

// A CUDA build of this checkout (scripts/cuda-torch.sh build), else the committed CUDA prebuild.
const cudaBuild = [
  path.join(packageRoot, 'build-cuda', 'Release', 'neural_ivp.node'),
  ...listPrebuilds(packageRoot)
    .filter((p) => p.cuda !== null)
    .map((p) => p.file),
].find((file) => existsSync(file));
// Its libtorch (the RUNPATH folder holding libtorch_cuda.so) when this machine has it.
const cudaLibdir = cudaBuild
  ? runpath(cudaBuild).find((dir) => existsSync(path.join(dir, 'libtorch_cuda.so')))
  : undefined;

describe.runIf(cudaBuild)('a CUDA binary (child process)', { timeout: 120_000 }, () => {
  const tag = 'neural_ivp.napi.torch2_14-cuda13_0.node';

  it.runIf(cudaLibdir)(
    'loads through its RUNPATH, reports CUDA 13.0 and no device, and computes the reference values',
    () => {
      const root = rootWithCpu('cuda-runpath');
      copyFileSync(cudaBuild as string, path.join(prebuildDir(root), tag));
      const result = loadIn(root);
      expect(path.basename(result.file ?? '')).toBe(tag);
      expect(result.skipped).toEqual([]);
      expect([result.torch, result.cuda, result.cudaAvailable]).toEqual([
        libtorchVersions(cudaLibdir as string)?.torch,
        '13.0',
        false,
      ]);
      expectReferenceValues(result);
    },
  );

  it('without its libtorch (RUNPATH gone, no LIBTORCH, no Python torch) is skipped for the CPU prebuild, with the reason', () => {
    const root = rootWithCpu('cuda-missing');
    withoutRunpath(cudaBuild as string, path.join(prebuildDir(root), tag));
    const result = loadIn(root, { PATH: path.join(temp, 'empty-path') });
    expect(path.basename(result.file ?? '')).toMatch(/-cpu\.node$/);
    expect(result.skipped).toEqual([expect.stringMatching(new RegExp(`^${tag.replace(/\./g, '\\.')}: .*lib`))]);
    expectReferenceValues(result);
  });

  it.runIf(cudaLibdir)('with its RUNPATH gone, loads after preloading the libtorch of LIBTORCH', () => {
    const root = rootWithCpu('cuda-libtorch');
    withoutRunpath(cudaBuild as string, path.join(prebuildDir(root), tag));
    const result = loadIn(root, { PATH: path.join(temp, 'empty-path'), LIBTORCH: path.dirname(cudaLibdir as string) });
    expect(path.basename(result.file ?? '')).toBe(tag);
    expect(result.cuda).toBe('13.0');
    expectReferenceValues(result);
  });

  // A pip venv: <venv>/lib/pythonX.Y/site-packages/torch/lib, its python in <venv>/bin.
  const venvBin = cudaLibdir ? path.resolve(cudaLibdir, '..', '..', '..', '..', '..', 'bin') : undefined;
  it.runIf(venvBin && existsSync(path.join(venvBin, 'python3')))(
    "with its RUNPATH gone, loads after preloading Python's torch (python3 on PATH)",
    () => {
      const root = rootWithCpu('cuda-python');
      withoutRunpath(cudaBuild as string, path.join(prebuildDir(root), tag));
      const result = loadIn(root, { PATH: venvBin as string });
      expect(path.basename(result.file ?? '')).toBe(tag);
      expectReferenceValues(result);
    },
  );
});
