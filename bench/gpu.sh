#!/usr/bin/env bash
# The one prepared GPU run, from the repository root on a GPU machine that has Python's CUDA torch
# but maybe neither Node.js nor network access. In order:
#   1. Node and node_modules from .gpu-carry/ (bash bench/gpu-pack.sh makes them beforehand);
#   2. the addon: the committed CUDA prebuild when its torch version is the machine's (the loader
#      preloads Python's torch for it; nothing to compile), otherwise built here against Python's
#      torch (bash scripts/cuda-torch.sh build with NIVP_TORCH_PYTHON) and made into a CUDA prebuild;
#   3. the JS suites that exercise the native engine, on CUDA (NIVP_TEST_DEVICE=cuda), verbose, one
#      file at a time;
#   4. what a CUDA graph would save on the M·v (bench/peers/mvm_graph_probe.py, PyTorch on the GPU);
#   5. the GPU benchmark (npm run bench -- --cuda): M·v and its launch counts against the GPU's GEMM
#      and the PyTorch and JAX peers, dense vs PCG up to p = 1M at n = 50,000, and Figure 6 (the
#      3D wave's pulse at the paper's network, n = 50,000) with whatever time is left.
# The whole run fits NIVP_GPU_SECONDS (default 540: one 600 s command with room to copy back).
# Every step has its own limit, cut to the time left, and cannot stop the later ones; the bench
# stops on the step's SIGTERM with what it measured so far.
# $OUT (default gpu-out/) receives at most four files:
#   gpu.log                      every step's output, in order
#   bench.json                   the bench report (marked "interrupted" when its time ran out)
#   neural_ivp.napi.*cuda*.node  the CUDA prebuild made here, and its manifest, when one was built
# NIVP_GPU_DRY_RUN=1: the same flow on a machine without a GPU (the local addon, the tests on the
# CPU, the bench on the CPU with a small Figure 6), to check the script, its limits and its files.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
BUDGET="${NIVP_GPU_SECONDS:-540}"
DRY="${NIVP_GPU_DRY_RUN:-}"
mkdir -p "$OUT"
start=$SECONDS
log() { echo "[gpu.sh $(date +%T) +$((SECONDS - start))s] $*" | tee -a "$OUT/gpu.log"; }
left() { echo $((BUDGET - (SECONDS - start))); }
# step NAME LIMIT CMD...: CMD's output appended to gpu.log, within LIMIT seconds and the time left.
step() {
  local name=$1 limit=$2
  shift 2
  local remaining
  remaining=$(($(left) - 5))
  ((limit > remaining)) && limit=$remaining
  if ((limit < 5)); then
    log "$name: skipped, no time left"
    return 124
  fi
  log "$name (limit ${limit}s): $*"
  timeout --kill-after=10 "$limit" "$@" >>"$OUT/gpu.log" 2>&1
  local status=$?
  log "$name: exit $status"
  return $status
}

if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin
  xz -dc .gpu-carry/node.xz >/tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
[ -d node_modules/cmake-js ] || tar -xJf .gpu-carry/node_modules.tar.xz
log "node $(node --version); $(nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader 2>/dev/null)"

# Which addon the library loads here and whether it finds the GPU (exit 1 when not).
probe='const { runtimeInfo } = await import("./ts/runtime.ts"); const r = runtimeInfo();
console.log(JSON.stringify(r)); process.exit(r.cuda ? 0 : 1);'
bench_device=(--cuda)
if [ -n "$DRY" ]; then
  log "dry run: the local addon on the CPU"
  step probe 60 node --import tsx --input-type=module -e "$probe"
  export NIVP_TEST_DEVICE=cpu
  bench_device=(--quick --figure6-samples=1000)
else
  python="${NIVP_TORCH_PYTHON:-python3}"
  torch=$("$python" -c 'import torch; print(torch.__version__.split("+")[0], torch.version.cuda, torch.cuda.is_available())' 2>&1)
  log "Python's torch: $torch"
  # The committed CUDA prebuild fits when it was made for this torch minor version (its tag).
  minor=$(echo "$torch" | sed -E 's/^([0-9]+)\.([0-9]+).*/\1_\2/')
  prebuild=$(ls prebuilds/*/neural_ivp.napi.torch"${minor}"-cuda*.node 2>/dev/null | head -n 1)
  if [ -n "$prebuild" ] && step probe 60 node --import tsx --input-type=module -e "$probe"; then
    log "using $prebuild"
  else
    step build 240 env NIVP_TORCH_PYTHON="$python" bash scripts/cuda-torch.sh build
    export NEURAL_IVP_ADDON="$PWD/build-cuda/Release/neural_ivp.node"
    step prebuild 30 node scripts/prebuild.mjs --no-build --build-dir build-cuda
    for file in prebuilds/*/neural_ivp.napi.*cuda*; do
      case "$file" in *torch"${minor}"-*) cp "$file" "$OUT/" ;; esac
    done
    step probe-build 30 node --import tsx --input-type=module -e "$probe"
  fi
  export NIVP_TEST_DEVICE=cuda
fi
# One file per step, each with its own limit: a file that hangs costs its own limit only, and the
# log says which it was.
for suite in native-network:45 solver-e2e:75 runtime:30; do
  step "tests/${suite%:*}" "${suite#*:}" node node_modules/vitest/vitest.mjs run --reporter=verbose "tests/${suite%:*}.test.ts"
done
# What a CUDA graph would save on this M·v, measured in PyTorch on the same GPU (nothing on a CPU).
[ -z "$DRY" ] && step graph-probe 40 "$python" bench/peers/mvm_graph_probe.py --device cuda --n 50000 --repeats 20
# Figure 6 takes what the bench's other rows leave: about 200 s of M·v, peers and solve rows.
figure6=$(($(left) - 230))
((figure6 < 60)) && figure6=60
# NEURAL_IVP_TRACE=stages: Figure 6's log says where each stage's seconds go (CG, preconditioner, jets).
step bench $(($(left) - 10)) env NEURAL_IVP_TRACE=stages node --import tsx ts/bench/index.ts "${bench_device[@]}" \
  --figure6-seconds="$figure6" --json-out="$OUT/bench.json"
log "done; $OUT holds $(ls "$OUT" | wc -l) files: $(ls "$OUT" | tr '\n' ' ')"
