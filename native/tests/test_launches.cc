// What the solve asks of a GPU, bounded on the CPU: ATen operator calls (each at least one kernel
// launch) and host synchronisations, counted by common/launches.h under the CUDA chunking rule
// (NetworkConfig::Chunking::Batch) forced on the CPU. The counts must not grow with the number of
// samples, and a CG iteration may wait for the device at most once. The cache-sized rule is the
// control: its counts do grow with n, so the counter can tell the two apart.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/launches.h"
#include "engine/dynamics.h"
#include "engine/linearization.h"
#include "test_support.h"

namespace nivp {
namespace {

constexpr auto relErr = testing::relativeError;

NetworkConfig config(NetworkConfig::Chunking chunking) {
  NetworkConfig cfg;
  cfg.dim = 2;
  cfg.width = 24;
  cfg.depth = 3;
  cfg.frequencies = 3;
  cfg.lower = {-1, -1};
  cfg.upper = {1, 1};
  cfg.chunking = chunking;
  cfg.chunkRows = 256;  // small, so that the cache rule cuts even the smaller sets into passes
  return cfg;
}

at::Tensor points(int64_t n) {
  torch::manual_seed(n);
  return torch::rand({n, 2}, torch::kDouble).mul_(2).sub_(1);
}

LaunchCounts mvmLaunches(const Linearization& lin, const at::Tensor& V) {
  LaunchCounter counter;
  lin.mvm(V, 1e-6);
  return counter.counts();
}

TEST(Launches, CounterSeesOperatorsAndSyncsWhileAlive) {
  const at::Tensor a = torch::rand({4}, torch::kDouble);
  {
    LaunchCounter outer;
    const at::Tensor b = a + a;
    LaunchCounts afterAdd;
    {
      LaunchCounter inner;
      (void)b.sum().item<double>();
      (void)toHost(b);
      afterAdd = inner.counts();
    }
    EXPECT_GE(outer.counts().ops, afterAdd.ops + 1);  // the outer one also saw the add
    EXPECT_GE(afterAdd.ops, 2);                       // sum and the item's read
    EXPECT_EQ(afterAdd.syncs, 2);                     // item() and toHost
    EXPECT_EQ(outer.counts().syncs, 2);
  }
  // With no counter alive nothing is registered, so uncounted work pays nothing.
  EXPECT_FALSE(at::hasThreadLocalCallbacks());
}

TEST(Launches, BatchedProductsLaunchTheSameWhateverTheSamples) {
  for (const int64_t r : {int64_t{1}, int64_t{3}, int64_t{12}}) {
    std::vector<int64_t> batched, cached;
    for (const int64_t n : {int64_t{600}, int64_t{6000}}) {
      const at::Tensor x = points(n);
      Network batch(config(NetworkConfig::Chunking::Batch)), cache(config(NetworkConfig::Chunking::Cache));
      const at::Tensor theta = batch.initialParameters(3);
      const Linearization linBatch(batch, theta, x), linCache(cache, theta, x);
      const at::Tensor V = torch::randn({batch.parameterCount(), r}, torch::kDouble);
      batched.push_back(mvmLaunches(linBatch, V).ops);
      cached.push_back(mvmLaunches(linCache, V).ops);
      // The batched pass computes the same product as the eager, chunked one.
      EXPECT_LT(relErr(linBatch.mvm(V, 1e-6), linCache.mvm(V, 1e-6)), 1e-12) << "n=" << n << " r=" << r;
      EXPECT_EQ(mvmLaunches(linBatch, V).syncs, 0);
    }
    EXPECT_EQ(batched[0], batched[1]) << "r=" << r;
    EXPECT_GT(cached[1], cached[0]) << "r=" << r;
  }
}

TEST(Launches, BatchedSweepsLaunchTheSameWhateverTheSamples) {
  JetRequest request;
  request.gradient = true;
  request.laplacian = true;
  std::vector<int64_t> linearize, jets;
  for (const int64_t n : {int64_t{600}, int64_t{6000}}) {
    const at::Tensor x = points(n);
    Network net(config(NetworkConfig::Chunking::Batch));
    const at::Tensor theta = net.initialParameters(3);
    {
      LaunchCounter counter;
      const Linearization lin(net, theta, x);
      linearize.push_back(counter.counts().ops);
    }
    LaunchCounter counter;
    Jets out;
    const Linearization lin(net, theta, x, request, out);
    jets.push_back(counter.counts().ops);
    // The same values as the cache rule's sweep.
    Network cache(config(NetworkConfig::Chunking::Cache));
    Jets reference = cache.forward(theta, x, request);
    EXPECT_LT(relErr(out.laplacian, reference.laplacian), 1e-12);
  }
  EXPECT_EQ(linearize[0], linearize[1]);
  EXPECT_EQ(jets[0], jets[1]);
}

// u_t = 0.1·Δu with the paper's preconditioner (a fresh Nyström sketch) and a tolerance CG cannot
// reach, so that every solve runs exactly maxIters iterations.
DynamicsResult heatStage(int64_t n, int64_t iterations) {
  PlanNode lap, scale, product;
  lap.op = PlanOp::Field;
  lap.term = JetTerm::Lap;
  scale.value = 0.1;
  product.op = PlanOp::Mul;
  product.a = 0;
  product.b = 1;
  Program program;
  program.nodes = {lap, scale, product};
  program.isStatic = {false, true, false};
  program.outputs = {2};
  JetRequest jets;
  jets.laplacian = true;
  LinearSolverConfig linear;
  linear.tol = 1e-300;
  linear.maxIters = iterations;
  linear.rank = 20;
  linear.sketchRows = 0;
  auto net = std::make_shared<const Network>(config(NetworkConfig::Chunking::Batch));
  Dynamics dynamics(net, ProgramEvaluator(program, jets.pairs), jets, linear);
  dynamics.setLaunchCounting(true);
  at::Generator gen = testing::seeded(5);
  const DynamicsResult result =
      dynamics.evaluate(net->initialParameters(3), 0.0, dynamics.samples(points(n)), at::Tensor(), gen);
  EXPECT_EQ(result.cgIterations, iterations);
  return result;
}

TEST(Launches, CgWaitsForTheDeviceAtMostOncePerIteration) {
  const DynamicsResult few = heatStage(800, 4), many = heatStage(800, 14);
  const LaunchCounts& a = few.cgLaunches;
  const LaunchCounts& b = many.cgLaunches;
  EXPECT_LE(b.syncs - a.syncs, 10);  // ten more iterations
  EXPECT_GT(b.ops, a.ops);           // the counter does see the iterations
  // A stage launches what it launched on four times the samples.
  const DynamicsResult larger = heatStage(3200, 14);
  EXPECT_EQ(larger.cgLaunches.ops, b.ops);
  EXPECT_EQ(larger.cgLaunches.syncs, b.syncs);
  EXPECT_EQ(larger.launches.ops, many.launches.ops);
  EXPECT_EQ(larger.launches.syncs, many.launches.syncs);
  EXPECT_GE(many.launches.ops, b.ops);  // the stage's count includes CG's
}

}  // namespace
}  // namespace nivp
