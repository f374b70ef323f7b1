// The Neural IVP dynamics (paper appendix D, Algorithm 1 lines 17–23): at parameters θ and time
// t, θ̇ solves the regularised least-squares problem
//   (M + μI) θ̇ = F,   M = JᵀJ/n,   F = Jᵀf/n,   f_i = L[N(·, θ)](x_i, t)
// on n sample points x_i, J = ∂N(X, θ)/∂θ. One subnetwork per field makes M block diagonal
// (field a's output depends on θ_a only), so each field's block (M_a + μI) θ̇_a = F_a is solved
// on its own: by preconditioned CG (matrix-free, the default) or densely (explicit J_a, Cholesky).
//
// Per evaluation: one forward sweep for the jets the right-hand side needs that also fills the
// Jacobian caches (a Linearization), then per field a preconditioner (built, or kept from an
// earlier evaluation: engine/preconditioning.h), CG (one M_a·v per iteration) and one J_a·θ̇_a for
// the residual.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "common/cancelled.h"
#include "common/launches.h"
#include "common/option_defaults.h"
#include "distributed/communicator.h"
#include "engine/gradient_rows.h"
#include "engine/jets.h"
#include "engine/network.h"
#include "engine/preconditioning.h"
#include "plan/program.h"

namespace nivp {

struct LinearSolverConfig {
  enum class Method { Pcg, Dense };
  Method method = defaults::linear::method == "dense" ? Method::Dense : Method::Pcg;
  double tol = defaults::linear::tol;  // PCG: relative residual ‖F_a − (M_a + μ)θ̇_a‖/‖F_a‖ per block
  int64_t maxIters = defaults::linear::maxIters;  // PCG: iteration cap per block
  int64_t rank = defaults::linear::rank;  // PCG: preconditioner rank per block, clamped to p_a; 0 = plain CG
  // PCG: the rank a block's preconditioner may grow to when its solves need many iterations
  // (engine/preconditioning.h); at most `rank`: the rank stays fixed.
  int64_t maxRank = defaults::linear::maxRank;
  double mu = defaults::linear::mu;  // Tikhonov term μ ≥ 0 (both methods)
  // μ in units of the solution: the Tikhonov term is mu·mean(u²), the mean square of the network's
  // values on the samples (all fields; 1 when that is 0 or not finite), times each block's share
  // of the output scales (blockMu). M scales with u² in the directions that move the hidden
  // layers, so a fixed μ damps a small solution's dynamics far more than a large one's; scaled,
  // the relative residual does not depend on u's units.
  bool muRelative = defaults::linear::muScale == "solution";
  // PCG on a float64 network: M·v (CG's products and the Nyström sketch) in float32 while CG's
  // vectors, F and the residual stay float64 (the reference implementation's "Casted" MVM).
  bool mixedPrecision = defaults::linear::mixedPrecision;
  // Dense: refuses (MemoryBudgetError, before J is built) when one block's solve would need more
  // than this many bytes (solvers/dense.h, denseSolveBytes). Negative: unlimited.
  int64_t memoryBudgetBytes = defaults::top::memoryBudget;
  // PCG: keep each block's preconditioner for later solves (other RK stages and steps, other
  // samples) under an iteration cap that bounds what a stale one costs; see engine/preconditioning.h.
  bool reusePreconditioner = defaults::linear::reusePreconditioner;
  // PCG: the preconditioner of each block from M estimated on this many of the samples
  // (solvers/subsampled.h); -1: chosen per block (engine/preconditioning.h); 0: the randomized
  // Nyström sketch of the full M (the paper's).
  int64_t sketchRows = -1;
  // Per field, the weight β_a ≥ 0 of the gradient rows (engine/gradient_rows.h): field a's θ̇
  // minimises ‖J_a θ̇_a − f_a‖² + β_a Σ_k ‖∂_k(J_a θ̇_a − f_a)‖². Empty or all 0: the paper's L²
  // projection. A block with β_a > 0 runs its products in the network's dtype (the differences
  // cancel to h); its preconditioner's row sample takes each point's value and gradient rows.
  std::vector<double> gradientWeights;
  double stencilStep = 1e-4;  // h of the central differences, in the input's units
  // The differences along every axis, or along one sampled direction per point (gradient_rows.h).
  StencilDirections stencilDirections = StencilDirections::Axes;
};

// A point set with the right-hand side's static (t- and field-independent) nodes evaluated.
struct SampleSet {
  at::Tensor points;  // n×D in the network's dtype/device
  StaticValues statics;
  // Points of the whole set when this process holds one share of it (a sample-parallel run);
  // 0: the set is `points`. Sums over points are divided by this count.
  int64_t total = 0;
  // Importance weights p/q (n, network's dtype/device), or undefined for uniform points: M and F
  // then weigh row i by w_i (J's rows and f scaled by √w_i), estimating the same integrals.
  at::Tensor weights;
};

// Where one evaluation's time went, in seconds of a steady clock. On a CUDA device the clock
// reads are host times: kernels still queued when a part ends are counted in a later part.
struct StageSeconds {
  double jets = 0;            // the forward sweep for the jets the right-hand side reads, which
                              // also fills the Jacobian caches (their backward sweep included)
  double plan = 0;            // the right-hand side's plan on those jets
  double linearization = 0;   // the Jacobian caches when no jets are read; the float32 copy
  double preconditioner = 0;  // building preconditioners (0 when kept ones served)
  double cg = 0;              // CG, F = Jᵀf/n and the residual's J·θ̇ (dense: the dense solve)
  double total = 0;
};

struct DynamicsResult {
  at::Tensor thetaDot;       // p, the network's dtype/device
  int64_t cgIterations = 0;  // summed over field blocks (0 for dense)
  double residual = 0;       // sqrt(Σ(Jθ̇ − f)² / Σ f²) over all fields on these samples
  bool converged = true;     // all blocks converged (dense: true, unless f or θ is not finite)
  at::Tensor f;              // n×k right-hand side values (for diagnostics)
  StageSeconds seconds;
  // PCG: the preconditioners used, over the field blocks: the largest rank, the oldest age (solves
  // since it was built; 0 = built for this one) and how many were built by this evaluation.
  int64_t preconditionerRank = 0;
  int64_t preconditionerAge = 0;
  int64_t preconditionersBuilt = 0;
  // With setLaunchCounting: the evaluation's ATen operator calls and host syncs
  // (common/launches.h), in all and inside CG alone.
  LaunchCounts launches, cgLaunches;
};

class Dynamics {
 public:
  // Throws std::invalid_argument for a null network, or a right-hand side that does not fit the
  // network (one output per field, valid nodes) or needs jets that `jets` does not request. The
  // solver config is trusted (TypeScript validates the options).
  Dynamics(std::shared_ptr<const Network> network, ProgramEvaluator rhs, JetRequest jets,
           LinearSolverConfig config);

