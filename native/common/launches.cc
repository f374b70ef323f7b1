#include "common/launches.h"

#include <ATen/record_function.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace nivp {

namespace {

// The thread's live counters and its callback's handle (registered while any counter lives).
struct ThreadCounters {
  std::vector<LaunchCounts*> live;
  at::CallbackHandle handle = at::INVALID_CALLBACK_HANDLE;
};
thread_local ThreadCounters threadCounters;

void countSync() {
  for (LaunchCounts* c : threadCounters.live) ++c->syncs;
}

std::unique_ptr<at::ObserverContext> onOperator(const at::RecordFunction& fn) {
  // item() on any tensor reads one value through this operator: a sync on a GPU.
  const bool sync = std::strcmp(fn.name(), "aten::_local_scalar_dense") == 0;
  for (LaunchCounts* c : threadCounters.live) {
    ++c->ops;
    if (sync) ++c->syncs;
  }
  return nullptr;
}

}  // namespace

LaunchCounter::LaunchCounter() {
  if (threadCounters.live.empty()) {
    threadCounters.handle = at::addThreadLocalCallback(
        at::RecordFunctionCallback(&onOperator).scopes({at::RecordScope::FUNCTION}));
  }
  threadCounters.live.push_back(&counts_);
}

LaunchCounter::~LaunchCounter() {
  auto& live = threadCounters.live;
  live.erase(std::remove(live.begin(), live.end(), &counts_), live.end());
  if (live.empty() && threadCounters.handle != at::INVALID_CALLBACK_HANDLE) {
    at::removeCallback(threadCounters.handle);
    threadCounters.handle = at::INVALID_CALLBACK_HANDLE;
  }
}

at::Tensor toHost(const at::Tensor& t) {
  countSync();
  return t.to(at::kCPU, at::kDouble).contiguous();
}

}  // namespace nivp
