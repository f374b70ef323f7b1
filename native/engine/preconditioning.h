// Which preconditioner each field block's CG gets, and when it is rebuilt (engine/dynamics.h).
//
// Construction: by default from a row sample (solvers/subsampled.h): M_a = J_aᵀJ_a/n estimated on
// m of the samples (LinearSolverConfig::sketchRows, set by tests and the bench; by default 2·rank,
// doubled up to 8·rank while the m×m eigendecomposition costs at most a few CG iterations), whose
// leading eigenpairs come from the m×m
// Gram matrix of the per-layer factors. Its cost does not grow with n and only linearly with p_a
// (the sampled rows' caches), where the randomized Nyström sketch of the full M_a (the paper's,
// sketchRows = 0) is a block product of `rank` columns with M_a plus a p_a×rank QR and SVD.
// A graded block (engine/gradient_rows.h) samples points, each with its value row and its D
// gradient rows, and counts its costs on the 1 + 2D rows per point that its products run over.
//
// Escalation: M's spectrum decides how well sampled rows describe it (well where it decays fast;
// badly where it is flat, as on the 6D Vlasov problem, and CG then needs many iterations). So a solve with a
// fresh sampled-rows preconditioner runs under a cap of what the full sketch would cost, counted
// in CG iterations; one that reaches it is continued from where it stopped with the full sketch,
// which the block then keeps using (until θ is replaced). Any SPD preconditioner leaves
// PCG's answer unchanged, so this moves only the cost: at worst about twice the full sketch's
// for that one solve.
//
// Reuse (linear.reusePreconditioner; the default preset turns it on): a preconditioner is kept across RK
// stages and steps, and each solve with a kept one runs under a cap: the iterations of the solve that built
// it plus the cost of a rebuild counted in iterations. A solve that reaches the cap is continued with a fresh
// preconditioner, so a stale one costs at most one rebuild's worth. Costs are counted in flops (each kind
// of work's weighed by how fast it runs against a CG iteration's), not timed, so that a seed gives one
// result bit for bit.
//
// Backoff: a kept preconditioner that reached its cap says that on this block M moves faster than one
// preconditioner lasts (a concentrated solution whose small eigenvectors turn from stage to stage), and
// retrying the next kept one would likely waste another rebuild's worth. So the block's next solves build
// fresh without trying it: one solve after the first failure, twice as many after each failed retry, up to
// kMaxReuseSkip; a retry that stays under its cap restarts the count.
//
// Growth (linear.maxRank above linear.rank): a fresh preconditioner whose solve still needs many CG
// iterations leaves much of M's spectrum to CG. Where that spectrum is flat beyond the rank,
// doubling the rank roughly halves the condition number CG sees, so the iterations fall by about
// √2; where it decays they fall faster. The block's rank doubles, up to maxRank, when the expected
// saving over the solves one preconditioner serves pays for the dearer rebuild and the dearer
// application; the kept preconditioner is then dropped so that the next solve builds at the new
// rank. That solve's iterations against those before measure what a doubling does on this block
// and replace the √2 for the next decision; a doubling that did not cut them by a tenth stops
// growth for good. A preconditioner holding fewer pairs than asked (sampled rows resolve no more)
// does not grow.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "solvers/operator.h"
#include "solvers/pcg.h"
#include "solvers/preconditioner.h"

