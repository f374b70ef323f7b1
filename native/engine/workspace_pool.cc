#include "engine/workspace_pool.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace nivp {

namespace {

// Only the pool itself holds the storage: no tensor or view of it is alive.
bool unheld(const at::Storage& storage) { return storage.use_count() == 1; }

int64_t bytesOf(at::IntArrayRef shape, const at::TensorOptions& options) {
  const int64_t elements = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  return elements * static_cast<int64_t>(options.dtype().itemsize());
}

}  // namespace

at::Tensor WorkspacePool::empty(at::IntArrayRef shape, const at::TensorOptions& options) {
  if (!options.device().is_cpu()) return at::empty(shape, options);
  const int64_t need = bytesOf(shape, options);
  at::Storage chosen;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto best = spare_.end();
    for (auto it = spare_.begin(); it != spare_.end(); ++it) {
      const auto bytes = static_cast<int64_t>(it->nbytes());
      if (bytes < need || bytes > 2 * need || !unheld(*it)) continue;
      if (best == spare_.end() || bytes < static_cast<int64_t>(best->nbytes())) best = it;
    }
    if (best == spare_.end()) return at::empty(shape, options);
    chosen = std::move(*best);
    spare_.erase(best);
  }
  at::Tensor out = at::empty({0}, options);
  out.set_(chosen, 0, shape);
  return out;
}

void WorkspacePool::recycle(std::vector<at::Tensor> buffers) {
  std::vector<at::Storage> batch;
  int64_t batchBytes = 0;
  for (const at::Tensor& t : buffers) {
    // Only memory the allocator made: a storage wrapping someone else's buffer is theirs to free.
    if (!t.defined() || !t.device().is_cpu() || !t.storage().resizable()) continue;
    const at::Storage& s = t.storage();
    const bool seen =
        std::any_of(batch.begin(), batch.end(), [&](const at::Storage& b) { return b.is_alias_of(s); });
    if (seen) continue;
    batch.push_back(s);
    batchBytes += static_cast<int64_t>(s.nbytes());
  }
  buffers.clear();  // the holders' references go before the pool judges what is unheld
  std::lock_guard<std::mutex> lock(mutex_);
  for (at::Storage& s : batch) {
    const bool kept =
        std::any_of(spare_.begin(), spare_.end(), [&](const at::Storage& b) { return b.is_alias_of(s); });
    if (!kept) spare_.push_back(std::move(s));
  }
  recentBatches_[nextBatch_] = batchBytes;
  nextBatch_ = (nextBatch_ + 1) % recentBatches_.size();
  const int64_t limit = 2 * *std::max_element(recentBatches_.begin(), recentBatches_.end());
  int64_t total = keptBytes();
  while (total > limit && !spare_.empty()) {
    total -= static_cast<int64_t>(spare_.front().nbytes());
    spare_.erase(spare_.begin());
  }
}

int64_t WorkspacePool::spareBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keptBytes();
}

int64_t WorkspacePool::keptBytes() const {
  int64_t total = 0;
  for (const at::Storage& s : spare_) total += static_cast<int64_t>(s.nbytes());
  return total;
}

at::Tensor PooledBuffers::empty(at::IntArrayRef shape, const at::TensorOptions& options) {
  at::Tensor t = pool_ ? pool_->empty(shape, options) : at::empty(shape, options);
  if (pool_) buffers_.push_back(t);
  return t;
}

void PooledBuffers::release() {
  if (pool_ && !buffers_.empty()) pool_->recycle(std::move(buffers_));
  buffers_.clear();
}

}  // namespace nivp
