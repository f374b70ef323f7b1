// npm run bench [-- --quick] [-- --json]: the performance benchmark of ../shared/API.md §5.
// Figures not measured yet are null with a note saying why.
import os from 'node:os';
import { native } from '../native';
import { measureMvm } from './mvm';
import { runMvmPeer } from './peer';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const json = args.has('--json');
const log = (line: string) => {
  if (!json) console.log(line);
};

async function main() {
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
  notes.push('solve: the linear-solver benchmark is not wired into this harness yet');
  notes.push('problem: the end-to-end solver is not implemented yet');
  const report = {
    mvm: {
      ...mvm,
      peer_seconds: peer.seconds,
      peer_speedup: peer.seconds === null ? null : peer.seconds / mvm.seconds,
      gemm_fraction: mvm.gflops / mvm.gemm_gflops,
    },
    solve: null,
    problem: null,
    machine,
    notes,
  };
  if (json) console.log(JSON.stringify(report));
  else for (const note of notes) log(`note: ${note}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
