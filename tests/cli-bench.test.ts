// `neural-ivp bench` calls runBench (mocked here: the real one measures for a while) and prints
// its report as JSON with --json, progress lines otherwise.
import { describe, expect, it, vi } from 'vitest';
import type { BenchOptions, BenchReport } from '../ts/bench/run';
import { cli } from './cli-helpers';

const calls: BenchOptions[] = [];
const REPORT: BenchReport = {
  mvm: {
    n: 10_000,
    p: 24_001,
    seconds: 0.01,
    call_seconds: 0.012,
    gflops: 190,
    executed_gflops: 95,
    gemm_gflops: 300,
    gemm_peak_gflops: null,
    linearize_seconds: 0.02,
    linearize_ratio: 2.5,
    float32_seconds: 0.006,
    float32_speedup: 1.7,
    ops_per_product: 120,
    syncs_per_product: 0,
    ops_per_product_batched: [
      { n: 10_000, ops: 24 },
      { n: 50_000, ops: 24 },
    ],
    peer_seconds: null,
    peer_speedup: null,
    gemm_fraction: 0.63,
  },
  solve: [],
  fit: [],
  problem: null,
  figure6: null,
  transport: null,
  suite: [],
  machine: {
    cpus: 2,
    device: 'cpu',
    torch_version: '2.5.0',
    threads: 2,
    cuda_version: null,
    cuda_available: false,
    cuda_devices: 0,
    addon: 'build/Release/neural_ivp.node',
    addon_kind: 'local build',
  },
  notes: ['peer: not installed'],
};

vi.mock('../ts/bench/run', () => ({
  runBench: async (options: BenchOptions): Promise<BenchReport> => {
    calls.push(options);
    if (options.json !== true) options.log?.('machine: 2 cpus');
    return REPORT;
  },
}));

describe('neural-ivp bench', () => {
  it('--quick --json prints the report as one JSON object on stdout', async () => {
    const r = await cli(['bench', '--quick', '--json']);
    expect(r.code).toBe(0);
    expect(calls.at(-1)).toMatchObject({ quick: true, json: true });
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual(REPORT);
  });

  it('without --json prints the progress lines only', async () => {
    const r = await cli(['bench']);
    expect(r.code).toBe(0);
    expect(calls.at(-1)).toMatchObject({ quick: false, json: false, device: 'cpu' });
    expect(r.stdout).toBe('machine: 2 cpus\n');
  });

  it('--cuda asks for the GPU run', async () => {
    const r = await cli(['bench', '--cuda', '--json']);
    expect(r.code).toBe(0);
    expect(calls.at(-1)).toMatchObject({ device: 'cuda' });
  });

  it('rejects unknown flags with exit 2', async () => {
    const r = await cli(['bench', '--fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--fast'/);
  });
});
