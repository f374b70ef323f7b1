// Loads the native addon (NEURAL_IVP_ADDON, build/Release via node-gyp-build, else a tagged
// prebuild: scripts/addon.mjs) and types its surface. Everything else in ts/ talks to native code
// through this file.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AddonKind, loadAddon } from '../scripts/addon.mjs';
import type { DeviceName, DType, NativeNetworkConfig } from './native-config';
import type { Program } from './problem/plan';
import type { NativeSession, SessionConfig } from './solver/session';

export type { Activation, DeviceName, DType, NativeNetworkConfig } from './native-config';

export interface LayerLayout {
  in: number;
  out: number;
  weightOffset: number;
  biasOffset: number;
}

export interface NetworkLayout {
  fields: number;
  fieldParameterCount: number;
  inputFeatures: number;
  layers: LayerLayout[];
}

export interface JetRequestNative {
  gradient?: boolean;
  pairs?: [number, number][];
  laplacian?: boolean;
}

/**
 * The fields' jets, row-major: values n×k, gradients n×k×D, second n×k×P (P: the requested
 * `pairs`, in their order), laplacian n×k.
 */
export interface NativeJets {
  values: Float64Array;
  gradients?: Float64Array;
  second?: Float64Array;
  laplacian?: Float64Array;
}

export interface NativeLinearization {
  readonly samples: number;
  values(): Float64Array;
  /** V: p×r row-major → J·V, n×k×r. */
  jvp(V: Float64Array, r: number): Promise<Float64Array>;
  /** W: n×k×r row-major → Jᵀ·W, p×r. */
  vjp(W: Float64Array, r: number): Promise<Float64Array>;
  /** V: p×r → (JᵀJ/n + μI)·V, p×r. */
  mvm(V: Float64Array, r: number, mu?: number): Promise<Float64Array>;
  /** f: n×k → F = Jᵀf/n. */
  rhs(f: Float64Array): Promise<Float64Array>;
  /** The explicit Jacobian block of one field, n×p_a. */
  jacobian(field: number): Promise<Float64Array>;
}

export interface NativeNetwork {
  readonly parameterCount: number;
  readonly fieldParameterCount: number;
  layout(): NetworkLayout;
  initialParameters(seed: number): Float64Array;
  forward(theta: Float64Array, points: Float64Array, request?: JetRequestNative): Promise<NativeJets>;
  linearize(theta: Float64Array, points: Float64Array): Promise<NativeLinearization>;
}

export interface ProgramShape {
  dim: number;
  fields: number;
  pairs?: [number, number][];
}

export interface NativeAddon {
  torchVersion(): string;
  cudaAvailable(): boolean;
  /** The CUDA runtime version libtorch was built with ("13.0"); null for a CPU-only libtorch. */
  cudaVersion(): string | null;
  cudaDeviceCount(): number;
  /** The c10d backends this build was compiled with ('gloo', 'nccl'). */
  distributedBackends(): string[];
  threads(): number;
  setThreads(threads: number): number;
  /** GFLOP/s of an (m×k)·(k×n) GEMM, median of `repeats` (the benchmark's reference). */
  gemmGflops(m: number, k: number, n: number, repeats: number, dtype?: DType, device?: DeviceName): number;
  Network: new (config: NativeNetworkConfig) => NativeNetwork;
  /** The solver's session (ts/solver/session.ts describes it). */
  Session: new (
    config: SessionConfig,
  ) => NativeSession;
  /** A compiled program evaluated natively at points (n×dim): n×outputs, row-major. */
  evaluateProgram(
    program: Program,
    shape: ProgramShape,
    points: Float64Array,
    t: number,
    jets?: NativeJets,
  ): Float64Array;
}

export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Which binary was loaded (runtimeInfo reports it). */
export interface LoadedAddonInfo {
  /** The .node file, absolute. */
  file: string;
  kind: AddonKind;
  /** Candidates tried before it, each as "file: why it did not load". */
  skipped: string[];
}

let cached: NativeAddon | undefined;
let loaded: LoadedAddonInfo | undefined;

/** The addon, loaded on first use so that importing the package never fails by itself. */
export function native(): NativeAddon {
  if (!cached) {
    // libtorch's OpenMP threads otherwise spin between parallel regions and starve OpenBLAS's
    // threads and other processes (docs/results.md: small-batch fits on a busy machine).
    // libgomp reads this once, when the addon loads libtorch; a user's own setting wins.
    process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
    try {
      const found = loadAddon(packageRoot);
      loaded = { file: found.file, kind: found.kind, skipped: found.skipped };
      cached = found.addon as NativeAddon;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `neural-ivp: the native addon could not be loaded (${reason}). Build it with 'npm rebuild neural-ivp' (npm 12 runs install scripts only once allowed: 'npm approve-scripts neural-ivp' first) or, in the repository, 'npm run build:native'.`,
      );
    }
  }
  return cached;
}

/** The binary that native() loaded (loading it first). */
export function loadedAddon(): LoadedAddonInfo {
  native();
  return loaded as LoadedAddonInfo;
}
