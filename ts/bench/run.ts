// runBench: the performance benchmark of docs/api.md §5, as a function (used by
// `npm run bench` through ./index.ts and by `neural-ivp bench`). A figure a run does not measure is
// null, with a note saying why.
import os from 'node:os';
import { native } from '../native';
import { type RuntimeInfo, runtimeInfo } from '../runtime';
import { type Figure6Figures, figure6Line, measureFigure6 } from './figure6';
import { type FitRow, measureFit } from './fit';
import { type MvmFigures, measureMvm } from './mvm';
import { runMvmPeers } from './peer';
import { measureProblem, measureTransport, type ProblemFigures } from './problem';
import { measureSolve, type SolveRow, widthsForP } from './solve';
import { measureSuite, type SuiteRow } from './suite';

export interface BenchOptions {
  /** Smaller repeat counts and sizes. */
  quick?: boolean;
  /** Machine-readable run: no progress lines (the caller prints the returned report as JSON). */
  json?: boolean;
  /** Where progress lines go when `json` is false (default console.log). */
  log?: (line: string) => void;
  /**
   * 'cuda': the GPU run — M·v at n = 50,000 with the GPU's GEMM (same shape and
   * peak), the peer on the GPU, dense vs PCG up to p = 1M at n = 50,000, and the 3D wave to
   * T = 0.5 in the paper's configuration as the end-to-end problem (default 'cpu').
   */
  device?: 'cpu' | 'cuda';
  /**
   * Stops the measurements: native work in flight is cancelled and runBench rejects. What was
   * measured by then is in `partial`.
   */
  signal?: AbortSignal;
  /** Filled in as the figures arrive, so that a caller interrupted midway can print them. */
  partial?: Partial<BenchReport>;
  /**
   * The budget for Figure 6's fit (a fifth) and evolution (three quarters), in seconds (default 300).
   * Figure 6 runs on GPU runs, and on a CPU when this is given (a dry run of the GPU run).
   */
  figure6Seconds?: number;
  /** Figure 6's points per evaluation (default 50,000, the GPU run's). */
  figure6Samples?: number;
}

export interface BenchMachine {
  cpus: number;
  device: string;
  torch_version: string;
  threads: number;
  /** The CUDA version the loaded libtorch was built for; null for a CPU-only libtorch. */
  cuda_version: string | null;
  /** Whether that libtorch found a CUDA device, and how many. */
  cuda_available: boolean;
  cuda_devices: number;
  /** The binary loaded (runtimeInfo().addon) and how it was chosen. */
  addon: string;
  addon_kind: RuntimeInfo['addonKind'];
}

export interface BenchReport {
  mvm: MvmFigures & {
    /** The plain-PyTorch peer's time for the same product (null when it could not run). */
    peer_seconds: number | null;
    peer_speedup: number | null;
    /** Every peer that ran (bench/peers/): PyTorch's functorch, JAX's jit when installed. */
    peers?: { name: string; seconds: number }[];
    gemm_fraction: number;
  };
  solve: SolveRow[];
  /** The initial fit of the 2D heat problem, one row per method, under one budget. */
  fit: FitRow[];
  /** The 2D heat problem end to end (null on a GPU run, which measures `figure6` instead). */
  problem: ProblemFigures | null;
  /** The paper's Figure 6 at its network and n = 50,000 (GPU runs only). */
  figure6: Figure6Figures | null;
  /** The 2D advection of a Gaussian to T = 0.5 (null with --quick). */
  transport: ProblemFigures | null;
  /**
   * The closed-form accuracy suite (ts/bench/suite-problems.ts), one row per case and fit method;
   * empty with --quick and on a GPU run.
   */
  suite: SuiteRow[];
  machine: BenchMachine;
  notes: string[];
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick === true;
  const json = options.json === true;
  const print = options.log ?? ((line: string) => console.log(line));
  const log = (line: string) => {
    if (!json) print(line);
  };

