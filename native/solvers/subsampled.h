// A preconditioner for (M + μI) from a row sample of M's factor: M = JᵀJ/n is estimated by
// M̂ = AᵀA/m on m of the n rows (A = the sampled rows of J, m a small multiple of the rank), and
// M̂'s leading eigenpairs stand in for the randomized Nyström approximation of M
// (solvers/nystrom.h) in the same formula:
//   P⁻¹ r = (λ_ℓ + μ) U (Λ + μI)⁻¹ Uᵀ r + (r − U Uᵀ r).
// M̂'s eigenpairs come from the m×m Gram matrix G = AAᵀ: G = V diag(mλ) Vᵀ gives M̂'s
// eigenvectors U = Aᵀ V diag(mλ)^(−1/2) and eigenvalues λ. U is never formed:
//   P⁻¹ r = r + Aᵀ Q A r,   Q = V diag(((λ_ℓ + μ)/(λ + μ) − 1) / (mλ)) Vᵀ  (m×m),
// so the construction costs one m×m symmetric eigendecomposition (no product with M, no p×ℓ QR
// or SVD) and an application two products with the m rows of A.
//
// Rounding: U's columns are orthonormal only to about eps·λ₁/λ_i, so pairs with λ_i below
// 10·sqrt(eps)·λ₁ (of G's dtype) are dropped, which keeps P⁻¹ positive definite with a wide
// margin; with μ = 0 at least one pair must be kept (otherwise P is the identity).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

#include "solvers/preconditioner.h"

namespace nivp {

// A wide factor A (rows×size) given by its products and its Gram matrix.
struct RowFactor {
  int64_t rows = 0, size = 0;
  at::TensorOptions options;                            // of the products' inputs and outputs
  std::function<at::Tensor(const at::Tensor&)> apply;   // size×r → rows×r: A V
  std::function<at::Tensor(const at::Tensor&)> applyT;  // rows×r → size×r: Aᵀ U
  at::Tensor gram;                                      // rows×rows: A Aᵀ
};

class SubsampledPreconditioner : public Preconditioner {
 public:
  // rank: ℓ, at most min(rank, rows) pairs are kept (fewer when G is numerically rank deficient).
  // mu ≥ 0: the Tikhonov term of the system M + μI. Throws std::invalid_argument for a malformed
  // factor or μ < 0.
  SubsampledPreconditioner(RowFactor factor, int64_t rank, double mu);

  // P⁻¹ r for r of shape size×k or size, in r's dtype.
  at::Tensor apply(const at::Tensor& r) const override;

  int64_t size() const { return factor_.size; }
  int64_t rows() const { return factor_.rows; }
  int64_t requestedRank() const { return requestedRank_; }
  int64_t rank() const { return lambda_.defined() ? lambda_.size(0) : 0; }  // ℓ, pairs kept
  // M̂'s kept eigenvalues λ, descending.
  const at::Tensor& eigenvalues() const { return lambda_; }
  double mu() const { return mu_; }

 private:
  RowFactor factor_;
  int64_t requestedRank_ = 0;
  double mu_ = 0.0;
  at::Tensor lambda_;  // ℓ
  at::Tensor Q_;       // rows×rows, undefined when ℓ = 0 (P is the identity)
};

}  // namespace nivp
