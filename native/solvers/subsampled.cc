#include "solvers/subsampled.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace nivp {

SubsampledPreconditioner::SubsampledPreconditioner(RowFactor factor, int64_t rank, double mu)
    : factor_(std::move(factor)), requestedRank_(rank), mu_(mu) {
  const int64_t m = factor_.rows;
  if (m < 1 || factor_.size < 0 || !factor_.apply || !factor_.applyT)
    throw std::invalid_argument(
        "SubsampledPreconditioner: the factor needs rows ≥ 1, a size and both products");
  if (!factor_.gram.defined() || factor_.gram.dim() != 2 || factor_.gram.size(0) != m ||
      factor_.gram.size(1) != m)
    throw std::invalid_argument("SubsampledPreconditioner: the Gram matrix must be " + std::to_string(m) +
                                "x" + std::to_string(m));
  if (!(mu >= 0.0) || !std::isfinite(mu))
    throw std::invalid_argument("SubsampledPreconditioner: mu must be finite and >= 0, got " +
                                std::to_string(mu));
  const at::Tensor G = factor_.gram;
  const double eps = G.scalar_type() == at::kFloat ? std::numeric_limits<float>::epsilon()
                                                   : std::numeric_limits<double>::epsilon();
  if (rank < 1 || !at::isfinite(G).all().item<bool>()) return;  // the identity
  at::Tensor w, V;
  std::tie(w, V) = at::linalg_eigh(G);  // ascending
  w = w.flip(0).div_(static_cast<double>(m));
  V = V.flip(1);
  const double top = w[0].item<double>();
  if (!(top > 0.0)) return;
  const int64_t kept =
      std::min(rank, (w > 10.0 * std::sqrt(eps) * top).sum().item<int64_t>());  // w is descending
  if (kept < 1) return;
  lambda_ = w.narrow(0, 0, kept).contiguous();
  const at::Tensor Vl = V.narrow(1, 0, kept);
  const at::Tensor smallest = lambda_.narrow(0, kept - 1, 1);
  const at::Tensor coefficient =
      ((smallest + mu) / (lambda_ + mu) - 1.0) / (lambda_ * static_cast<double>(m));
  Q_ = at::mm(Vl * coefficient.unsqueeze(0), Vl.t());
}

at::Tensor SubsampledPreconditioner::apply(const at::Tensor& r) const {
  if (!r.defined() || (r.dim() != 1 && r.dim() != 2) || r.size(0) != factor_.size) {
    throw std::invalid_argument("SubsampledPreconditioner::apply: expected a vector of length " +
                                std::to_string(factor_.size) + " or a block with that many rows");
  }
  if (!Q_.defined()) return r.clone();
  const at::Tensor block = (r.dim() == 1 ? r.unsqueeze(1) : r);
  const at::Tensor Ar = factor_.apply(block.to(factor_.options));
  at::Tensor out = factor_.applyT(at::mm(Q_, Ar)).to(r.scalar_type()).add_(block);
  return r.dim() == 1 ? out.squeeze(1) : out;
}

}  // namespace nivp
