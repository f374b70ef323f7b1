#include "solvers/nystrom.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>

namespace nivp {

namespace {

double machineEpsilon(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return std::numeric_limits<float>::epsilon();
    case at::kDouble:
      return std::numeric_limits<double>::epsilon();
    default:
      throw std::invalid_argument(
          std::string("NystromPreconditioner: dtype must be float32 or float64, got ") +
          c10::toString(dtype));
  }
}

}  // namespace

namespace {

// A p×l Gaussian test matrix with orthonormal columns (drawn from `generator` when given).
at::Tensor orthonormalTestMatrix(int64_t p, int64_t l, const at::Generator& generator,
                                 const at::TensorOptions& options) {
  const at::Tensor omega = generator.defined()
                               ? at::randn({p, l}, generator, options.device(generator.device())).to(options)
                               : at::randn({p, l}, options);
  return std::get<0>(at::linalg_qr(omega, "reduced"));
}

// The Cholesky factor L of Ωᵀ(Y + νΩ) with the smallest ν = √p·eps·‖Y‖·10^k that makes it
// positive definite; L undefined when ν passed 100‖Y‖ first.
struct ShiftedFactor {
  at::Tensor L, Ynu;  // Ynu = Y + νΩ
  double nu = 0;
  int64_t retries = 0;  // times ν was increased
};

ShiftedFactor shiftedCholesky(const at::Tensor& Y, const at::Tensor& omega, double eps) {
  const double rootP = std::sqrt(static_cast<double>(Y.size(0)));
  const double normY = at::linalg_svdvals(Y).max().item<double>();
  ShiftedFactor out;
  out.nu = rootP * eps * normY;
  if (!(out.nu > 0.0)) out.nu = rootP * eps;  // Y = 0: any positive shift works
  const double nuMax = 100.0 * std::max(normY, out.nu);
  for (;;) {
    out.Ynu = at::add(Y, omega, out.nu);
    at::Tensor core = at::mm(omega.t(), out.Ynu);
    core = at::add(core, core.t()).mul_(0.5);  // symmetric up to rounding; make it exactly so
    at::Tensor factor, info;
    std::tie(factor, info) = at::linalg_cholesky_ex(core);
    if (info.item<int64_t>() == 0) {
      out.L = factor;
      return out;
    }
    if (out.nu > nuMax) return out;
    out.nu *= 10.0;
    ++out.retries;
  }
}

}  // namespace

NystromPreconditioner::NystromPreconditioner(const SpdOperator& M, int64_t rank, double mu,
                                             at::Generator generator)
    : size_(M.size), requestedRank_(rank), mu_(mu), options_(M.options) {
  if (M.size < 0) throw std::invalid_argument("NystromPreconditioner: operator size is negative");
  if (!M.apply) throw std::invalid_argument("NystromPreconditioner: operator has no apply function");
  if (!(mu >= 0.0) || !std::isfinite(mu)) {
    throw std::invalid_argument("NystromPreconditioner: mu must be finite and >= 0, got " +
                                std::to_string(mu));
  }
  const double eps = machineEpsilon(options_.dtype().toScalarType());
  const int64_t p = size_;
  const int64_t l = std::min<int64_t>(std::max<int64_t>(rank, 0), p);

  auto becomeIdentity = [&](bool degenerate) {
    U_ = at::zeros({p, 0}, options_);
    lambda_ = at::zeros({0}, options_);
    scale_ = at::zeros({0, 1}, options_);
    degenerate_ = degenerate;
  };
  if (l == 0) {
    becomeIdentity(false);
    return;
  }

  const at::Tensor omega = orthonormalTestMatrix(p, l, generator, options_);

  // The one block product.
  at::Tensor Y = M.apply(omega);
  if (!Y.defined() || Y.dim() != 2 || Y.size(0) != p || Y.size(1) != l) {
    throw std::invalid_argument("NystromPreconditioner: the operator returned a wrong shape for a " +
                                std::to_string(p) + "x" + std::to_string(l) + " block");
  }
  Y = Y.to(options_);
  if (!at::isfinite(Y).all().item<bool>()) {
    becomeIdentity(true);
    return;
  }

  const ShiftedFactor shifted = shiftedCholesky(Y, omega, eps);
  const at::Tensor &L = shifted.L, &Ynu = shifted.Ynu;
  const double nu = shifted.nu;
  shift_ = nu;
  choleskyRetries_ = shifted.retries;
  if (!L.defined()) {
    becomeIdentity(true);
    return;
  }

  // B = Y_ν C⁻ᵀ, i.e. B Cᵀ = Y_ν.
  const at::Tensor B = at::linalg_solve_triangular(L.t(), Ynu, /*upper=*/true, /*left=*/false);
  at::Tensor Ub, S, Vh;
  std::tie(Ub, S, Vh) = at::linalg_svd(B, /*full_matrices=*/false);
  at::Tensor lambda = (S * S - nu).clamp_min(0.0);

  int64_t kept = l;
  if (mu == 0.0) kept = (lambda > nu).sum().item<int64_t>();  // Λ̂ is descending
  if (kept == 0) {
    becomeIdentity(false);
    return;
  }
  if (kept < l) {
    U_ = Ub.narrow(1, 0, kept).contiguous();
    lambda_ = lambda.narrow(0, 0, kept).contiguous();
  } else {
    U_ = Ub;
    lambda_ = lambda;
  }
  const at::Tensor smallest = lambda_.narrow(0, kept - 1, 1);
  scale_ = ((smallest + mu) / (lambda_ + mu) - 1.0).unsqueeze(1);
}

at::Tensor NystromPreconditioner::apply(const at::Tensor& r) const {
  if (!r.defined() || (r.dim() != 1 && r.dim() != 2) || r.size(0) != size_) {
    throw std::invalid_argument("NystromPreconditioner::apply: expected a vector of length " +
                                std::to_string(size_) + " or a block with that many rows");
  }
  if (rank() == 0) return r.clone();
  const at::Tensor block = r.dim() == 1 ? r.unsqueeze(1) : r;
  const at::Tensor coefficients = at::mm(U_.t(), block).mul_(scale_);
  at::Tensor out = at::addmm(block, U_, coefficients);
  return r.dim() == 1 ? out.squeeze(1) : out;
}

at::Tensor NystromPreconditioner::approximation() const {
  if (rank() == 0) return at::zeros({size_, size_}, options_);
  return at::mm(U_ * lambda_.unsqueeze(0), U_.t());
}

}  // namespace nivp
