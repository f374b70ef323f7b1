// Tests of the preconditioning policy's rank growth and reuse backoff (engine/preconditioning.h) on a
// scripted block: `build` hands out identity preconditioners that carry the costs the real ones would
// report, and `cg` answers with an iteration count that is a chosen function of the rank it is given
// (and of whether that preconditioner served an earlier solve), so each decision can be checked against
// the rule's own arithmetic.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "engine/dynamics.h"
#include "engine/preconditioning.h"

namespace nivp {
namespace {

class Identity : public Preconditioner {
 public:
  Identity(int64_t rank, int64_t id) : rank_(rank), id_(id) {}
  at::Tensor apply(const at::Tensor& r) const override { return r.clone(); }
  int64_t rank() const { return rank_; }
  int64_t id() const { return id_; }

 private:
  int64_t rank_, id_;
};

// A block whose rebuild at rank r costs costPerRank·r CG iterations and whose solves need
// iterationsAt(rank) iterations, or staleIterations (when set) with a preconditioner that served an
// earlier solve, counted per call.
struct ScriptedBlock {
  std::function<int64_t(int64_t rank)> iterationsAt;
  std::vector<int64_t> builtRanks;
  std::vector<int64_t> solvedRanks;
  double costPerRank = 0.01;
  int64_t pairs = 1 << 20;  // the most eigenpairs a build resolves
  int64_t staleIterations = 0;
  std::set<int64_t> used = {};  // the preconditioners CG has run with

  KeptPreconditioner build(bool, int64_t rank) {
    builtRanks.push_back(rank);
    KeptPreconditioner P;
    P.preconditioner = std::make_shared<const Identity>(rank, static_cast<int64_t>(builtRanks.size()));
    P.rank = std::min(rank, pairs);
    P.rebuildIterations = costPerRank * static_cast<double>(rank);
    P.grownRebuildIterations = 2 * costPerRank * static_cast<double>(rank);
    P.applyShare = 0.01;
    return P;
  }

  PcgResult cg(const at::Tensor& x0, const Preconditioner* P, int64_t maxIters) {
    const auto* identity = static_cast<const Identity*>(P);
    const int64_t rank = identity->rank();
    solvedRanks.push_back(rank);
    PcgResult r;
    r.x = x0;
    const bool stale = !used.insert(identity->id()).second && staleIterations > 0;
    const int64_t needed = stale ? staleIterations : iterationsAt(rank);
    r.iterations = std::min(needed, maxIters);
    r.converged = needed <= maxIters;
    return r;
  }

  BlockSolve solve(BlockPreconditioning& state, const LinearSolverConfig& config) {
    return solvePreconditioned(
        state, config, false, [this](bool full, int64_t rank) { return build(full, rank); },
        [this](const at::Tensor& x0, const Preconditioner* P, int64_t maxIters) {
          return cg(x0, P, maxIters);
        },
        at::zeros({4, 1}, at::kDouble));
  }
};

LinearSolverConfig growing(int64_t rank, int64_t maxRank, bool reuse) {
  LinearSolverConfig c;
  c.rank = rank;
  c.maxRank = maxRank;
  c.reusePreconditioner = reuse;
  c.maxIters = 100000;
  return c;
}

// Iterations on a flat spectrum: ∝ 1/√rank.
int64_t flat(int64_t rank) {
  return static_cast<int64_t>(std::lround(4000.0 / std::sqrt(static_cast<double>(rank))));
}

// Many iterations: the rank doubles after each fresh solve up to maxRank, each solve after a
// doubling builds at the new rank, and it stays there.
TEST(PreconditionerGrowth, ManyIterationsDoubleTheRankUpToMaxRank) {
  ScriptedBlock block{flat, {}, {}};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 400, true);
  for (int i = 0; i < 5; ++i) block.solve(state, config);
  // 400 iterations at rank 100 save ≈ 113 against a rebuild dearer by 1: grow; 283 at 200 the same.
  EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 200, 400}));
  EXPECT_EQ(block.solvedRanks, (std::vector<int64_t>{100, 200, 400, 400, 400}));
  EXPECT_EQ(state.growth.rank, 400);
  EXPECT_EQ(state.kept.age, 2);  // the rank-400 preconditioner was kept for the last two solves
}

