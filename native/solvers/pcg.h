// Preconditioned conjugate gradients for (A + shift·I) x = b with A an SpdOperator.
//
// Vectors: b (and x0) are either 1-D of length A.size or A.size×1; the solution has b's shape.
// They are converted to A.options (dtype, device). Internally CG keeps 1-D vectors and hands
// the operator and the preconditioner size×1 views (the block convention of SpdOperator).
//
// The Tikhonov term μ of the Neural IVP system (M + μI) θ̇ = F can either be folded into the
// operator (shift = 0, the default) or passed as PcgOptions::shift with A = M; the second
// form lets the same operator feed the Nyström sketch (which wants M, not M + μI).
//
// Convergence: relative residual ‖b − (A + shift·I)x‖ / ‖b‖ ≤ tol. CG tracks the residual by
// recurrence; when the recurrence says ≤ tol the true residual is computed (one extra operator
// application) and, if it is not yet ≤ tol, CG restarts from the true residual ("residual
// replacement") instead of stopping. The reported relativeResidual is always the true one.
// b = 0 gives x = 0, converged, 0 iterations. Non-convergence (iteration cap, cancellation,
// a breakdown such as pᵀAp ≤ 0 or a non-finite value) is reported, never thrown; only
// malformed arguments (shapes, an operator returning the wrong shape) throw
// std::invalid_argument.
//
// Cost per iteration: one operator application, one preconditioner application, three dot
// products, in-place vector updates, and one device→host transfer of three scalars (the
// convergence check); the step sizes stay on the device.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

#include "solvers/operator.h"
#include "solvers/preconditioner.h"

namespace nivp {

struct PcgOptions {
  double tol = 1e-8;        // on the relative residual ‖b − Ax‖/‖b‖
  int64_t maxIters = 1000;  // CG steps (operator applications for the initial and final true
                            // residuals are not counted here; see PcgResult::operatorApplies)
  double shift = 0.0;       // solve (A + shift·I) x = b
  // Called after every iteration with the iteration number (1-based) and the recurrence's
  // relative residual; returning false stops the solve (reported as Cancelled, not converged).
  std::function<bool(int64_t iteration, double relativeResidual)> progress;
};

enum class PcgStatus {
  Converged,      // true relative residual ≤ tol
  MaxIterations,  // the iteration cap was reached first
  Cancelled,      // the progress callback returned false
  Breakdown,      // pᵀ(A+shift)p ≤ 0, rᵀP⁻¹r ≤ 0 or a non-finite value: A or P is not SPD
};

const char* toString(PcgStatus status);

struct PcgResult {
  at::Tensor x;                   // same shape as b, A.options
  int64_t iterations = 0;         // CG steps taken
  double relativeResidual = 0.0;  // true ‖b − (A+shift)x‖/‖b‖ at return (0 when b = 0)
  bool converged = false;
  PcgStatus status = PcgStatus::MaxIterations;
  int64_t operatorApplies = 0;  // all applications of A, including initial/final residuals
};

// x0: warm start (undefined → zeros). P: nullable; nullptr means plain CG.
PcgResult pcg(const SpdOperator& A, const at::Tensor& b, const at::Tensor& x0, const Preconditioner* P,
              const PcgOptions& options = PcgOptions{});

}  // namespace nivp
