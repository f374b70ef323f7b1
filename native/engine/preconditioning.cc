#include "engine/preconditioning.h"

#include <algorithm>
#include <cmath>

#include "engine/dynamics.h"
#include "engine/gradient_rows.h"
#include "engine/linearization.h"
#include "solvers/nystrom.h"
#include "solvers/subsampled.h"

namespace nivp {

namespace {

// Flops of one CG iteration on block a: one M_a·v (J·v and Jᵀ·u, 2·n·p_a each) and one P⁻¹.
double iterationFlops(int64_t n, int64_t pa, double applyFlops) { return 4.0 * n * pa + applyFlops; }

// An m×m symmetric eigendecomposition in GEMM-equivalent flops (tridiagonal reduction, divide and
// conquer, back-transformation; the reduction runs at matrix-vector speed).
double eighFlops(int64_t m) { return 15.0 * std::pow(static_cast<double>(m), 3); }

// What the automatic row count may spend on the eigendecomposition, in CG iterations.
constexpr double kRowBudgetIterations = 4.0;

int64_t sketchRowsFor(int64_t n, int64_t pa, int64_t rank, int64_t configured) {
  if (configured >= 0) return std::min(configured, n);
  // Twice the rank, doubled while the eigendecomposition costs at most a few CG iterations (more
  // rows estimate M better: fewer iterations), up to 8·rank.
  int64_t m = 2 * rank;
  while (m < 8 * rank && eighFlops(2 * m) <= kRowBudgetIterations * iterationFlops(n, pa, 0)) m *= 2;
  return std::min(m, n);
}

// Flops do not take the same time everywhere: the sketch's block product runs at matrix–matrix speed,
// a CG iteration's products at matrix–vector speed, and the sketch's tall QR and SVD slower than both.
// Measured ratios on the CPU (docs/performance.md, "What a rebuild costs"); a GPU's block product gains
// more over its launch-bound matrix–vector products, so there the model still errs on the dear side.
constexpr double kBlockProductSpeedup = 2.0;
constexpr double kTallFactorizationSlowdown = 2.0;

// The randomized Nyström sketch of the full M_a in CG iterations: the block product of `rank`
// columns, then QR of Ω and SVD of the p_a×ℓ sketch (about 10·p_a·ℓ² flops between them).
double sketchIterations(int64_t n, int64_t pa, int64_t rank) {
  const double r = static_cast<double>(rank);
  const double product = 4.0 * n * pa * r / kBlockProductSpeedup;
  const double factorizations = kTallFactorizationSlowdown * 10.0 * pa * r * r;
  return (product + factorizations) / iterationFlops(n, pa, 4.0 * pa * r);
}

}  // namespace

KeptPreconditioner buildPreconditioner(const Linearization& lin, int64_t field, const SpdOperator& M,
                                       const LinearSolverConfig& config, int64_t blockRank, double mu,
                                       at::Generator& gen, bool fullSketch, const GradientRows* gradient,
                                       double beta) {
  KeptPreconditioner kept;
  const Network& net = lin.network();
  const int64_t pa = net.fieldParameterCount(), n = lin.samples();
  const int64_t rank = std::min(blockRank, pa);
  if (rank <= 0) return kept;
  // A graded block's products run over each point's value and 2D stencil rows; a row sample of it
  // holds each sampled point's value row and D gradient rows.
  const bool graded = gradient != nullptr && beta > 0;
  const int64_t D = net.config().dim;
  const int64_t productRows = graded ? 1 + 2 * D : 1, factorRows = graded ? 1 + D : 1;
  const int64_t nProducts = n * productRows;
  // Sampled points for a preconditioner of rank r (0: the full sketch).
  const auto sampledPoints = [&](int64_t r) -> int64_t {
    if (fullSketch) return 0;
    return config.sketchRows >= 0
               ? std::min(config.sketchRows, n)
               : std::min(n, (sketchRowsFor(nProducts, pa, r, -1) + factorRows - 1) / factorRows);
  };
  // A build of rank r in CG iterations of this block.
  const auto buildIterations = [&](int64_t r) {
    const int64_t points = sampledPoints(r);
    if (points == 0) return sketchIterations(nProducts, pa, r);
    const double cached = static_cast<double>(points * productRows),
                 factor = static_cast<double>(points * factorRows);
    double gramFlops = 0;
    for (const LinearLayer& L : net.layers())
      gramFlops += 2.0 * cached * cached * static_cast<double>(L.in + L.out);
    return (gramFlops + eighFlops(static_cast<int64_t>(factor)) + 2.0 * cached * pa) /
           iterationFlops(nProducts, pa, 4.0 * cached * pa);
  };
  const int64_t m = sampledPoints(rank);
  if (m > 0) {
    // The sampled rows' caches are copied (float64 whatever the network's dtype: the Gram matrix
    // squares the condition number), so the preconditioner outlives this linearisation. Samples
    // are not i.i.d. in order (Sobol nets, importance mixtures drawn component by component), so
    // the m rows are a random subset.
    const at::Tensor index = at::randperm(n, gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, m);
    RowFactor A;
    if (graded) {
      A = gradient->sampledFactor(lin, field, beta, index);
    } else {
      auto rows = std::make_shared<const Linearization>(lin.selectRows(index, at::Tensor(), at::kDouble));
      A.rows = m;
      A.size = pa;
      A.options = at::TensorOptions().dtype(at::kDouble).device(net.config().device);
      A.apply = [rows, field](const at::Tensor& V) { return rows->fieldJvp(field, V); };
      A.applyT = [rows, field](const at::Tensor& U) { return rows->fieldVjp(field, U); };
      A.gram = rows->fieldGram(field);
    }
    auto P = std::make_shared<const SubsampledPreconditioner>(std::move(A), rank, mu);
    kept.rank = P->rank();
    kept.preconditioner = std::move(P);
    kept.escalateIterations = sketchIterations(nProducts, pa, rank);
    kept.sampled = true;
  } else {
    auto P = std::make_shared<const NystromPreconditioner>(M, rank, mu, gen);
    kept.rank = P->rank();
    kept.preconditioner = std::move(P);
  }
  kept.rebuildIterations = buildIterations(rank);
  kept.grownRebuildIterations = buildIterations(std::min(2 * rank, pa));
  kept.applyShare = 4.0 * static_cast<double>(pa * rank) / iterationFlops(nProducts, pa, 0);
  return kept;
}

namespace {

// Growth (preconditioning.h) after a fresh preconditioner's solve of `iterations` CG iterations.
void grow(BlockPreconditioning& block, const LinearSolverConfig& config, int64_t iterations) {
  RankGrowth& g = block.growth;
  const KeptPreconditioner& P = block.kept;
  if (g.stopped || P.rank <= 0) return;
  if (g.iterationsBefore > 0) {
    // The first fresh solve since a doubling measures what a doubling does on this block.
    g.ratio = static_cast<double>(iterations) / static_cast<double>(g.iterationsBefore);
    g.iterationsBefore = 0;
    if (g.ratio > 0.9) {
      g.stopped = true;
      return;
    }
  }
  // A sampled-rows preconditioner that kept fewer pairs than asked found no more that it can
  // resolve (preconditioning.h), so a larger rank would only cost a rebuild.
  const int64_t asked = g.asked(config.rank);
  if (P.rank < asked) return;
  const int64_t grown = std::min(2 * asked, config.maxRank);
  if (grown <= asked || P.grownRebuildIterations <= P.rebuildIterations) return;
  const double k = static_cast<double>(iterations), solves = static_cast<double>(g.served);
  const double saved = solves * k * (1.0 - g.ratio - P.applyShare);
  if (saved <= P.grownRebuildIterations - P.rebuildIterations) return;
  g.rank = grown;
  g.iterationsBefore = iterations;
  block.kept.preconditioner = nullptr;  // the next solve builds at the new rank
}

}  // namespace

BlockSolve solvePreconditioned(
    BlockPreconditioning& block, const LinearSolverConfig& config, bool sampleParallel,
    const std::function<KeptPreconditioner(bool fullSketch, int64_t rank)>& build,
    const std::function<PcgResult(const at::Tensor& x0, const Preconditioner* P, int64_t maxIters)>& cg,
    const at::Tensor& x0) {
  BlockSolve out;
  KeptPreconditioner& P = block.kept;
  const auto rebuild = [&]() {
    if (P.preconditioner) block.growth.served = std::max<int64_t>(1, P.age + 1);
    P = build(block.fullSketch || sampleParallel, block.growth.asked(config.rank));
    if (P.preconditioner) ++out.built;
  };
  const bool reusable = config.reusePreconditioner && P.preconditioner != nullptr && config.rank > 0;
  const bool kept = reusable && block.backoff.skip == 0;
  if (reusable && !kept) --block.backoff.skip;
  if (!kept) rebuild();
  // A kept preconditioner gets the iterations it needed when fresh plus what a rebuild costs; a
  // fresh one from sampled rows what the full sketch would cost.
  double cap = static_cast<double>(config.maxIters);
  if (kept) {
    cap = static_cast<double>(P.freshIterations) + std::max(2.0, P.rebuildIterations);
  } else if (P.sampled) {
    cap = std::max(2.0, P.escalateIterations);
  }
  out.solved = cg(x0, P.preconditioner.get(),
                  std::min<int64_t>(config.maxIters, static_cast<int64_t>(std::ceil(cap))));
  out.iterations = out.solved.iterations;
  if (!out.solved.converged && out.iterations < config.maxIters && P.preconditioner) {
    // The cap was hit: a kept preconditioner is stale, and sampled rows do not describe this
    // block's M well enough (from now on it gets the full sketch). Continue from where CG got.
    if (!kept && P.sampled) block.fullSketch = true;
    if (kept) block.backoff = {block.backoff.next, std::min(2 * block.backoff.next, kMaxReuseSkip)};
    rebuild();
    out.solved = cg(out.solved.x, P.preconditioner.get(), config.maxIters - out.iterations);
    out.iterations += out.solved.iterations;
    P.freshIterations = out.solved.iterations;
    grow(block, config, P.freshIterations);
  } else if (!kept) {
    P.freshIterations = out.solved.iterations;
    grow(block, config, P.freshIterations);
  } else {
    ++P.age;
    block.backoff.next = 1;
  }
  if (!config.reusePreconditioner) P.preconditioner = nullptr;
  return out;
}

}  // namespace nivp