  // Converts points (n×D, n ≥ 1) to the network's dtype/device and evaluates the static nodes.
  // weights: optional importance weights (n), see SampleSet.
  SampleSet samples(const at::Tensor& points, const at::Tensor& weights = at::Tensor()) const;

  // θ̇ at (θ, t) on the samples. warmStart: an initial guess for PCG (p; undefined, or a
  // non-finite block, → zeros). gen seeds the Nyström test matrices. `cancelled` (may be empty)
  // is polled before each block and after every CG iteration; when it returns true, throws
  // Cancelled. Dense: throws MemoryBudgetError before any work when a block exceeds the budget.
  // Non-convergence is reported, never thrown. When f or θ is not finite, no solve is attempted:
  // θ̇ is NaN, residual NaN, converged false (the integrator rejects the step).
  // `reuse` (may be null): each block's preconditioning state (engine/preconditioning.h), kept
  // preconditioners used when config().reusePreconditioner.
  DynamicsResult evaluate(const at::Tensor& theta, double t, const SampleSet& samples,
                          const at::Tensor& warmStart, at::Generator& gen,
                          const std::function<bool()>& cancelled = {},
                          PreconditionerCache* reuse = nullptr) const;

  // The right-hand side f = L[N(·, θ)](x, t) at the points (n×D): n×k values in the network's
  // dtype, without solving for θ̇.
  at::Tensor rightHandSide(const at::Tensor& theta, double t, const at::Tensor& points) const;

