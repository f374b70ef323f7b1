// Tagged prebuilds (scripts/addon.mjs): tags, the CUDA-first order, the hash of the native sources
// that marks a prebuild stale, and loading one from a package without build/Release — in a child
// process, whose addon must compute what the local build computes.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPrebuilds, nativeSourceHash, prebuildDir, prebuildTag } from '../scripts/addon.mjs';
import { native, packageRoot } from '../ts/native';

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

const loaderScript = (root: string) => `
import(${JSON.stringify(path.join(packageRoot, 'scripts', 'addon.mjs'))}).then((m) => {
  try {
    const { addon, file } = m.loadPrebuild(${JSON.stringify(root)}, require);
    const net = new addon.Network({ dim: 2, width: 8, depth: 2, frequencies: 2, lower: [-1, -1], upper: [1, 1] });
    const theta = net.initialParameters(3);
    net.forward(theta, Float64Array.from([0.1, 0.2, -0.3, 0.4])).then((jets) =>
      console.log(JSON.stringify({ file, torch: addon.torchVersion(), values: [...jets.values] })));
  } catch (e) { console.log(JSON.stringify({ error: e.message })); }
});`;

function loadIn(root: string): { file?: string; torch?: string; values?: number[]; error?: string } {
  const out = execFileSync(process.execPath, ['-e', loaderScript(root)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

describe('prebuild tags and order', () => {
  it('names the torch minor version and the CUDA flavour', () => {
    expect(prebuildTag('1.13.1', null)).toBe('torch1_13-cpu');
    expect(prebuildTag('2.11.0+cu130', '13.0')).toBe('torch2_11-cuda13_0');
  });

  it('lists CUDA flavours first and ignores other files', () => {
    const root = fakeRoot('order', {
      'neural_ivp.napi.torch1_13-cpu.node': 'x',
      'neural_ivp.napi.torch2_11-cuda13_0.node': 'x',
      'neural_ivp.napi.torch2_11-cuda13_0.json': JSON.stringify({ libdir: '/nowhere' }),
      'neural_ivp.node': 'x',
      'README.txt': 'x',
    });
    const found = listPrebuilds(root);
    expect(found.map((p) => [path.basename(p.file), p.torch, p.cuda])).toEqual([
      ['neural_ivp.napi.torch2_11-cuda13_0.node', '2.11', '13.0'],
      ['neural_ivp.napi.torch1_13-cpu.node', '1.13', null],
    ]);
    expect(found[0].manifest).toEqual({ libdir: '/nowhere' });
    expect(found[1].manifest).toBeNull();
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

  it('every committed prebuild was made from the current native sources (node scripts/prebuild.mjs)', () => {
    const hash = nativeSourceHash(packageRoot);
    for (const p of listPrebuilds(packageRoot)) {
      expect({ file: path.basename(p.file), sourceHash: p.manifest?.sourceHash }).toEqual({
        file: path.basename(p.file),
        sourceHash: hash,
      });
    }
  });
});

describe('loading a prebuild (child process, no build/Release)', { timeout: 60_000 }, () => {
  // The addon this process loaded: the local build, or (after an install that kept a prebuild) the
  // CPU prebuild itself.
  const local = path.join(packageRoot, 'build', 'Release', 'neural_ivp.node');
  const cpuPrebuild = listPrebuilds(packageRoot).find((p) => p.cuda === null)?.file;
  const built = existsSync(local) ? local : (cpuPrebuild ?? local);
  const tag = prebuildTag(native().torchVersion(), null);

  it('skips a CUDA prebuild that cannot load and uses the CPU one, which computes what the local build does', async () => {
    const root = fakeRoot('load', {
      'neural_ivp.napi.torch2_11-cuda13_0.node': Buffer.from('not a shared object'),
    });
    copyFileSync(built, path.join(prebuildDir(root), `neural_ivp.napi.${tag}.node`));
    const result = loadIn(root);
    expect(result.error).toBeUndefined();
    expect(path.basename(result.file ?? '')).toBe(`neural_ivp.napi.${tag}.node`);
    expect(result.torch).toBe(native().torchVersion());
    const net = new (native().Network)({
      dim: 2,
      width: 8,
      depth: 2,
      frequencies: 2,
      lower: [-1, -1],
      upper: [1, 1],
    });
    const local = await net.forward(net.initialParameters(3), Float64Array.from([0.1, 0.2, -0.3, 0.4]));
    expect(result.values).toEqual([...local.values]);
  });

  it('names each prebuild and why it failed when none loads', () => {
    const root = fakeRoot('none', { 'neural_ivp.napi.torch2_11-cuda13_0.node': Buffer.from('junk') });
    const result = loadIn(root);
    expect(result.error).toMatch(/no prebuild in prebuilds\/.* loads: neural_ivp\.napi\.torch2_11-cuda13_0\.node: /);
  });
});
