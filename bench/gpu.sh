#!/usr/bin/env bash
# The one prepared GPU run, from the repository root on a GPU machine that has Python's CUDA torch
# but maybe neither Node.js nor network access. In order:
#   1. Node and node_modules from .gpu-carry/ (bash bench/gpu-pack.sh makes them beforehand);
#   2. the addon: the committed CUDA prebuild when its torch version is the machine's (the loader
#      preloads Python's torch for it; nothing to compile), otherwise built here against Python's
#      torch (bash scripts/cuda-torch.sh build with NIVP_TORCH_PYTHON: build-cuda/, the C++ standard
#      that torch's headers demand, C++20 for torch 2.14) and made into a CUDA prebuild;
#   3. the JS suites that exercise the native engine, on CUDA (NIVP_TEST_DEVICE=cuda);
#   4. the GPU benchmark (npm run bench -- --cuda): M·v against the GPU's GEMM, the PyTorch peer
#      on the GPU, dense vs PCG up to p = 1M at n = 50,000, the 3D wave in the paper's setup.
# Each step has its own time limit (570 s in all, to fit one 600 s command), logs to
# $OUT/<step>.log and cannot stop the later ones; the bench prints each figure as it gets it, so a
# cut-off run still reports what it measured. Outputs go to $OUT (default gpu-out/).
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
  local status=$?
  log "$name: exit $status"
  tail -n 25 "$OUT/$name.log"
  return $status
}

if ! command -v node >/dev/null; then
  mkdir -p /tmp/nodebin
  xz -dc .gpu-carry/node.xz >/tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
fi
[ -d node_modules/cmake-js ] || tar -xJf .gpu-carry/node_modules.tar.xz
log "node $(node --version); $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null)"
python="${NIVP_TORCH_PYTHON:-python3}"
torch=$("$python" -c 'import torch; print(torch.__version__.split("+")[0], torch.version.cuda, torch.cuda.is_available())' 2>&1)
log "Python's torch: $torch"

# The committed CUDA prebuild fits when it was made for this torch minor version (its tag).
minor=$(echo "$torch" | sed -E 's/^([0-9]+)\.([0-9]+).*/\1_\2/')
prebuild=$(ls prebuilds/*/neural_ivp.napi.torch"${minor}"-cuda*.node 2>/dev/null | head -n 1)
# Which addon the library loads here and whether it finds the GPU (exit 1 when not).
probe='const { runtimeInfo } = await import("./ts/runtime.ts"); const r = runtimeInfo();
console.log(JSON.stringify(r)); process.exit(r.cuda ? 0 : 1);'
if [ -n "$prebuild" ] && step probe 60 node --import tsx --input-type=module -e "$probe"; then
  log "using $prebuild"
else
  step build 300 env NIVP_TORCH_PYTHON="$python" bash scripts/cuda-torch.sh build
  export NEURAL_IVP_ADDON="$PWD/build-cuda/Release/neural_ivp.node"
  step prebuild 30 node scripts/prebuild.mjs --no-build --build-dir build-cuda
  cp prebuilds/*/neural_ivp.napi.*cuda* "$OUT/" 2>/dev/null
  step probe-build 30 node --import tsx --input-type=module -e "$probe"
fi
step tests 100 env NIVP_TEST_DEVICE=cuda node node_modules/vitest/vitest.mjs run \
  tests/native-network.test.ts tests/solver-e2e.test.ts tests/runtime.test.ts
step bench 230 node --import tsx ts/bench/index.ts --cuda
log done
