#include "solvers/pcg.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/launches.h"

namespace nivp {

const char* toString(PcgStatus status) {
  switch (status) {
    case PcgStatus::Converged:
      return "converged";
    case PcgStatus::MaxIterations:
      return "maxIterations";
    case PcgStatus::Cancelled:
      return "cancelled";
    case PcgStatus::Breakdown:
      return "breakdown";
  }
  return "unknown";
}

namespace {

std::string toStringSizes(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

// Checks that t holds exactly n numbers laid out as n or n×1 and returns it as a 1-D view/copy
// with the given options.
at::Tensor asVector(const at::Tensor& t, int64_t n, const at::TensorOptions& options, const char* what) {
  if (!t.defined()) throw std::invalid_argument(std::string("pcg: ") + what + " is undefined");
  const bool shapeOk = (t.dim() == 1 && t.size(0) == n) || (t.dim() == 2 && t.size(0) == n && t.size(1) == 1);
  if (!shapeOk) {
    throw std::invalid_argument(std::string("pcg: ") + what + " must have shape [" + std::to_string(n) +
                                "] or [" + std::to_string(n) + ", 1], got " + toStringSizes(t.sizes()));
  }
  return t.reshape({n}).to(options);
}

class Solver {
 public:
  Solver(const SpdOperator& A, const Preconditioner* P, double shift, int64_t* applies)
      : A_(A), P_(P), shift_(shift), n_(A.size), applies_(applies) {}

  // (A + shift·I) v for a 1-D v, as a 1-D tensor that never aliases v. The operator's output is
  // not modified in place (it may be a buffer the operator owns).
  at::Tensor op(const at::Tensor& v) const {
    at::Tensor q = A_.apply(v.view({n_, 1}));
    ++*applies_;
    if (!q.defined() || q.numel() != n_) {
      throw std::invalid_argument("pcg: the operator returned shape " +
                                  (q.defined() ? toStringSizes(q.sizes()) : std::string("undefined")) +
                                  " for an input of shape [" + std::to_string(n_) + ", 1]");
    }
    q = q.reshape({n_}).to(v.options());
    if (shift_ != 0.0) return at::add(q, v, shift_);
    if (q.is_alias_of(v)) return q.clone();
    return q;
  }

  // P⁻¹ r for a 1-D r (r itself when there is no preconditioner).
  at::Tensor precondition(const at::Tensor& r) const {
    if (P_ == nullptr) return r;
    at::Tensor z = P_->apply(r.view({n_, 1}));
    if (!z.defined() || z.numel() != n_) {
      throw std::invalid_argument("pcg: the preconditioner returned shape " +
                                  (z.defined() ? toStringSizes(z.sizes()) : std::string("undefined")) +
                                  " for an input of shape [" + std::to_string(n_) + ", 1]");
    }
    return z.reshape({n_}).to(r.options());
  }

 private:
  const SpdOperator& A_;
  const Preconditioner* P_;
  double shift_;
  int64_t n_;
  int64_t* applies_;
};

// Whether a CG scale (rᵀz or pᵀAp) shows that A or P is not SPD: not positive, or not finite.
bool notPositive(double scale) { return !(scale > 0.0) || !std::isfinite(scale); }

// CG on (A + shift·I) x = b from a starting x and its residual r = b − (A + shift·I)x: `start`,
// then `step` until one returns a status, then `finish`. The step sizes stay on the device; each
// iteration brings three scalars to the host (one sync).
class ConjugateGradients {
 public:
  ConjugateGradients(const Solver& solver, at::Tensor b, double bnorm, const PcgOptions& options,
                     at::Tensor x, at::Tensor r)
      : solver_(solver),
        b_(std::move(b)),
        bnorm_(bnorm),
        options_(options),
        x_(std::move(x)),
        r_(std::move(r)) {}

  // The first search direction; a status when x already solves the system or P breaks down.
  std::optional<PcgStatus> start() {
    z_ = solver_.precondition(r_);
    rz_ = at::dot(r_, z_);
    p_ = z_.clone();
    const at::Tensor host = toHost(at::stack({at::dot(r_, r_), rz_}));
    const double* h = host.data_ptr<double>();
    relres_ = std::sqrt(h[0]) / bnorm_;
    if (!std::isfinite(relres_)) return PcgStatus::Breakdown;
    if (relres_ <= options_.tol) return PcgStatus::Converged;
    if (notPositive(h[1])) return PcgStatus::Breakdown;
    finalKnown_ = false;
    return std::nullopt;
  }

  // One iteration; a status when the solve ends there.
  std::optional<PcgStatus> step(int64_t& iterations) {
    const at::Tensor q = solver_.op(p_);
    const at::Tensor pq = at::dot(p_, q);
    // A zero step when pᵀAp ≤ 0 (or NaN) leaves x and r untouched for the breakdown report.
    const at::Tensor alpha = at::where(pq > 0, rz_ / pq, zero_);
    x_.addcmul_(p_, alpha);
    r_.addcmul_(q, alpha, -1);
    z_ = solver_.precondition(r_);
    const at::Tensor rzNew = at::dot(r_, z_);
    const at::Tensor host = toHost(at::stack({pq, at::dot(r_, r_), rzNew}));
    const double* h = host.data_ptr<double>();
    if (notPositive(h[0])) return PcgStatus::Breakdown;
    ++iterations;
    relres_ = std::sqrt(h[1]) / bnorm_;
    if (!std::isfinite(relres_)) return PcgStatus::Breakdown;
    const bool keepGoing = options_.progress ? options_.progress(iterations, relres_) : true;
    if (relres_ <= options_.tol) return replaceResidual(keepGoing);
    if (!keepGoing) return PcgStatus::Cancelled;
    if (notPositive(h[2])) return PcgStatus::Breakdown;
    p_.mul_(rzNew / rz_).add_(z_);
    rz_ = rzNew;
    return std::nullopt;
  }

  // The result with the true residual of the x reached.
  PcgResult finish(PcgStatus status, PcgResult result, at::IntArrayRef shape) {
    if (!finalKnown_) relres_ = trueResidual();
    if (status == PcgStatus::MaxIterations && relres_ <= options_.tol) status = PcgStatus::Converged;
    result.x = x_.reshape(shape);
    result.relativeResidual = relres_;
    result.status = status;
    result.converged = status == PcgStatus::Converged;
    return result;
  }

 private:
  // ‖b − Ax‖/‖b‖ from scratch; also replaces r by the true residual.
  double trueResidual() {
    r_ = at::sub(b_, solver_.op(x_));
    return at::linalg_vector_norm(r_).item<double>() / bnorm_;
  }

  // The recurrence says converged: check the true residual, and when the recurrence drifted,
  // restart CG from the true residual ("residual replacement") instead of stopping.
  std::optional<PcgStatus> replaceResidual(bool keepGoing) {
    relres_ = trueResidual();
    finalKnown_ = true;
    if (relres_ <= options_.tol) return PcgStatus::Converged;
    z_ = solver_.precondition(r_);
    rz_ = at::dot(r_, z_);
    p_.copy_(z_);
    const double rzHost = rz_.item<double>();
    if (!keepGoing) return PcgStatus::Cancelled;
    if (notPositive(rzHost)) return PcgStatus::Breakdown;
    finalKnown_ = false;
    return std::nullopt;
  }

  const Solver& solver_;
  const at::Tensor b_;
  const double bnorm_;
  const PcgOptions& options_;
  at::Tensor x_, r_, z_, p_;
  const at::Tensor zero_ = at::zeros({}, b_.options());
  at::Tensor rz_;           // rᵀz, on the device
  double relres_ = 0.0;     // the recurrence's ‖r‖/‖b‖, or the true one when finalKnown_
  bool finalKnown_ = true;  // relres_ is the true residual of x_
};

}  // namespace

PcgResult pcg(const SpdOperator& A, const at::Tensor& b, const at::Tensor& x0, const Preconditioner* P,
              const PcgOptions& options) {
  const int64_t n = A.size;
  if (n < 0) throw std::invalid_argument("pcg: operator size is negative");
  if (!A.apply) throw std::invalid_argument("pcg: operator has no apply function");
  const at::TensorOptions& opts = A.options;
  const at::Tensor bv = asVector(b, n, opts, "b");  // may alias b; never written
  const std::vector<int64_t> shape = b.sizes().vec();

  PcgResult result;
  Solver solver(A, P, options.shift, &result.operatorApplies);

  const double bnorm = n == 0 ? 0.0 : at::linalg_vector_norm(bv).item<double>();
  if (bnorm == 0.0) {
    result.x = at::zeros(shape, opts);
    result.converged = true;
    result.status = PcgStatus::Converged;
    return result;
  }

  at::Tensor x, r;
  if (x0.defined()) {
    x = asVector(x0, n, opts, "x0").clone();
    r = at::sub(bv, solver.op(x));
  } else {
    x = at::zeros({n}, opts);
    r = bv.clone();
  }
  if (!std::isfinite(bnorm)) {
    result.x = x.reshape(shape);
    result.relativeResidual = std::numeric_limits<double>::quiet_NaN();
    result.status = PcgStatus::Breakdown;
    return result;
  }

  ConjugateGradients cg(solver, bv, bnorm, options, x, r);
  std::optional<PcgStatus> status = cg.start();
  while (!status && result.iterations < options.maxIters) status = cg.step(result.iterations);
  return cg.finish(status.value_or(PcgStatus::MaxIterations), result, shape);
}

}  // namespace nivp
