#include "engine/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <atomic>
#include <thread>

namespace nivp {

namespace {
std::atomic<int64_t> desiredThreads{0};

int64_t coreCount() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int64_t>(cores);
}
}  // namespace

void setThreads(int64_t threads) {
  desiredThreads = threads > 0 ? threads : coreCount();
  at::set_num_threads(static_cast<int>(desiredThreads.load()));
}

void ensureThreads() {
  if (desiredThreads.load() == 0) desiredThreads = coreCount();
  if (at::get_num_threads() != desiredThreads.load())
    at::set_num_threads(static_cast<int>(desiredThreads.load()));
}

int64_t threads() {
  ensureThreads();
  return at::get_num_threads();
}

std::string torchVersion() { return TORCH_VERSION; }

bool cudaAvailable() { return at::hasCUDA(); }

std::string cudaVersion() {
  const auto& hooks = at::detail::getCUDAHooks();
  if (!hooks.hasCUDART()) return {};
  const long version = hooks.versionCUDART();  // CUDART_VERSION: 1000·major + 10·minor
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

int64_t cudaDeviceCount() { return at::detail::getCUDAHooks().getNumGPUs(); }

}  // namespace nivp