  const addon = native();
  const device = options.device ?? 'cpu';
  if (device === 'cuda' && !addon.cudaAvailable()) {
    throw new RangeError("bench: device 'cuda' requested but this libtorch has no CUDA device");
  }
  const gpu = device === 'cuda';
  const notes: string[] = [];
  const runtime = runtimeInfo();
  const machine: BenchMachine = {
    cpus: os.availableParallelism(),
    device,
    torch_version: runtime.torchVersion,
    threads: runtime.threads,
    cuda_version: runtime.cudaVersion,
    cuda_available: runtime.cuda,
    cuda_devices: runtime.cudaDevices,
    addon: runtime.addon,
    addon_kind: runtime.addonKind,
  };
  const cudaLine = machine.cuda_version
    ? `CUDA ${machine.cuda_version} build, ${machine.cuda_devices} device(s)`
    : 'CPU-only build';
  log(
    `machine: ${machine.cpus} cpus, libtorch ${machine.torch_version} (${cudaLine}), ${machine.threads} threads; addon ${machine.addon} (${machine.addon_kind})`,
  );

  const signal = options.signal;
  const report: Partial<BenchReport> = options.partial ?? {};
  Object.assign(report, {
    machine,
    notes,
    solve: [],
    fit: [],
    problem: null,
    figure6: null,
    transport: null,
    suite: [],
  });
  const mvm = await measureMvm({ repeats: quick ? 5 : 15, device, n: gpu ? 50_000 : 10_000, signal });
  log(
    `M·v n=${mvm.n} p=${mvm.p}: ${(mvm.seconds * 1e3).toFixed(2)} ms on the device (${(mvm.call_seconds * 1e3).toFixed(2)} ms as a call from JS), ${mvm.gflops.toFixed(1)} GFLOP/s nominal (8np), GEMM ${mvm.gemm_gflops.toFixed(1)} GFLOP/s`,
  );
  log(
    `linearize: ${(mvm.linearize_seconds * 1e3).toFixed(1)} ms, linearize + first M·v = ${mvm.linearize_ratio.toFixed(2)} M·v; float32 M·v ${(mvm.float32_seconds * 1e3).toFixed(2)} ms (${mvm.float32_speedup.toFixed(2)}× float64)`,
  );
  log(
    `launches per M·v: ${mvm.ops_per_product} ATen ops, ${mvm.syncs_per_product} host syncs; with the CUDA rule ${mvm.ops_per_product_batched.map((b) => `${b.ops} ops at n=${b.n}`).join(', ')}`,
  );
  if (mvm.gemm_peak_gflops !== null) log(`GPU GEMM 4096³: ${mvm.gemm_peak_gflops.toFixed(0)} GFLOP/s`);
  report.mvm = { ...mvm, peer_seconds: null, peer_speedup: null, gemm_fraction: mvm.gflops / mvm.gemm_gflops };
  for (const peer of await runMvmPeers({ n: mvm.n, threads: machine.cpus, repeats: quick ? 3 : 7, device, signal })) {
    if (peer.note) notes.push(peer.note);
    if (peer.seconds === null) continue;
    log(`${peer.name} peer: ${(peer.seconds * 1e3).toFixed(2)} ms, ${(peer.seconds / mvm.seconds).toFixed(2)}× ours`);
    report.mvm.peers = [...(report.mvm.peers ?? []), { name: peer.name, seconds: peer.seconds }];
    if (peer.name === 'pytorch') {
      report.mvm.peer_seconds = peer.seconds;
      report.mvm.peer_speedup = peer.seconds / mvm.seconds;
    }
  }
  // Dense vs PCG over network sizes at n = 10,000 (--quick: n = 2,000, the two smallest sizes;
  // GPU: n = 50,000 up to p = 1M).
  const sizes = gpu ? [1000, 5000, 20000, 100000, 1000000] : quick ? [1000, 5000] : [1000, 5000, 20000, 100000];
  const solveN = gpu ? 50_000 : quick ? 2000 : 10_000;
  for (const p of sizes) {
    const row = await measureSolve(widthsForP[p as keyof typeof widthsForP], solveN, quick ? 100 : 300, device, signal);
    report.solve?.push(row);
    const dense =
      row.dense_seconds === null ? `dense refused: ${row.note ?? ''}` : `dense ${row.dense_seconds.toFixed(2)} s`;
    const agreement = row.relative_difference === null ? '' : `, |Δθ̇|/|θ̇| ${row.relative_difference.toExponential(1)}`;
    log(
      `solve p=${row.p} n=${row.n}: PCG ${row.pcg_seconds.toFixed(2)} s (${row.pcg_iterations} it${row.pcg_converged ? '' : ', not converged'}; per iteration ${row.ops_per_iteration.toFixed(0)} ATen ops, ${row.syncs_per_iteration.toFixed(2)} host syncs), fresh Nyström sketch ${row.sketch_seconds.toFixed(2)} s (${row.sketch_iterations} it, built in ${row.sketch_build_iterations.toFixed(0)} PCG iterations' time, |Δθ̇|/|θ̇| ${row.sketch_difference.toExponential(1)}), ${dense}${agreement}`,
    );
  }
  if (!gpu) {
    for (const row of await measureFit(quick, signal)) {
      report.fit?.push(row);
      log(
        `fit ${row.method} p=${row.p}: relative error ${row.relative_error.toExponential(2)} in ${row.seconds.toFixed(1)} s, ${row.iterations} iterations (stopped: ${row.stopped})`,
      );
    }
  }
  if (gpu || options.figure6Seconds !== undefined) {
    const budget = options.figure6Seconds ?? 300;
    report.figure6 = await measureFigure6({
      device,
      samples: options.figure6Samples,
      evolveSeconds: 0.75 * budget,
      fitSeconds: 0.2 * budget,
      signal,
      log,
      onUpdate: (figures) => {
        report.figure6 = figures;
      },
    }).catch((error: unknown) => {
      if (signal?.aborted) throw error;
      notes.push(`figure 6: ${error instanceof Error ? error.message : String(error)}`);
      return report.figure6 ?? null;
    });
    if (report.figure6) log(figure6Line(report.figure6));
  }
  if (!gpu) {
    try {
      report.problem = await measureProblem(quick, signal);
      log(
        `problem ${report.problem.name}: ${report.problem.seconds.toFixed(1)} s end to end, relative error ${report.problem.relative_error.toExponential(2)}`,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      notes.push(`problem: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (quick || gpu) {
    notes.push('transport: not measured with --quick or --cuda (several minutes on 2 cores)');
  } else {
    try {
      const transport = await measureTransport(signal);
      report.transport = transport;
      log(
        `transport ${transport.name}: ${transport.seconds.toFixed(1)} s end to end, fit ${transport.fit_error.toExponential(2)}, relative error at T ${transport.relative_error.toExponential(2)} (target 5e-3)`,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      notes.push(`transport: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (quick || gpu) {
    notes.push('suite: not measured with --quick or --cuda (npm run bench -- --suite runs it alone)');
  } else {
    await measureSuite({
      onRow: (row) => {
        report.suite?.push(row);
        log(suiteLine(row));
      },
    });
  }
  for (const note of notes) log(`note: ${note}`);
  return report as BenchReport;
}

/** One progress line per suite row. */
export function suiteLine(row: SuiteRow): string {
  const fit = `suite ${row.name} (${row.method}, p=${row.parameters}, ${row.setting}): fit ${row.fit_error.toExponential(2)} in ${row.fit_seconds.toFixed(1)} s (${row.fit_cpu_seconds.toFixed(0)} CPU s)`;
  if (row.relative_error === null) return `${fit}, not evolved: ${row.refused}`;
  return `${fit}, error at T=${row.T} ${row.relative_error.toExponential(2)} after ${row.steps} steps in ${row.evolve_seconds.toFixed(1)} s (${row.evolve_cpu_seconds.toFixed(0)} CPU s)`;
}