// Few iterations: the saving does not pay for a dearer rebuild, so the rank stays.
TEST(PreconditionerGrowth, FewIterationsKeepTheRank) {
  // 2 iterations save 0.57 against a rebuild dearer by 1.
  ScriptedBlock block{[](int64_t) { return int64_t{2}; }, {}, {}};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 400, false);
  for (int i = 0; i < 3; ++i) block.solve(state, config);
  EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 100, 100}));
  EXPECT_EQ(state.growth.rank, 0);
}

// A doubling that did not cut the iterations by a tenth stops growth for good.
TEST(PreconditionerGrowth, GrowthThatDidNotHelpStops) {
  ScriptedBlock block{[](int64_t) { return int64_t{500}; }, {}, {}};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 800, false);
  for (int i = 0; i < 4; ++i) block.solve(state, config);
  EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 200, 200, 200}));
  EXPECT_TRUE(state.growth.stopped);
}

// The first doubling's effect predicts the next: 300 iterations at rank 100 and 100 at rank 200
// (a decaying spectrum) expect 100·(1 − 1/3 − 0.01) ≈ 66 saved by rank 400, past its rebuild dearer
// by 40; the flat-spectrum guess, 100·(1 − 1/√2 − 0.01) ≈ 28, would not have grown.
TEST(PreconditionerGrowth, AMeasuredDoublingPredictsTheNext) {
  ScriptedBlock block{[](int64_t rank) { return rank == 100 ? int64_t{300} : int64_t{100}; }, {}, {}, 0.2};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 800, false);
  for (int i = 0; i < 3; ++i) block.solve(state, config);
  EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 200, 400}));
  EXPECT_NEAR(state.growth.ratio, 1.0, 1e-12);  // 100 at rank 400 as at 200: it helped no more
  EXPECT_TRUE(state.growth.stopped);
}

// A preconditioner that kept fewer pairs than asked (sampled rows resolve no more) does not grow,
// however many iterations its solves need.
TEST(PreconditionerGrowth, FewerPairsThanAskedKeepTheRank) {
  ScriptedBlock block{flat, {}, {}, 0.01, 60};
  BlockPreconditioning state;
  for (int i = 0; i < 3; ++i) block.solve(state, growing(100, 400, false));
  EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 100, 100}));
  EXPECT_EQ(state.growth.rank, 0);
}

// maxRank at most rank (the paper preset's 0) keeps the rank fixed however many iterations.
TEST(PreconditionerGrowth, MaxRankAtMostRankIsAFixedRank) {
  for (int64_t maxRank : {0, 100}) {
    ScriptedBlock block{flat, {}, {}};
    BlockPreconditioning state;
    for (int i = 0; i < 3; ++i) block.solve(state, growing(100, maxRank, false));
    EXPECT_EQ(block.builtRanks, (std::vector<int64_t>{100, 100, 100}));
  }
}

// With reuse, the saving counts every solve one preconditioner served: 60 iterations save ≈ 17 per
// solve, short of a rebuild dearer by 20 (rank 2,000) for one solve, past it for the two a kept
// preconditioner served before the stale-cap replaced it.
TEST(PreconditionerGrowth, TheSavingCountsTheSolvesAPreconditionerServed) {
  int64_t call = 0;
  // Fresh solves need 60 iterations; kept ones 60 as well until the third, which exceeds the cap.
  ScriptedBlock block{[&call](int64_t) { return ++call == 3 ? int64_t{1000} : int64_t{60}; }, {}, {}};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(2000, 4000, true);
  block.solve(state, config);  // fresh, served 1: no growth
  EXPECT_EQ(state.growth.rank, 0);
  block.solve(state, config);  // kept (age 1)
  block.solve(state, config);  // kept, hits its cap: rebuilt; the old one served 2 solves
  EXPECT_EQ(state.growth.served, 2);
  EXPECT_EQ(state.growth.rank, 4000);
}

