// runBench: the performance benchmark of ../shared/API.md §5, as a function (used by
// `npm run bench` through ./index.ts and by `neural-ivp bench`). Figures not measured yet are null
// with a note saying why.
import os from 'node:os';
import { native } from '../native';
import { type MvmFigures, measureMvm } from './mvm';
import { runMvmPeer } from './peer';
import { measureProblem, type ProblemFigures } from './problem';
import { measureSolve, type SolveRow, widthsForP } from './solve';

export interface BenchOptions {
  /** Smaller repeat counts and sizes. */
  quick?: boolean;
  /** Machine-readable run: no progress lines (the caller prints the returned report as JSON). */
  json?: boolean;
  /** Where progress lines go when `json` is false (default console.log). */
  log?: (line: string) => void;
}

export interface BenchMachine {
  cpus: number;
  device: string;
  torch_version: string;
  threads: number;
}

export interface BenchReport {
  mvm: MvmFigures & {
    /** The plain-PyTorch peer's time for the same product (null when it could not run). */
    peer_seconds: number | null;
    peer_speedup: number | null;
    gemm_fraction: number;
  };
  solve: SolveRow[];
  problem: ProblemFigures | null;
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
  const notes: string[] = [];
  const machine = {
    cpus: os.availableParallelism(),
    device: 'cpu',
    torch_version: addon.torchVersion(),
    threads: addon.threads(),
  };
  log(`machine: ${machine.cpus} cpus, libtorch ${machine.torch_version}, ${machine.threads} threads`);

  const mvm = await measureMvm({ repeats: quick ? 5 : 15 });
  log(
    `M·v n=${mvm.n} p=${mvm.p}: ${(mvm.seconds * 1e3).toFixed(1)} ms, ${mvm.gflops.toFixed(1)} GFLOP/s nominal (8np), GEMM ${mvm.gemm_gflops.toFixed(1)} GFLOP/s`,
  );
  const peer = runMvmPeer({ n: mvm.n, threads: machine.cpus, repeats: quick ? 3 : 7 });
  if (peer.note) notes.push(peer.note);
  if (peer.seconds !== null) {
    log(
      `PyTorch peer (functorch jvp+vjp): ${(peer.seconds * 1e3).toFixed(1)} ms, ${(peer.seconds / mvm.seconds).toFixed(2)}× slower`,
    );
  }
  // Dense vs PCG over network sizes at n = 10,000 (--quick: n = 2,000, the two smallest sizes).
  const solve: SolveRow[] = [];
  const sizes = quick ? [1000, 5000] : [1000, 5000, 20000, 100000];
  for (const p of sizes) {
    const row = await measureSolve(widthsForP[p as keyof typeof widthsForP], quick ? 2000 : 10_000, quick ? 100 : 300);
    solve.push(row);
    const dense =
      row.dense_seconds === null ? `dense refused: ${row.note ?? ''}` : `dense ${row.dense_seconds.toFixed(2)} s`;
    const agreement = row.relative_difference === null ? '' : `, |Δθ̇|/|θ̇| ${row.relative_difference.toExponential(1)}`;
    log(
      `solve p=${row.p} n=${row.n}: PCG ${row.pcg_seconds.toFixed(2)} s (${row.pcg_iterations} it${row.pcg_converged ? '' : ', not converged'}), ${dense}${agreement}`,
    );
  }
  let problem: ProblemFigures | null = null;
  try {
    problem = await measureProblem(quick);
    log(
      `problem ${problem.name}: ${problem.seconds.toFixed(1)} s end to end, relative error ${problem.relative_error.toExponential(2)}`,
    );
  } catch (error) {
    notes.push(`problem: ${error instanceof Error ? error.message : String(error)}`);
  }
  const report: BenchReport = {
    mvm: {
      ...mvm,
      peer_seconds: peer.seconds,
      peer_speedup: peer.seconds === null ? null : peer.seconds / mvm.seconds,
      gemm_fraction: mvm.gflops / mvm.gemm_gflops,
    },
    solve,
    problem,
    machine,
    notes,
  };
  for (const note of notes) log(`note: ${note}`);
  return report;
}
