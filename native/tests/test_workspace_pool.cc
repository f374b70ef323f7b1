// The workspace pool: what it hands out again, what it never does, and how much it keeps; and a
// linearisation built on recycled memory against one built on fresh memory.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/linearization.h"
#include "engine/workspace_pool.h"
#include "test_support.h"

namespace nivp {
namespace {

const at::TensorOptions kDouble = at::TensorOptions().dtype(at::kDouble);

TEST(WorkspacePool, ReusesAnUnheldBufferOfAFittingSize) {
  WorkspacePool pool;
  at::Tensor t = pool.empty({1000}, kDouble);
  const void* memory = t.data_ptr();
  pool.recycle({std::move(t)});
  EXPECT_EQ(pool.spareBytes(), 8000);
  // 8,000 bytes kept: too large for 80 bytes (more than twice), fitting for 6,400.
  EXPECT_NE(pool.empty({10}, kDouble).data_ptr(), memory);
  const at::Tensor again = pool.empty({80, 10}, kDouble);
  EXPECT_EQ(again.data_ptr(), memory);
  EXPECT_EQ(again.sizes().vec(), (std::vector<int64_t>{80, 10}));
  EXPECT_TRUE(again.is_contiguous());
  EXPECT_EQ(pool.spareBytes(), 0);
}

TEST(WorkspacePool, NeverHandsOutABufferSomeoneStillHolds) {
  WorkspacePool pool;
  at::Tensor t = at::zeros({100}, kDouble);
  const at::Tensor view = t.narrow(0, 10, 5);
  pool.recycle({std::move(t)});
  const at::Tensor other = pool.empty({100}, kDouble);
  EXPECT_NE(other.data_ptr(), view.data_ptr());
  other.fill_(7);
  EXPECT_EQ(view.sum().item<double>(), 0);
}

TEST(WorkspacePool, KeepsAtMostTwiceTheLargestRecentBatch) {
  WorkspacePool pool;
  pool.recycle({at::empty({1000}, kDouble), at::empty({1000}, kDouble)});
  pool.recycle({at::empty({1000}, kDouble), at::empty({1000}, kDouble), at::empty({1000}, kDouble)});
  EXPECT_EQ(pool.spareBytes(), 40000);  // five buffers: within twice the larger batch (24,000 × 2)
  // Eight small batches later the large ones are no longer recent: the pool lets them go.
  for (int i = 0; i < 8; ++i) pool.recycle({at::empty({10}, kDouble)});
  EXPECT_LE(pool.spareBytes(), 160);
}

TEST(WorkspacePool, LeavesMemoryItDidNotAllocateAlone) {
  WorkspacePool pool;
  std::vector<double> theirs(100, 1.0);
  pool.recycle({at::from_blob(theirs.data(), {100}, kDouble)});
  EXPECT_EQ(pool.spareBytes(), 0);
}

TEST(WorkspacePool, TheSameBufferTwiceIsKeptOnce) {
  WorkspacePool pool;
  at::Tensor t = at::empty({100}, kDouble);
  pool.recycle({t, t.narrow(0, 0, 50)});
  pool.recycle({t});
  EXPECT_EQ(pool.spareBytes(), 800);
}

TEST(WorkspacePool, ALinearisationOnRecycledMemoryMatchesAFreshOne) {
  NetworkConfig cfg;
  cfg.dim = 2;
  cfg.fields = 2;
  cfg.width = 12;
  cfg.depth = 2;
  cfg.frequencies = 2;
  cfg.lower = {-1, -1};
  cfg.upper = {1, 1};
  cfg.chunkRows = 64;
  Network reused(cfg), fresh(cfg);
  torch::manual_seed(1);
  const at::Tensor x = torch::rand({300, 2}, torch::kDouble) * 2 - 1;
  const at::Tensor other = torch::rand({300, 2}, torch::kDouble) * 2 - 1;
  const at::Tensor theta = reused.initialParameters(4);
  const at::Tensor V = torch::randn({reused.parameterCount(), 1}, torch::kDouble);
  {
    // Filled with other values, so that recycled memory holds what a stale read would return.
    Linearization first(reused, theta * 0.5, other);
    first.mvm(V, 0.1);
  }
  const int64_t kept = reused.workspace()->spareBytes();
  EXPECT_GT(kept, 0);
  Linearization second(reused, theta, x), reference(fresh, theta, x);
  EXPECT_LT(reused.workspace()->spareBytes(), kept);  // the caches came from the pool
  EXPECT_LT(testing::relativeError(second.mvm(V, 0.1), reference.mvm(V, 0.1)), 1e-15);
  EXPECT_LT(testing::relativeError(second.jvp(V), reference.jvp(V)), 1e-15);
}

}  // namespace
}  // namespace nivp
