// Loads the native addon (NEURAL_IVP_ADDON, build/Release via node-gyp-build, else a tagged
// prebuild: scripts/addon.mjs) and types its surface. Everything else in ts/ talks to native code
// through this file.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AddonKind, loadAddon } from '../scripts/addon.mjs';
import type { DeviceName, DType, LaunchCounts, NativeNetworkConfig } from './native-config';
import type { Program } from './problem/plan';
import type { NativeSession, SessionConfig } from './solver/session';

export type { Activation, DeviceName, DType, NativeNetworkConfig, NetworkOutput } from './native-config';

/** One linear layer's place in a field's block of θ: W (out × in, row-major), then b (out). */
export interface LayerLayout {
  /** Input width. */
  in: number;
  /** Output width. */
  out: number;
  /** Offset of W within the field's block. */
  weightOffset: number;
  /** Offset of b within the field's block. */
  biasOffset: number;
}

/**
 * Where each parameter sits in θ: field-major, one block of `fieldParameterCount` per field, its
 * layers in order (docs/api.md §6, "Parameter layout").
 */
export interface NetworkLayout {
  /** Fields k. */
  fields: number;
  /** Parameters per field p_a = p / k. */
  fieldParameterCount: number;
  /** Width of the first layer's input: 2·(L+1)·D with the embedding, D without. */
  inputFeatures: number;
  /** The linear layers of one field, in order. */
  layers: LayerLayout[];
}

/** Which jets `NativeNetwork.forward` computes beyond the values. */
export interface JetRequestNative {
  /** The D first derivatives of every field. */
  gradient?: boolean;
  /** Second derivatives ∂²/∂x_i∂x_j, one per pair (i ≤ j), in this order. */
  pairs?: [number, number][];
  /** The Laplacian of every field. */
  laplacian?: boolean;
}

/**
 * The fields' jets, row-major: values n×k, gradients n×k×D, second n×k×P (P: the requested
 * `pairs`, in their order), laplacian n×k.
 */
export interface NativeJets {
  /** n×k. */
  values: Float64Array;
  /** n×k×D, when requested. */
  gradients?: Float64Array;
  /** n×k×P, when `pairs` were requested. */
  second?: Float64Array;
  /** n×k, when requested. */
  laplacian?: Float64Array;
}

/**
 * The network linearized at θ on n points: the per-layer Jacobian factors, cached, so that the
 * products below never form J or M.
 */
export interface NativeLinearization {
  /** The points n. */
  readonly samples: number;
  /** The network's values at the points, n×k. */
  values(): Float64Array;
  /** V: p×r row-major → J·V, n×k×r. */
  jvp(V: Float64Array, r: number): Promise<Float64Array>;
  /** W: n×k×r row-major → Jᵀ·W, p×r. */
  vjp(W: Float64Array, r: number): Promise<Float64Array>;
  /** V: p×r → (JᵀJ/n + μI)·V, p×r. */
  mvm(V: Float64Array, r: number, mu?: number): Promise<Float64Array>;
  /** What one `mvm` asks of the device: ATen operator calls and host synchronisations. */
  mvmLaunches(V: Float64Array, r: number, mu?: number): Promise<LaunchCounts>;
  /**
   * Median seconds of one `mvm` on the device over `repeats` runs, V resident there and the result
   * left there (each run waits for the device): the product as CG runs it, without the copies to
   * and from JavaScript.
   */
  mvmSeconds(V: Float64Array, r: number, mu: number, repeats: number): Promise<number>;
  /** f: n×k → F = Jᵀf/n. */
  rhs(f: Float64Array): Promise<Float64Array>;
  /** The explicit Jacobian block of one field, n×p_a. */
  jacobian(field: number): Promise<Float64Array>;
  /**
   * Frees the caches now rather than when the garbage collector finds this object (which does not
   * see their size): after it, every method throws a TypeError.
   */
  release(): void;
}

/** A native network u(x, θ); θ is passed to each call, never stored. */
export interface NativeNetwork {
  /** p, the length of θ. */
  readonly parameterCount: number;
  /** p / k, one field's block. */
  readonly fieldParameterCount: number;
  /** Where each layer's parameters sit in θ. */
  layout(): NetworkLayout;
  /** A seeded initialization, Float64Array(p). */
  initialParameters(seed: number): Float64Array;
  /** The fields and the requested jets at `points` (n×D, row-major). */
  forward(theta: Float64Array, points: Float64Array, request?: JetRequestNative): Promise<NativeJets>;
  /** Caches the Jacobian factors at θ on `points` (n×D) for J·V, Jᵀ·W and M·V. */
  linearize(theta: Float64Array, points: Float64Array): Promise<NativeLinearization>;
}

export interface ProgramShape {
  dim: number;
  fields: number;
  pairs?: [number, number][];
}

/** The native addon, as `native()` returns it. */
export interface NativeAddon {
  /** The loaded libtorch's version. */
  torchVersion(): string;
  /** Whether the loaded libtorch found a CUDA device. */
  cudaAvailable(): boolean;
  /** The CUDA runtime version libtorch was built with ("13.0"); null for a CPU-only libtorch. */
  cudaVersion(): string | null;
  /** CUDA devices found (0 on a CPU-only libtorch). */
  cudaDeviceCount(): number;
  /**
   * What the native config structs hold when nothing sets them (native/common/option_defaults.h,
   * written from the option tables).
   * @internal
   */
  structDefaults(): Record<string, Record<string, number | boolean | string>>;
  /** The c10d backends this build was compiled with ('gloo', 'nccl'). */
  distributedBackends(): string[];
  /** libtorch's intra-op threads. */
  threads(): number;
  /** Sets the intra-op threads (0: one per core) and returns the count. */
  setThreads(threads: number): number;
  /**
   * Bytes free and in all (null when unknown): the machine's available memory for 'cpu' (the
   * default), the CUDA device's for 'cuda'.
   */
  deviceMemory(device?: DeviceName): {
    /** Bytes free, or null when unknown. */
    free: number | null;
    /** Bytes in all, or null when unknown. */
    total: number | null;
  };
  /** GFLOP/s of an (m×k)·(k×n) GEMM, median of `repeats` (the benchmark's reference). */
  gemmGflops(m: number, k: number, n: number, repeats: number, dtype?: DType, device?: DeviceName): number;
  /** The network class. */
  Network: {
    /** Makes a network of the given shape. */
    new (config: NativeNetworkConfig): NativeNetwork;
  };
  /**
   * The solver's session (ts/solver/session.ts describes it).
   * @internal
   */
  Session: new (
    config: SessionConfig,
  ) => NativeSession;
  /**
   * A compiled program evaluated natively at points (n×dim): n×outputs, row-major.
   * @internal
   */
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
