#!/usr/bin/env bash
# The addon against a CUDA libtorch, on any machine (a GPU is not needed to build or to run the
# suites: a CUDA libtorch that finds no device runs everything on the CPU).
#   bash scripts/cuda-torch.sh venv        a Python venv outside the repository with torch 2.14.1
#                                          for CUDA 13.0 from the local wheels (pip --no-index --no-deps)
#   bash scripts/cuda-torch.sh build       the addon against it, in build-cuda/ (never build/)
#   bash scripts/cuda-torch.sh prebuild    build + prebuilds/<platform>-<arch>/neural_ivp.napi.torch2_14-cuda13_0.*
#   bash scripts/cuda-torch.sh test        build, then the native suites (build-cuda-tests/) and npm test
#                                          with that addon (NEURAL_IVP_ADDON)
#   bash scripts/cuda-torch.sh all         venv, then test, then prebuild
# Environment: NIVP_CUDA_VENV (default /work/venv-cuda), NIVP_WHEEL_DIRS (folders of wheels for
# pip's --find-links; default the local mirror's), PYTHON (the interpreter that makes the venv),
# NIVP_TORCH_PYTHON (build against this Python's torch instead of the venv's; e.g. a GPU machine's),
# CUDA_HOME (a CUDA toolkit with bin/nvcc, default /usr/local/cuda: torch's CMake package enables
# the CUDA language even for a C++-only consumer, so configuring needs nvcc; no GPU is needed).
# The venv is never the system Python: installing torch there would change what `npm install`
# builds against (scripts/find-libtorch.mjs tries Python's torch before the system's libtorch).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${NIVP_CUDA_VENV:-/work/venv-cuda}"
wheels="${NIVP_WHEEL_DIRS:-/opt/wheels /opt/pypi/files /opt/pypi-more/files}"
python="${PYTHON:-python3}"
export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-$(command -v ccache || true)}"

# torch 2.14.1's Requires-Dist on Linux, pinned to what its metadata asks for: cuda-toolkit 13.0.3's
# extras [cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx] expanded to
# their wheels, the four cu13 libraries, and the pure-Python imports of `import torch` (with sympy's
# mpmath and jinja2's markupsafe). Left out on purpose: triton (torch.compile only) and cuda-bindings
# (Python-side CUDA APIs); neither is loaded by libtorch.
packages=(
  torch==2.14.1
  nvidia-cublas==13.1.1.3 nvidia-cuda-nvrtc==13.0.88 nvidia-cuda-runtime==13.0.96
  nvidia-cufft==12.0.0.61 nvidia-nvjitlink==13.4.92 nvidia-cufile==1.15.1.6
  nvidia-cuda-cupti==13.0.85 nvidia-curand==10.4.0.35 nvidia-cusolver==12.0.4.66
  nvidia-cusparse==12.6.3.3 nvidia-nvtx==13.0.85
  nvidia-cudnn-cu13==9.24.0.43 nvidia-cusparselt-cu13==0.8.1 nvidia-nccl-cu13==2.30.7
  nvidia-nvshmem-cu13==3.4.5
  filelock typing-extensions setuptools sympy 'mpmath<1.4' networkx jinja2 markupsafe fsspec
)

log() { echo "cuda-torch: $*" >&2; }

# Prints a Python expression over the torch that is built against (the venv's, or NIVP_TORCH_PYTHON's).
torch_says() { "${NIVP_TORCH_PYTHON:-$venv/bin/python}" -c "import torch; print($1)" 2>/dev/null; }

make_venv() {
  case "$venv/" in
  "$root"/*)
    log "NIVP_CUDA_VENV=$venv is inside the repository; choose a folder outside it"
    exit 2
    ;;
  esac
  local check='import torch; print(torch.__version__.split("+")[0], torch.version.cuda)'
  if [ "$("$venv/bin/python" -c "$check" 2>/dev/null || true)" = "2.14.1 13.0" ]; then
    log "$venv already holds torch 2.14.1 for CUDA 13.0"
    return
  fi
  local start=$SECONDS links=()
  for dir in $wheels; do links+=(--find-links "$dir"); done
  log "creating $venv and installing ${#packages[@]} wheels (about 4.5 GB)"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-index --no-deps "${links[@]}" "${packages[@]}"
  log "venv ready in $((SECONDS - start)) s: torch, CUDA $("$venv/bin/python" -c "$check")"
}

# The venv's torch package folder: it holds share/cmake/Torch, so it serves as LIBTORCH.
libtorch() {
  local dir
  dir="$(torch_says 'torch.__path__[0]')" || {
    log "no torch in ${NIVP_TORCH_PYTHON:-$venv}: run 'bash scripts/cuda-torch.sh venv' first"
    exit 1
  }
  echo "$dir"
}

# CMake hints for torch's CUDA package: the toolkit (FindCUDA would take the folder above the first
# nvcc on PATH, which may be a wrapper script) and libnvrtc, which a toolkit without the nvrtc
# component lacks and the venv's nvidia-cuda-nvrtc wheel has.
cmake_args() {
  local cuda_home="${CUDA_HOME:-/usr/local/cuda}" nvrtc
  if [ ! -x "$cuda_home/bin/nvcc" ]; then
    log "no nvcc in $cuda_home/bin: set CUDA_HOME to a CUDA 13 toolkit (torch's CMake package needs one)"
    exit 1
  fi
  local args="-DCUDA_TOOLKIT_ROOT_DIR=$cuda_home -DCMAKE_CUDA_COMPILER=$cuda_home/bin/nvcc"
  if ! ls "$cuda_home"/lib*/libnvrtc.so >/dev/null 2>&1; then
    nvrtc="$(ls "$(dirname "$LIBTORCH")"/nvidia/cu*/lib/libnvrtc.so.* 2>/dev/null | grep -v builtins | head -n 1 || true)"
    [ -n "$nvrtc" ] && args="$args -DCUDA_nvrtc_LIBRARY=$nvrtc"
  fi
  echo "$args"
}

# LIBTORCH and NIVP_CMAKE_ARGS for scripts/install.mjs and scripts/native-tests.mjs (set -e stops
# here when either cannot be worked out).
configure_env() {
  LIBTORCH="$(libtorch)"
  NIVP_CMAKE_ARGS="$(cmake_args)"
  export LIBTORCH NIVP_CMAKE_ARGS
}

build() {
  local start=$SECONDS
  configure_env
  NIVP_WERROR=1 node "$root/scripts/install.mjs" --force --build-dir build-cuda
  log "addon built in $((SECONDS - start)) s: build-cuda/Release/neural_ivp.node"
}

prebuild() {
  node "$root/scripts/prebuild.mjs" --no-build --build-dir build-cuda
}

run_tests() {
  local start=$SECONDS
  configure_env
  node "$root/scripts/native-tests.mjs" --build-dir build-cuda-tests
  log "native suites (CUDA libtorch) passed in $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$root" && NEURAL_IVP_ADDON="$root/build-cuda/Release/neural_ivp.node" npx vitest run)
  log "npm test (CUDA libtorch) passed in $((SECONDS - start)) s"
}

case "${1:-all}" in
venv) make_venv ;;
build) build ;;
prebuild) build && prebuild ;;
test) build && run_tests ;;
all) make_venv && build && run_tests && prebuild ;;
*)
  sed -n '2,/^set -euo/p' "$0" | grep '^#' >&2
  exit 2
  ;;
esac