// Runs `solves` solves numbered from `first`; returns those that tried the kept preconditioner (CG ran
// twice: kept, then fresh).
std::vector<int64_t> solvesThatTriedTheKeptOne(ScriptedBlock& block, BlockPreconditioning& state,
                                               const LinearSolverConfig& config, int64_t first,
                                               int64_t solves) {
  std::vector<int64_t> tried;
  for (int64_t i = first; i < first + solves; ++i) {
    const size_t before = block.solvedRanks.size();
    block.solve(state, config);
    if (block.solvedRanks.size() - before == 2) tried.push_back(i);
  }
  return tried;
}

// Kept preconditioners that always reach their cap (fresh solves take 2 iterations, a kept one 1,000
// where its cap is 2 + 2): the block stops trying them, and retries after 1, 2, 4, then every 8 fresh
// builds.
TEST(PreconditionerReuse, KeptOnesThatReachTheirCapAreRetriedWithBackoff) {
  ScriptedBlock block{[](int64_t) { return int64_t{2}; }, {}, {}};
  block.staleIterations = 1000;
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 100, true);
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, state, config, 1, 30),
            (std::vector<int64_t>{2, 4, 7, 12, 21, 30}));
  EXPECT_EQ(state.backoff.skip, kMaxReuseSkip);
  // Each solve built one preconditioner, and only the retries ran CG twice.
  EXPECT_EQ(block.builtRanks.size(), 30u);
  EXPECT_EQ(block.solvedRanks.size(), 36u);
}

// A retry that stays under its cap keeps the preconditioner and restarts the count: the next failure
// skips one solve again.
TEST(PreconditionerReuse, AKeptOneUnderItsCapRestartsTheBackoff) {
  ScriptedBlock block{[](int64_t) { return int64_t{2}; }, {}, {}};
  BlockPreconditioning state;
  const LinearSolverConfig config = growing(100, 100, true);
  block.staleIterations = 1000;
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, state, config, 1, 4), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(state.backoff.skip, 2);
  block.staleIterations = 3;  // under the cap of 2 + 2
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, state, config, 5, 4), (std::vector<int64_t>{}));
  EXPECT_EQ(state.kept.age, 2);  // solves 7 and 8 kept the preconditioner built for solve 6
  EXPECT_EQ(state.backoff.next, 1);
  block.staleIterations = 1000;
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, state, config, 9, 3), (std::vector<int64_t>{9, 11}));
}

// A refit replaces θ: the block's preconditioner, mode and rank start over, its backoff stays, so
// the first solve after it builds fresh and the next does not retry the kept one before its turn.
TEST(PreconditionerReuse, ReplacedParametersKeepTheBackoff) {
  ScriptedBlock block{[](int64_t) { return int64_t{2}; }, {}, {}};
  block.staleIterations = 1000;
  PreconditionerCache cache;
  cache.fields.resize(1);
  const LinearSolverConfig config = growing(100, 100, true);
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, cache.fields[0], config, 1, 4), (std::vector<int64_t>{2, 4}));
  cache.fields[0].fullSketch = true;
  cache.fields[0].growth.rank = 200;
  cache.replaceParameters();
  const BlockPreconditioning& state = cache.fields[0];
  EXPECT_EQ(state.kept.preconditioner, nullptr);
  EXPECT_FALSE(state.fullSketch);
  EXPECT_EQ(state.growth.rank, 0);
  EXPECT_EQ(state.backoff.skip, 2);
  EXPECT_EQ(state.backoff.next, 4);
  // Solve 5 builds (nothing kept), 6 and 7 are the two skipped, 8 retries.
  EXPECT_EQ(solvesThatTriedTheKeptOne(block, cache.fields[0], config, 5, 4), (std::vector<int64_t>{8}));
}

}  // namespace
}  // namespace nivp
