// The network configuration the addon takes, and the names it shares with the options: a leaf
// module, so that the addon's types (native.ts) and the solver's session types import it
// without importing each other.

export type Activation = 'swish' | 'tanh';
export type DType = 'float64' | 'float32';
export type DeviceName = 'cpu' | 'cuda';

export interface NativeNetworkConfig {
  dim: number;
  fields?: number;
  width?: number;
  depth?: number;
  activation?: Activation;
  embedding?: boolean;
  frequencies?: number;
  decay?: number;
  embeddingScale?: number;
  dirichlet?: boolean;
  lower: number[];
  upper: number[];
  dtype?: DType;
  device?: DeviceName;
  /** Rows of the sample dimension processed at once. */
  chunkRows?: number;
  /** Bytes that a chunk's temporaries may use. */
  memoryBudget?: number;
}
