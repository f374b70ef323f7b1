// The Neural IVP dynamics (paper appendix D, Algorithm 1 lines 17–23): at parameters θ and time
// t, θ̇ solves the regularised least-squares problem
//   (M + μI) θ̇ = F,   M = JᵀJ/n,   F = Jᵀf/n,   f_i = L[N(·, θ)](x_i, t)
// on n sample points x_i, J = ∂N(X, θ)/∂θ. One subnetwork per field makes M block diagonal
// (field a's output depends on θ_a only), so each field's block (M_a + μI) θ̇_a = F_a is solved
// on its own: by Nyström-preconditioned CG (matrix-free, the default) or densely (explicit J_a,
// Cholesky).
//
// Per evaluation: one network.forward for the jets the right-hand side needs, one Linearization
// for the Jacobian caches, then per field the preconditioner sketch (one block product), CG
// (one M_a·v per iteration) and one J_a·θ̇_a for the residual.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "common/cancelled.h"
#include "distributed/communicator.h"
#include "engine/jets.h"
#include "engine/network.h"
#include "plan/program.h"
#include "solvers/preconditioner.h"

namespace nivp {

struct LinearSolverConfig {
  enum class Method { Pcg, Dense } method = Method::Pcg;
  double tol = 1e-8;        // PCG: relative residual ‖F_a − (M_a + μ)θ̇_a‖/‖F_a‖ per block
  int64_t maxIters = 1000;  // PCG: iteration cap per block
  int64_t rank = 200;       // PCG: Nyström rank per block, clamped to p_a; 0 = plain CG
  double mu = 1e-6;         // Tikhonov term μ ≥ 0 (both methods)
  // μ in units of the solution: the Tikhonov term is mu·mean(u²), the mean square of the network's
  // values on the samples (all fields; 1 when that is 0 or not finite). M scales with u² in the
  // directions that move the hidden layers, so a fixed μ damps a small solution's dynamics far
  // more than a large one's; scaled, the relative residual does not depend on u's units.
  bool muRelative = false;
  // PCG on a float64 network: M·v (CG's products and the Nyström sketch) in float32 while CG's
  // vectors, F and the residual stay float64 (the reference implementation's "Casted" MVM).
  bool mixedPrecision = false;
  // Dense: refuses (MemoryBudgetError, before J is built) when one block's solve would need more
  // than this many bytes (solvers/dense.h, denseSolveBytes). Negative: unlimited.
  int64_t memoryBudgetBytes = int64_t{4} << 30;
  // PCG: keep each block's Nyström preconditioner for the later solves on the same samples (the
  // stages of one RK attempt) instead of sketching M anew for each; see PreconditionerCache.
  bool reusePreconditioner = false;
};

// Preconditioners kept between evaluations on the same samples. M changes little between the
// stages of one step (θ moves by h·θ̇), and any SPD preconditioner leaves PCG's answer unchanged:
// only the iteration count moves, and with M's spread spectrum it can move a lot: faster on some
// problems, slower on others (docs/results.md). Hence off by default, and evaluate() drops a kept
// sketch once a solve with it needs more than rank/2 iterations beyond the solve that made it, and
// redoes a solve that fails to converge with it from a fresh sketch. The owner clears the cache
// whenever the samples (or θ, by a refit) change.
struct PreconditionerCache {
  std::vector<std::shared_ptr<const Preconditioner>> fields;
  std::vector<int64_t> freshIterations;  // CG iterations of the solve that made each sketch
  void clear() {
    fields.clear();
    freshIterations.clear();
  }
};

// A point set with the right-hand side's static (t- and field-independent) nodes evaluated.
struct SampleSet {
  at::Tensor points;  // n×D in the network's dtype/device
  StaticValues statics;
  // Points of the whole set when this process holds one share of it (a sample-parallel run);
  // 0: the set is `points`. Sums over points are divided by this count.
  int64_t total = 0;
};

struct DynamicsResult {
  at::Tensor thetaDot;       // p, the network's dtype/device
  int64_t cgIterations = 0;  // summed over field blocks (0 for dense)
  double residual = 0;       // sqrt(Σ(Jθ̇ − f)² / Σ f²) over all fields on these samples
  bool converged = true;     // all blocks converged (dense: true, unless f or θ is not finite)
  at::Tensor f;              // n×k right-hand side values (for diagnostics)
};

class Dynamics {
 public:
  // Throws std::invalid_argument for a null network, or a right-hand side that does not fit the
  // network (one output per field, valid nodes) or needs jets that `jets` does not request. The
  // solver config is trusted (TypeScript validates the options).
  Dynamics(std::shared_ptr<const Network> network, ProgramEvaluator rhs, JetRequest jets,
           LinearSolverConfig config);

  // Converts points (n×D, n ≥ 1) to the network's dtype/device and evaluates the static nodes.
  SampleSet samples(const at::Tensor& points) const;

  // θ̇ at (θ, t) on the samples. warmStart: an initial guess for PCG (p; undefined, or a
  // non-finite block, → zeros). gen seeds the Nyström test matrices. `cancelled` (may be empty)
  // is polled before each block and after every CG iteration; when it returns true, throws
  // Cancelled. Dense: throws MemoryBudgetError before any work when a block exceeds the budget.
  // Non-convergence is reported, never thrown. When f or θ is not finite, no solve is attempted:
  // θ̇ is NaN, residual NaN, converged false (the integrator rejects the step).
  // `reuse` (may be null): preconditioners to use when present, and where new ones are kept.
  DynamicsResult evaluate(const at::Tensor& theta, double t, const SampleSet& samples,
                          const at::Tensor& warmStart, at::Generator& gen,
                          const std::function<bool()>& cancelled = {},
                          PreconditionerCache* reuse = nullptr) const;

  // The relative PDE residual at θ: solves for θ̇ as evaluate does (no warm start) and returns
  // only DynamicsResult::residual.
  double residual(const at::Tensor& theta, double t, const SampleSet& samples, at::Generator& gen) const;

  // A sample-parallel run: the samples passed in are this process's share, and every sum over
  // points (M·v and the sketch, F, the residual's sums, a dense solve's JᵀJ) is completed over
  // all processes by `communicator` (null: one process).
  void setCommunicator(std::shared_ptr<Communicator> communicator) { comm_ = std::move(communicator); }

  const Network& network() const { return *network_; }
  const LinearSolverConfig& config() const { return config_; }
  const ProgramEvaluator& rhs() const { return rhs_; }
  const JetRequest& jets() const { return jets_; }

 private:
  std::shared_ptr<const Network> network_;
  ProgramEvaluator rhs_;
  JetRequest jets_;
  LinearSolverConfig config_;
  std::shared_ptr<Communicator> comm_;
};

}  // namespace nivp
