#!/usr/bin/env bash
# The CUDA issue's one prepared GPU run (DEVELOPERS.md: 15 device minutes in all). In order:
#   1. Node and node_modules from .gpu-carry/ (bench/gpu-pack.sh makes them here);
#   2. the addon built against Python's CUDA torch (scripts/find-libtorch.mjs picks
#      torch.utils.cmake_prefix_path), and its CUDA prebuild (scripts/prebuild.mjs);
#   3. the JS suites that exercise the native engine, on CUDA (NIVP_TEST_DEVICE=cuda);
#   4. the GPU benchmark (npm run bench -- --cuda): M·v against the GPU's GEMM, the PyTorch peer
#      on the GPU, dense vs PCG up to p = 1M at n = 50,000, the 3D wave in the paper's setup.
# Each step has its own time limit (570 s in all, under the 600 s of one device call), logs to
# $OUT/<step>.log and cannot stop the later ones; the bench prints each figure as it gets it, so a
# cut-off run still reports what it measured.
#   run(command="bash bench/gpu.sh", carry=[".gpu-carry"], timeout_s=600)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
log() { echo "[gpu.sh $(date +%T)] $*" | tee -a "$OUT/gpu.log"; }
step() {
  local name=$1 limit=$2
  shift 2
  log "$name (limit ${limit}s): $*"
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  log "$name: exit $?"
  tail -n 25 "$OUT/$name.log"
}

if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin
  xz -dc .gpu-carry/node.xz >/tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
[ -d node_modules/cmake-js ] || tar -xJf .gpu-carry/node_modules.tar.xz
log "node $(node --version); $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null)"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' \
  2>&1 | tee -a "$OUT/gpu.log"

step build 240 node scripts/prebuild.mjs
cp prebuilds/*/neural_ivp.napi.*cuda* "$OUT/" 2>/dev/null
step tests 100 env NIVP_TEST_DEVICE=cuda node node_modules/vitest/vitest.mjs run \
  tests/native-network.test.ts tests/solver-e2e.test.ts
step bench 230 node --import tsx ts/bench/index.ts --cuda
log done
