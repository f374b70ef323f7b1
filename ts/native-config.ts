// The network configuration the addon takes, and the names it shares with the options: a leaf
// module, so that the addon's types (native.ts) and the solver's session types import it
// without importing each other.

/** The hidden layers' nonlinearity. */
export type Activation = 'swish' | 'tanh';
/** How a field comes from its subnetwork's output m: B·m, or B·e^m (a positive field). */
export type NetworkOutput = 'linear' | 'exp';
/** The floating point type of a network's parameters and of the solves. */
export type DType = 'float64' | 'float32';
/** A resolved device: where a network's tensors live. */
export type DeviceName = 'cpu' | 'cuda';

/** ATen operator calls (each at least one kernel launch on a GPU) and host synchronisations. */
export interface LaunchCounts {
  /** ATen operator calls. */
  ops: number;
  /** Host synchronisations. */
  syncs: number;
}

/**
 * A native `Network`'s shape (docs/api.md §6); the options of the same names in `NetworkOptions`
 * say what each does. An omitted option takes the 'default' preset's value (native code's
 * defaults are written from the option tables: width 48, depth 3, 5 octaves, decay 1, scale 1.5),
 * `fields` 1, `dirichlet` true, `periodic` false, `dtype` 'float64', `device` 'cpu'.
 */
export interface NativeNetworkConfig {
  /** Spatial dimension D of the inputs. */
  dim: number;
  /** Output fields k: one MLP each. */
  fields?: number;
  /** Hidden units per layer. */
  width?: number;
  /** Hidden layers. */
  depth?: number;
  /** The hidden layers' nonlinearity. */
  activation?: Activation;
  /** Whether the sinusoidal embedding γ of eq. (5) precedes the MLP. */
  embedding?: boolean;
  /** u = B·m ('linear', the default) or u = B·e^m ('exp'). */
  output?: NetworkOutput;
  /** Highest octave L of the embedding. */
  frequencies?: number;
  /** Octave k is damped by 2^(−decay·k). */
  decay?: number;
  /** Factor on γ before the MLP. */
  embeddingScale?: number;
  /**
   * Multiply by a factor that vanishes on the box faces (zero Dirichlet values built in): one flag
   * for every axis, or one per axis (the factor then vanishes on the faces of those axes only).
   */
  dirichlet?: boolean | boolean[];
  /**
   * Octave k at 2^k·π in s (not 2^k·π/2), so that the network repeats with the box: one flag for
   * every axis, or one per axis; needs the embedding and no Dirichlet factor along such an axis.
   * Default false.
   */
  periodic?: boolean | boolean[];
  /** Per field, in field order, the factor c of u = c·B·m (c·B·e^m); absent: 1 for every field. */
  outputScale?: number[];
  /**
   * Per field, in field order, the constant o of u = o + c·B·m; absent: 0 for every field. Non-zero
   * only with the linear output and `dirichlet: false`.
   */
  outputOffset?: number[];
  /** The box's lower corner, D numbers (the embedding and the boundary factor use it). */
  lower: number[];
  /** The box's upper corner, D numbers. */
  upper: number[];
  /** Parameter and computation type. */
  dtype?: DType;
  /** Where the parameters and temporaries live. */
  device?: DeviceName;
  /**
   * How the sample dimension is cut into passes: 'cache' in passes of at most `chunkRows` rows (a
   * core's cache), 'batch' the whole batch per pass whenever it fits `memoryBudget` (a GPU's
   * launches), 'auto' (default) batch on CUDA and cache on a CPU.
   */
  chunking?: 'auto' | 'cache' | 'batch';
  /** Rows per pass under the 'cache' rule. */
  chunkRows?: number;
  /** Bytes that a chunk's temporaries may use. */
  memoryBudget?: number;
}
