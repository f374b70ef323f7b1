// What the loaded native core runs on.
import path from 'node:path';
import { loadedAddon, native, packageRoot } from './native';

/** What the loaded native core runs on, as `runtimeInfo()` reports it. */
export interface RuntimeInfo {
  /** The libtorch the addon runs on ("2.14.1", "1.13.0"). */
  torchVersion: string;
  /** Whether a CUDA device was found (false on a CPU-only libtorch, and on a CUDA one without a device). */
  cuda: boolean;
  /** The CUDA version libtorch was built for ("13.0"); null for a CPU-only libtorch. */
  cudaVersion: string | null;
  /** CUDA devices found. */
  cudaDevices: number;
  /**
   * The binary that was loaded: its path relative to the package ("build/Release/neural_ivp.node",
   * "prebuilds/linux-x64/neural_ivp.napi.torch2_14-cuda13_0.node"), absolute when outside it.
   */
  addon: string;
  /** How it was chosen: a local build, a tagged prebuild, or NEURAL_IVP_ADDON. */
  addonKind: 'local build' | 'prebuild' | 'NEURAL_IVP_ADDON';
  /** Candidates tried before it, each as "file: why it did not load". */
  addonSkipped: string[];
  /** libtorch intra-op threads (set to the core count at load). */
  threads: number;
}

/** The libtorch, device and binary of the loaded native core (loading it first). */
export function runtimeInfo(): RuntimeInfo {
  const addon = native();
  const loaded = loadedAddon();
  const relative = path.relative(packageRoot, loaded.file);
  return {
    torchVersion: addon.torchVersion(),
    cuda: addon.cudaAvailable(),
    cudaVersion: addon.cudaVersion(),
    cudaDevices: addon.cudaDeviceCount(),
    addon: relative.startsWith('..') || path.isAbsolute(relative) ? loaded.file : relative,
    addonKind: loaded.kind,
    addonSkipped: loaded.skipped,
    threads: addon.threads(),
  };
}

/** Sets libtorch's intra-op threads; 0 means one per core. Returns the count in effect. */
export function setThreads(threads: number): number {
  return native().setThreads(threads);
}
