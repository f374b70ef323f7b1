// Counts of what a piece of native work asks of the device: ATen operator calls (each at least
// one kernel launch on a GPU, where their fixed cost dominates small work) and host
// synchronisations (the host waiting for the device's queue to drain). Counted on any device, so
// that a CPU-only machine can bound what a GPU run will launch.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

namespace nivp {

struct LaunchCounts {
  int64_t ops = 0;    // ATen operator calls, nested calls included
  int64_t syncs = 0;  // host reads of device values: item(), and toHost
  LaunchCounts& operator+=(const LaunchCounts& o) {
    ops += o.ops;
    syncs += o.syncs;
    return *this;
  }
};

// Counts this thread's operator calls and host synchronisations while it lives. Counters nest:
// every live counter of the thread counts. Off the hot path when none is alive (no callback is
// registered then), since RecordFunction callbacks cost every operator call some time.
class LaunchCounter {
 public:
  LaunchCounter();
  ~LaunchCounter();
  LaunchCounter(const LaunchCounter&) = delete;
  LaunchCounter& operator=(const LaunchCounter&) = delete;
  const LaunchCounts& counts() const { return counts_; }

 private:
  LaunchCounts counts_;
};

// t as a CPU float64 tensor: the one way solver code reads device values in bulk, so that each
// such read is counted as the host synchronisation it is on a GPU (also when t is on the CPU).
at::Tensor toHost(const at::Tensor& t);

}  // namespace nivp
