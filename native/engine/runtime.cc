#include "engine/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <torch/version.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
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

namespace {

// MemAvailable from /proc/meminfo: what can be allocated without swapping (MemFree undercounts
// the page cache the kernel gives back).
int64_t availableHostBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  const long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<int64_t>(pages) * size : -1;
}

// cudaMemGetInfo from the CUDA runtime libtorch loaded, found at run time: the build needs no
// CUDA headers and links no runtime version of its own.
using MemGetInfo = int (*)(size_t*, size_t*);
MemGetInfo cudaMemGetInfoFunction() {
  for (const char* name : {"libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"}) {
    if (void* handle = dlopen(name, RTLD_LAZY | RTLD_NOLOAD))
      return reinterpret_cast<MemGetInfo>(dlsym(handle, "cudaMemGetInfo"));
  }
  return nullptr;
}

}  // namespace

DeviceMemory deviceMemory(at::Device device) {
  DeviceMemory m;
  if (!device.is_cuda()) {
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    m.total = pages > 0 && size > 0 ? static_cast<int64_t>(pages) * size : -1;
    m.free = availableHostBytes();
    return m;
  }
  if (!at::hasCUDA()) return m;
  const MemGetInfo memGetInfo = cudaMemGetInfoFunction();
  size_t free = 0, total = 0;
  if (memGetInfo && memGetInfo(&free, &total) == 0) {
    m.free = static_cast<int64_t>(free);
    m.total = static_cast<int64_t>(total);
  }
  return m;
}

void synchronize(at::Device device) {
  if (!device.is_cuda()) return;
  const auto& hooks = at::detail::getCUDAHooks();
  hooks.deviceSynchronize(device.has_index() ? device.index() : hooks.current_device());
}

}  // namespace nivp
