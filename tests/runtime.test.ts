// runtimeInfo(): which binary was loaded and what it runs on, checked against what the process has
// mapped (/proc/self/maps) and what the mapped libtorch's folder says; and a libtorch without a CUDA
// device (CPU-only, or CUDA-built on a machine without a GPU) refusing 'cuda' with clear errors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { libtorchVersions } from '../scripts/addon.mjs';
import { SpecError } from '../ts/errors';
import { native, packageRoot } from '../ts/native';
import { problems } from '../ts/problems/index';
import { runtimeInfo } from '../ts/runtime';
import { NeuralIVP } from '../ts/solver/neural-ivp';

/** Shared objects mapped into this process. */
function mapped(): string[] {
  const files = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/)[5])
    .filter((file): file is string => Boolean(file?.startsWith('/')));
  return [...new Set(files)];
}

describe.runIf(process.platform === 'linux')('runtimeInfo', () => {
  const info = runtimeInfo();
  const maps = mapped();

  it('names the addon file this process mapped, and how it was chosen', () => {
    expect(maps).toContain(path.resolve(packageRoot, info.addon));
    expect(['local build', 'prebuild', 'NEURAL_IVP_ADDON']).toContain(info.addonKind);
    if (process.env.NEURAL_IVP_ADDON) expect(info.addonKind).toBe('NEURAL_IVP_ADDON');
    expect(Array.isArray(info.addonSkipped)).toBe(true);
  });

  it('reports a CUDA version exactly when the mapped libtorch is a CUDA build, as its folder says', () => {
    const cudaLib = maps.some((file) => path.basename(file).startsWith('libtorch_cuda.so'));
    expect(info.cudaVersion !== null).toBe(cudaLib);
    if (info.cudaVersion !== null) expect(info.cudaVersion).toMatch(/^\d+\.\d$/);
    const torchCpu = maps.find((file) => path.basename(file).startsWith('libtorch_cpu.so'));
    expect(torchCpu).toBeDefined();
    const folder = libtorchVersions(path.dirname(torchCpu as string));
    // Debian's /usr/lib/<triple> records no version; Python's torch and libtorch zips do.
    if (folder) expect({ torch: info.torchVersion, cuda: info.cudaVersion }).toEqual(folder);
    expect(info.torchVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('says whether a CUDA device was found, consistently with the device count', () => {
    expect(info.cuda).toBe(info.cudaDevices > 0);
    expect(info.cuda).toBe(native().cudaAvailable());
  });
});

describe.skipIf(native().cudaAvailable())('a libtorch without a CUDA device', () => {
  const heat = problems.heat({ dim: 2 });

  it("resolves device 'auto' to the CPU", () => {
    expect(new NeuralIVP({ problem: heat, device: 'auto' }).device).toBe('cpu');
  });

  it("refuses device 'cuda' with a SpecError naming device, before any native work", () => {
    let error: unknown;
    try {
      new NeuralIVP({ problem: heat, device: 'cuda' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).path).toBe('device');
    expect((error as Error).message).toMatch(/CUDA is not available/);
  });

  it("refuses 'cuda' natively with a RangeError (never an abort)", () => {
    const make = () =>
      new (native().Network)({ dim: 2, width: 4, depth: 1, lower: [0, 0], upper: [1, 1], device: 'cuda' });
    expect(make).toThrow(RangeError);
    expect(make).toThrow(/network\.device is 'cuda' but this libtorch has no CUDA device/);
    expect(() => native().gemmGflops(8, 8, 8, 1, 'float64', 'cuda')).toThrow(RangeError);
  });
});