  // The relative PDE residual at θ: solves for θ̇ as evaluate does (no warm start) and returns
  // only DynamicsResult::residual.
  double residual(const at::Tensor& theta, double t, const SampleSet& samples, at::Generator& gen) const;

  // The relative residual sqrt(Σ(Jθ̇ − f)² / Σ f²) of a given θ̇ on other samples than it was
  // solved on (rows weighted as evaluate weighs them): how well the projection holds between its
  // points. With fewer points than parameters, θ̇ can match f on its own points and miss it
  // elsewhere; the paper validates on such samples. L² rows only (no gradient rows). NaN when θ̇,
  // θ or f is not finite.
  double heldOutResidual(const at::Tensor& theta, double t, const at::Tensor& thetaDot,
                         const SampleSet& samples) const;

  // A sample-parallel run: the samples passed in are this process's share, and every sum over
  // points (M·v and the sketch, F, the residual's sums, a dense solve's JᵀJ) is completed over
  // all processes by `communicator` (null: one process).
  void setCommunicator(std::shared_ptr<Communicator> communicator) { comm_ = std::move(communicator); }

  // Count what each evaluation launches (DynamicsResult::launches): a bench measurement, since
  // counting costs every operator call some time.
  void setLaunchCounting(bool on) { countLaunches_ = on; }

  const Network& network() const { return *network_; }
  const LinearSolverConfig& config() const { return config_; }

 private:
  // evaluate's steps, in order, on one evaluation's state.
  struct Evaluation;
  void checkArguments(const at::Tensor& theta, const SampleSet& samples, const at::Tensor& warmStart) const;
  void sweepSamples(Evaluation& ev, double t, const SampleSet& samples) const;
  void linearize(Evaluation& ev, double t, const SampleSet& samples) const;
  bool allFinite(Evaluation& ev) const;
  void prepareSolve(Evaluation& ev) const;
  void weighCaches(Evaluation& ev) const;
  void solveDense(Evaluation& ev, int64_t field) const;
  void solvePcg(Evaluation& ev, int64_t field, const at::Tensor& warmStart, at::Generator& gen,
                const std::function<bool()>& cancelled, BlockPreconditioning& state) const;
  // θ̇_a = x into the result, and ‖J_a x − f_a‖² (Jx, fa: n×1, rows scaled alike) into the misfit.
  void storeBlock(Evaluation& ev, int64_t field, const at::Tensor& x, const at::Tensor& Jx,
                  const at::Tensor& fa) const;
  double relativeResidual(Evaluation& ev, const at::Tensor& misfit) const;
  DynamicsResult finish(Evaluation& ev, bool solved) const;
  double gradientWeight(int64_t field) const;
  // Block a's Tikhonov term: μ in units of the solution scaled by c_a²/mean_b c_b², c the
  // network's output scales, since M_a grows as c_a² (the same μ for every block when the
  // fields are of one size).
  double blockMu(const Evaluation& ev, int64_t field) const;

  std::shared_ptr<const Network> network_;
  ProgramEvaluator rhs_;
  JetRequest jets_;
  LinearSolverConfig config_;
  // The graded fields' right-hand side and its jets, for the gradient rows' stencil (when some
  // gradient weight is positive).
  std::optional<ProgramEvaluator> stencilRhs_;
  JetRequest stencilJets_;
  std::shared_ptr<Communicator> comm_;
  bool countLaunches_ = false;
};

}  // namespace nivp
