// Memory for a network's n-sized buffers (the Jacobian caches, the products' per-chunk buffers),
// kept between one linearisation or product and the next.
//
// glibc hands large freed blocks back to the OS, so every fresh buffer of that size is faulted in
// again page by page, which on the CPU costs more than the sweep that fills it. CUDA's caching
// allocator already keeps its blocks, so on other devices `empty` is at::empty and nothing is kept.
#pragma once
#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace nivp {

class WorkspacePool {
 public:
  // An uninitialised tensor of `shape`, on memory a recycled buffer no one else holds when one of
  // a fitting size is spare (at least the size asked for, at most twice it).
  at::Tensor empty(at::IntArrayRef shape, const at::TensorOptions& options);
  // Buffers their holder is done with. Each is kept until reused, or until the buffers kept
  // exceed twice the largest of the last few batches recycled (older ones are dropped first).
  void recycle(std::vector<at::Tensor> buffers);

  // Bytes kept now (for tests).
  int64_t spareBytes() const;

 private:
  int64_t keptBytes() const;  // with mutex_ held

  mutable std::mutex mutex_;
  std::vector<at::Storage> spare_;          // oldest first
  std::array<int64_t, 8> recentBatches_{};  // bytes of the last batches recycled, as a ring
  size_t nextBatch_ = 0;
};

// Tensors taken from a pool, handed back to it when this goes out of scope.
class PooledBuffers {
 public:
  PooledBuffers() = default;
  explicit PooledBuffers(std::shared_ptr<WorkspacePool> pool) : pool_(std::move(pool)) {}
  PooledBuffers(PooledBuffers&&) = default;
  PooledBuffers& operator=(PooledBuffers&& other) noexcept {
    release();
    pool_ = std::move(other.pool_);
    buffers_ = std::move(other.buffers_);
    return *this;
  }
  PooledBuffers(const PooledBuffers&) = delete;
  PooledBuffers& operator=(const PooledBuffers&) = delete;
  ~PooledBuffers() { release(); }

  at::Tensor empty(at::IntArrayRef shape, const at::TensorOptions& options);
  void release();

 private:
  std::shared_ptr<WorkspacePool> pool_;
  std::vector<at::Tensor> buffers_;
};

}  // namespace nivp
