// runBench: the performance benchmark of docs/api.md §5, as a function (used by
// `npm run bench` through ./index.ts and by `neural-ivp bench`). A figure a run does not measure is
// null, with a note saying why.
import os from 'node:os';
import { native } from '../native';
import { type RuntimeInfo, runtimeInfo } from '../runtime';
import { type FitRow, measureFit } from './fit';
import { type MvmFigures, measureMvm } from './mvm';
import { runMvmPeer } from './peer';
import { measureProblem, measureTransport, measureWave3d, type ProblemFigures } from './problem';
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
    gemm_fraction: number;
  };
  solve: SolveRow[];
  /** The initial fit of the 2D heat problem, one row per method, under one budget. */
  fit: FitRow[];
  problem: ProblemFigures | null;
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

  const mvm = await measureMvm({ repeats: quick ? 5 : 15, device, n: gpu ? 50_000 : 10_000 });
  log(
    `M·v n=${mvm.n} p=${mvm.p}: ${(mvm.seconds * 1e3).toFixed(1)} ms, ${mvm.gflops.toFixed(1)} GFLOP/s nominal (8np), GEMM ${mvm.gemm_gflops.toFixed(1)} GFLOP/s`,
  );
  log(
    `linearize: ${(mvm.linearize_seconds * 1e3).toFixed(1)} ms, linearize + first M·v = ${mvm.linearize_ratio.toFixed(2)} M·v; float32 M·v ${(mvm.float32_seconds * 1e3).toFixed(1)} ms (${mvm.float32_speedup.toFixed(2)}× float64)`,
  );
  if (mvm.gemm_peak_gflops !== null) log(`GPU GEMM 4096³: ${mvm.gemm_peak_gflops.toFixed(0)} GFLOP/s`);
  const peer = runMvmPeer({ n: mvm.n, threads: machine.cpus, repeats: quick ? 3 : 7, device });
  if (peer.note) notes.push(peer.note);
  if (peer.seconds !== null) {
    log(
      `PyTorch peer (functorch jvp+vjp): ${(peer.seconds * 1e3).toFixed(1)} ms, ${(peer.seconds / mvm.seconds).toFixed(2)}× slower`,
    );
  }
  // Dense vs PCG over network sizes at n = 10,000 (--quick: n = 2,000, the two smallest sizes;
  // GPU: n = 50,000 up to p = 1M).
  const solve: SolveRow[] = [];
  const sizes = gpu ? [1000, 5000, 20000, 100000, 1000000] : quick ? [1000, 5000] : [1000, 5000, 20000, 100000];
  const solveN = gpu ? 50_000 : quick ? 2000 : 10_000;
  for (const p of sizes) {
    const row = await measureSolve(widthsForP[p as keyof typeof widthsForP], solveN, quick ? 100 : 300, device);
    solve.push(row);
    const dense =
      row.dense_seconds === null ? `dense refused: ${row.note ?? ''}` : `dense ${row.dense_seconds.toFixed(2)} s`;
    const agreement = row.relative_difference === null ? '' : `, |Δθ̇|/|θ̇| ${row.relative_difference.toExponential(1)}`;
    log(
      `solve p=${row.p} n=${row.n}: PCG ${row.pcg_seconds.toFixed(2)} s (${row.pcg_iterations} it${row.pcg_converged ? '' : ', not converged'}), fresh Nyström sketch ${row.sketch_seconds.toFixed(2)} s (${row.sketch_iterations} it, |Δθ̇|/|θ̇| ${row.sketch_difference.toExponential(1)}), ${dense}${agreement}`,
    );
  }
  const fit: FitRow[] = [];
  if (!gpu) {
    for (const row of await measureFit(quick)) {
      fit.push(row);
      log(
        `fit ${row.method} p=${row.p}: relative error ${row.relative_error.toExponential(2)} in ${row.seconds.toFixed(1)} s, ${row.iterations} iterations (stopped: ${row.stopped})`,
      );
    }
  }
  let problem: ProblemFigures | null = null;
  try {
    problem = gpu ? await measureWave3d(device) : await measureProblem(quick);
    log(
      `problem ${problem.name}: ${problem.seconds.toFixed(1)} s end to end, relative error ${problem.relative_error.toExponential(2)}`,
    );
  } catch (error) {
    notes.push(`problem: ${error instanceof Error ? error.message : String(error)}`);
  }
  let transport: ProblemFigures | null = null;
  if (quick) {
    notes.push('transport: not measured with --quick (several minutes on 2 cores)');
  } else {
    try {
      transport = await measureTransport();
      log(
        `transport ${transport.name}: ${transport.seconds.toFixed(1)} s end to end, fit ${transport.fit_error.toExponential(2)}, relative error at T ${transport.relative_error.toExponential(2)} (target 5e-3)`,
      );
    } catch (error) {
      notes.push(`transport: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const suite: SuiteRow[] = [];
  if (quick || gpu) {
    notes.push('suite: not measured with --quick or --cuda (npm run bench -- --suite runs it alone)');
  } else {
    suite.push(...(await measureSuite({ onRow: (row) => log(suiteLine(row)) })));
  }
  const report: BenchReport = {
    mvm: {
      ...mvm,
      peer_seconds: peer.seconds,
      peer_speedup: peer.seconds === null ? null : peer.seconds / mvm.seconds,
      gemm_fraction: mvm.gflops / mvm.gemm_gflops,
    },
    solve,
    fit,
    problem,
    transport,
    suite,
    machine,
    notes,
  };
  for (const note of notes) log(`note: ${note}`);
  return report;
}

/** One progress line per suite row. */
export function suiteLine(row: SuiteRow): string {
  return `suite ${row.name} (${row.method}, p=${row.parameters}, ${row.setting}): fit ${row.fit_error.toExponential(2)} in ${row.fit_seconds.toFixed(1)} s (${row.fit_cpu_seconds.toFixed(0)} CPU s), error at T=${row.T} ${row.relative_error.toExponential(2)} after ${row.steps} steps in ${row.evolve_seconds.toFixed(1)} s (${row.evolve_cpu_seconds.toFixed(0)} CPU s)`;
}
