#include "solvers/pcg.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

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

  // ‖b − Ax‖/‖b‖ from scratch; also replaces r by the true residual.
  auto trueResidual = [&]() {
    r = at::sub(bv, solver.op(x));
    return at::linalg_vector_norm(r).item<double>() / bnorm;
  };

  const at::Tensor zero = at::zeros({}, opts);
  at::Tensor z = solver.precondition(r);
  at::Tensor rz = at::dot(r, z);
  at::Tensor p = z.clone();
  double relres;
  double rzHost;
  {
    const at::Tensor host = toHost(at::stack({at::dot(r, r), rz}));
    const double* h = host.data_ptr<double>();
    relres = std::sqrt(h[0]) / bnorm;
    rzHost = h[1];
  }

  bool finalKnown = true;  // relres is the true residual of the current x
  PcgStatus status = PcgStatus::MaxIterations;
  if (!std::isfinite(relres)) {
    status = PcgStatus::Breakdown;
  } else if (relres <= options.tol) {
    status = PcgStatus::Converged;
  } else if (!(rzHost > 0.0) || !std::isfinite(rzHost)) {
    status = PcgStatus::Breakdown;
  } else {
    finalKnown = false;
    while (result.iterations < options.maxIters) {
      const at::Tensor q = solver.op(p);
      const at::Tensor pq = at::dot(p, q);
      // A zero step when pᵀAp ≤ 0 (or NaN) leaves x and r untouched for the breakdown report.
      const at::Tensor alpha = at::where(pq > 0, rz / pq, zero);
      x.addcmul_(p, alpha);
      r.addcmul_(q, alpha, -1);
      z = solver.precondition(r);
      const at::Tensor rzNew = at::dot(r, z);
      const at::Tensor host = toHost(at::stack({pq, at::dot(r, r), rzNew}));
      const double* h = host.data_ptr<double>();
      const double pqHost = h[0];
      rzHost = h[2];
      if (!(pqHost > 0.0) || !std::isfinite(pqHost)) {
        status = PcgStatus::Breakdown;
        break;
      }
      ++result.iterations;
      relres = std::sqrt(h[1]) / bnorm;
      if (!std::isfinite(relres)) {
        status = PcgStatus::Breakdown;
        break;
      }
      const bool keepGoing = options.progress ? options.progress(result.iterations, relres) : true;
      if (relres <= options.tol) {
        relres = trueResidual();
        if (relres <= options.tol) {
          status = PcgStatus::Converged;
          finalKnown = true;
          break;
        }
        // Residual replacement: the recurrence drifted; restart CG from the true residual.
        z = solver.precondition(r);
        rz = at::dot(r, z);
        p.copy_(z);
        rzHost = rz.item<double>();
        if (!keepGoing) {
          status = PcgStatus::Cancelled;
          finalKnown = true;
          break;
        }
        if (!(rzHost > 0.0) || !std::isfinite(rzHost)) {
          status = PcgStatus::Breakdown;
          finalKnown = true;
          break;
        }
        continue;
      }
      if (!keepGoing) {
        status = PcgStatus::Cancelled;
        break;
      }
      if (!(rzHost > 0.0) || !std::isfinite(rzHost)) {
        status = PcgStatus::Breakdown;
        break;
      }
      p.mul_(rzNew / rz).add_(z);
      rz = rzNew;
    }
  }

  if (!finalKnown) relres = trueResidual();
  if (status == PcgStatus::MaxIterations && relres <= options.tol) status = PcgStatus::Converged;
  result.x = x.reshape(shape);
  result.relativeResidual = relres;
  result.status = status;
  result.converged = status == PcgStatus::Converged;
  return result;
}

}  // namespace nivp