namespace nivp {

class GradientRows;
class Linearization;
struct LinearSolverConfig;

// Growth (above): what a block knows for its next decision, kept across rebuilds.
struct RankGrowth {
  int64_t rank = 0;                    // the block's rank (0: linear.rank)
  int64_t served = 1;                  // solves the last replaced preconditioner served
  int64_t iterationsBefore = 0;        // the fresh solve that made the rank grow (0: none pending)
  double ratio = 0.70710678118654752;  // iterations after a doubling over those before
  bool stopped = false;
  int64_t asked(int64_t configured) const { return rank > 0 ? rank : configured; }
};

// Backoff (above): the block's reuse record, kept across rebuilds.
struct ReuseBackoff {
  int64_t skip = 0;  // solves left that build fresh without trying the kept preconditioner
  int64_t next = 1;  // the skip after the next kept preconditioner that reaches its cap
};
constexpr int64_t kMaxReuseSkip = 8;

// What one build made: a preconditioner and what it is expected to cost, counted in CG iterations of
// its block, and how it has served since.
struct KeptPreconditioner {
  std::shared_ptr<const Preconditioner> preconditioner;  // null: none built or kept
  bool sampled = false;                                  // built from sampled rows (not the full sketch)
  int64_t rank = 0;                                      // pairs it holds
  int64_t age = 0;                    // solves since it was built (0: built for the current one)
  int64_t freshIterations = 0;        // CG iterations of the solve it was built for
  double rebuildIterations = 0;       // a rebuild's cost
  double escalateIterations = 0;      // sampled rows: the full sketch's cost
  double grownRebuildIterations = 0;  // a rebuild at twice the rank
  double applyShare = 0;              // one application of P⁻¹
};

// One field block's preconditioning between solves: its preconditioner (kept across solves only with
// reuse) and what the block has learnt, which outlasts each preconditioner.
struct BlockPreconditioning {
  KeptPreconditioner kept;
  bool fullSketch = false;  // the block's mode: sampled rows fell short once, so the full sketch
  RankGrowth growth;
  ReuseBackoff backoff;
};

// Preconditioning state between evaluations, one entry per field block. New samples keep it (M
// estimated on other points is still a good preconditioner); a new run clears it.
struct PreconditionerCache {
  std::vector<BlockPreconditioning> fields;
  void clear() { fields.clear(); }
  // θ is replaced (a refit): M is another matrix, so each block's preconditioner, mode and rank start
  // over, while its reuse backoff stays, since how fast M moves along the run is the dynamics', not θ's.
  void replaceParameters() {
    for (BlockPreconditioning& block : fields) {
      block.kept = KeptPreconditioner();
      block.fullSketch = false;
      block.growth = RankGrowth();
    }
  }
};

// A fresh preconditioner for field `field` of `lin` (rank clamped to p_a and, for a row sample,
// to the samples), or none for plain CG (rank 0). M: the block's operator without μ (the full
// Nyström sketch's products go through it, so mixed precision and sample-parallel sums apply to
// them); mu: the system's Tikhonov term. gradient (may be null) with beta > 0: the block is graded
// (engine/gradient_rows.h), and a row sample takes each sampled point's value and gradient rows.
// `rank`: the block's rank (RankGrowth::asked).
KeptPreconditioner buildPreconditioner(const Linearization& lin, int64_t field, const SpdOperator& M,
                                       const LinearSolverConfig& config, int64_t rank, double mu,
                                       at::Generator& gen, bool fullSketch,
                                       const GradientRows* gradient = nullptr, double beta = 0.0);

// One field block's preconditioned CG under the policy above, on `block` (updated):
// a kept preconditioner when reuse and the backoff allow, else a fresh one from `build`; CG under the cap of
// what the preconditioner is expected to cost; when the cap is hit, escalation or a rebuild, and CG
// continued from where it stopped; after a fresh preconditioner's solve, growth. `build(fullSketch,
// rank)` makes a preconditioner (the full sketch when asked; sample-parallel runs always ask, since each
// process's sampled rows would give each its own preconditioner where CG's replicated vectors need one);
// `cg(x0, P, maxIters)` runs CG.
struct BlockSolve {
  PcgResult solved;        // the last CG run (its x is the block's θ̇)
  int64_t iterations = 0;  // CG iterations, all runs
  int64_t built = 0;       // preconditioners built
};
BlockSolve solvePreconditioned(
    BlockPreconditioning& block, const LinearSolverConfig& config, bool sampleParallel,
    const std::function<KeptPreconditioner(bool fullSketch, int64_t rank)>& build,
    const std::function<PcgResult(const at::Tensor& x0, const Preconditioner* P, int64_t maxIters)>& cg,
    const at::Tensor& x0);

}  // namespace nivp
