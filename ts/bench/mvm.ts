// M·v at the benchmark's reference size: n = 10,000 points in 3D, L = 5,
// 3 hidden layers of width 100, one field, float64 (p = 24,001).
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import { mulberry32 } from '../util/random';

export interface MvmFigures {
  n: number;
  p: number;
  /** One M·v on the device, v resident there and the result left there (as CG runs it). */
  seconds: number;
  /** One `lin.mvm(v)` call from JavaScript: the product plus copying v in and the result out. */
  call_seconds: number;
  /** 8·n·p / seconds: the nominal count of one M·v (a JVP and a VJP through the network). */
  gflops: number;
  /** 4·n·p / seconds: flops the cached-factor kernels actually execute. */
  executed_gflops: number;
  /** The same-shaped GEMM as the M·v's layer products: (2000×100)·(100×100) on a CPU, (n×100)·(100×100) on a GPU. */
  gemm_gflops: number;
  /** A GPU's large-GEMM speed, (4096×4096)², for scale (null on a CPU). */
  gemm_peak_gflops: number | null;
  /** `net.linearize(θ, points)` (the sweep that caches the Jacobian's factors) plus its first M·v. */
  linearize_seconds: number;
  /** linearize_seconds / call_seconds: what one fresh linearisation costs in products, both timed from JavaScript. */
  linearize_ratio: number;
  /** The same M·v on the device on a float32 network (what `linear.mixedPrecision` runs in CG). */
  float32_seconds: number;
  /** seconds / float32_seconds. */
  float32_speedup: number;
  /** ATen operator calls of one M·v under this device's chunking rule (each ≥ 1 kernel launch on a GPU). */
  ops_per_product: number;
  /** Host synchronisations of one M·v (0: the product never waits for the device). */
  syncs_per_product: number;
  /**
   * Operator calls of one M·v with the CUDA rule (the whole batch per pass) at n and at 5n: what a
   * GPU will launch, measured on any device. Equal when the count does not grow with n.
   */
  ops_per_product_batched: { n: number; ops: number }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureMvm(options: {
  n?: number;
  repeats: number;
  device?: 'cpu' | 'cuda';
  signal?: AbortSignal;
}): Promise<MvmFigures> {
  const addon = native();
  const device = options.device ?? 'cpu';
  const n = options.n ?? 10_000;
  const dim = 3;
  const network = (dtype: 'float64' | 'float32', chunking: 'auto' | 'batch' = 'auto') =>
    new addon.Network({
      chunking,
      dim,
      width: 100,
      depth: 3,
      frequencies: 5,
      lower: [-1, -1, -1],
      upper: [1, 1, 1],
      device,
      dtype,
    });
  const net = network('float64');
  const net32 = network('float32');
  const random = mulberry32(1);
  const points = Float64Array.from({ length: n * dim }, () => 2 * random() - 1);
  const theta = net.initialParameters(0);
  const p = net.parameterCount;
  const v = Float64Array.from({ length: p }, () => random() - 0.5);
  const timed = async (run: () => Promise<unknown>) => {
    const start = performance.now();
    await run();
    return (performance.now() - start) / 1000;
  };
  // Linearisations, each followed by its first M·v, interleaved with steady-state M·v's and the
  // float32 network's, so that a busy machine slows all of them alike.
  const lin = await net.linearize(theta, points);
  const lin32 = await net32.linearize(theta, points);
  await lin.mvm(v, 1, 0);
  await lin32.mvm(v, 1, 0);
  const times: number[] = [];
  const times32: number[] = [];
  const calls: number[] = [];
  const linearize: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    options.signal?.throwIfAborted();
    // Five products per reading on the device: a median within the reading, a median across them.
    times.push(await lin.mvmSeconds(v, 1, 0, 5));
    times32.push(await lin32.mvmSeconds(v, 1, 0, 5));
    calls.push(await timed(() => lin.mvm(v, 1, 0)));
    if (i < Math.max(3, options.repeats / 3)) {
      const start = performance.now();
      const again = await net.linearize(theta, points);
      await again.mvm(v, 1, 0);
      linearize.push((performance.now() - start) / 1000);
      // Freed as a stage frees its own: the next linearisation reuses the memory, as in a solve.
      again.release();
    }
  }
  const launches = await lin.mvmLaunches(v, 1, 0);
  const batched = network('float64', 'batch');
  const opsBatched: { n: number; ops: number }[] = [];
  for (const size of [n, 5 * n]) {
    const extra = Float64Array.from({ length: size * dim }, () => 2 * random() - 1);
    const linBatched = await batched.linearize(theta, extra);
    opsBatched.push({ n: size, ops: (await linBatched.mvmLaunches(v, 1, 0)).ops });
    linBatched.release();
  }
  const seconds = median(times);
  const float32Seconds = median(times32);
  const linearizeSeconds = median(linearize);
  return {
    n,
    p,
    seconds,
    call_seconds: median(calls),
    gflops: (8 * n * p) / seconds / 1e9,
    executed_gflops: (4 * n * p) / seconds / 1e9,
    gemm_gflops:
      device === 'cuda' ? addon.gemmGflops(n, 100, 100, 50, 'float64', device) : addon.gemmGflops(2000, 100, 100, 50),
    gemm_peak_gflops: device === 'cuda' ? addon.gemmGflops(4096, 4096, 4096, 10, 'float64', device) : null,
    linearize_seconds: linearizeSeconds,
    linearize_ratio: linearizeSeconds / median(calls),
    float32_seconds: float32Seconds,
    float32_speedup: seconds / float32Seconds,
    ops_per_product: launches.ops,
    syncs_per_product: launches.syncs,
    ops_per_product_batched: opsBatched,
  };
}
