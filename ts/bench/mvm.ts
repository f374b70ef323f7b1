// M·v at the reference size of the foundation issue: n = 10,000 points in 3D, L = 5,
// 3 hidden layers of width 100, one field, float64 (p = 24,001).
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import { mulberry32 } from '../util/random';

export interface MvmFigures {
  n: number;
  p: number;
  seconds: number;
  /** 8·n·p / seconds: the nominal count of one M·v (a JVP and a VJP through the network). */
  gflops: number;
  /** 4·n·p / seconds: flops the cached-factor kernels actually execute. */
  executed_gflops: number;
  /** The same-shaped GEMM as the M·v's layer products: (2000×100)·(100×100) on a CPU, (n×100)·(100×100) on a GPU. */
  gemm_gflops: number;
  /** A GPU's large-GEMM speed, (4096×4096)², for scale (null on a CPU). */
  gemm_peak_gflops: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureMvm(options: {
  n?: number;
  repeats: number;
  device?: 'cpu' | 'cuda';
}): Promise<MvmFigures> {
  const addon = native();
  const device = options.device ?? 'cpu';
  const n = options.n ?? 10_000;
  const dim = 3;
  const net = new addon.Network({
    dim,
    width: 100,
    depth: 3,
    frequencies: 5,
    lower: [-1, -1, -1],
    upper: [1, 1, 1],
    device,
  });
  const random = mulberry32(1);
  const points = Float64Array.from({ length: n * dim }, () => 2 * random() - 1);
  const lin = await net.linearize(net.initialParameters(0), points);
  const p = net.parameterCount;
  const v = Float64Array.from({ length: p }, () => random() - 0.5);
  await lin.mvm(v, 1, 0);
  const times: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    const start = performance.now();
    await lin.mvm(v, 1, 0);
    times.push((performance.now() - start) / 1000);
  }
  const seconds = median(times);
  return {
    n,
    p,
    seconds,
    gflops: (8 * n * p) / seconds / 1e9,
    executed_gflops: (4 * n * p) / seconds / 1e9,
    gemm_gflops:
      device === 'cuda' ? addon.gemmGflops(n, 100, 100, 50, 'float64', device) : addon.gemmGflops(2000, 100, 100, 50),
    gemm_peak_gflops: device === 'cuda' ? addon.gemmGflops(4096, 4096, 4096, 10, 'float64', device) : null,
  };
}
