// Process-wide runtime settings: intra-op threads, and what this build of libtorch offers.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>

namespace nivp {

// libtorch's intra-op thread count is per OS thread under OpenMP and starts at 1 on Node's worker
// threads, so every worker thread calls this before heavy work. 0 means "all cores".
void setThreads(int64_t threads);
void ensureThreads();
int64_t threads();
std::string torchVersion();
// Whether this libtorch finds a CUDA device (false on a CPU-only libtorch and on a CUDA one without
// a device or driver).
bool cudaAvailable();
// The CUDA runtime version this libtorch was built with ("13.0"), empty for a CPU-only libtorch.
std::string cudaVersion();
// CUDA devices found; 0 on a CPU-only libtorch.
int64_t cudaDeviceCount();

// Bytes free and in all: on a CPU the machine's available and physical memory, on CUDA the
// device's (the CUDA runtime's count: what torch's allocator caches counts as used). Both −1
// when unknown.
struct DeviceMemory {
  int64_t free = -1, total = -1;
};
DeviceMemory deviceMemory(at::Device device);

// Waits until the device has finished all queued work (a no-op on a CPU).
void synchronize(at::Device device);

}  // namespace nivp
