// Randomized Nyström preconditioner (Frangella, Tropp, Udell 2021, "Randomized Nyström
// preconditioning", arXiv:2110.02820: Algorithm 2.1 for the approximation, eq. (5.3) for the
// preconditioner), as used by Neural IVP (paper §4.2, Algorithm 1 line 21).
//
// Construction, for the PSD operator M (without μ) on R^p and rank ℓ = min(rank, p):
//   Ω = qr(randn(p, ℓ)).Q                 Gaussian test matrix from the given generator
//   Y = M Ω                               ONE block product
//   ν = sqrt(p) · eps(dtype) · ‖Y‖₂       stabilising shift
//   Y_ν = Y + νΩ,  C = chol(Ωᵀ Y_ν)       (lower C, Ωᵀ Y_ν = C Cᵀ)
//   B = Y_ν C⁻ᵀ                           triangular solve
//   [U, Σ, ~] = svd(B, thin),  Λ̂ = max(0, Σ² − ν)
// so that M ≈ Â = U diag(Λ̂) Uᵀ. When the Cholesky factorisation fails (an indefinite sketch,
// float32 rounding on an exactly singular M), ν is multiplied by 10 and the factorisation
// retried, until ν exceeds 100‖Y‖₂ (past ‖Y‖₂ ≥ ‖Ωᵀ M Ω‖₂ the core Ωᵀ Y_ν = Ωᵀ M Ω + νI is positive
// definite whatever M's sign); if it still fails, or Y is not finite, the preconditioner
// degenerates to the identity (degenerate() == true) instead of throwing. All of this happens
// once per construction: a few host syncs (‖Y‖₂, Cholesky info, the kept count), none per apply.
//
// Application, for the system (M + μI) x = b:
//   P⁻¹ r = (λ_ℓ + μ) U (Λ̂ + μI)⁻¹ Uᵀ r + (r − U Uᵀ r),   λ_ℓ = smallest kept eigenvalue.
// With μ = 0 the eigenpairs with λ̂ ≤ ν (numerically zero) are dropped first, so that
// λ_ℓ + μ > 0; with μ > 0 all ℓ pairs are kept, as in the paper. P⁻¹ is SPD when μ > 0 (or
// when μ = 0 and at least one pair is kept).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

#include "solvers/operator.h"
#include "solvers/preconditioner.h"

namespace nivp {

class NystromPreconditioner : public Preconditioner {
 public:
  // M: the PSD operator (not including μ). rank: ℓ, clamped to [0, M.size] (0 gives the identity).
  // mu: the Tikhonov term μ ≥ 0 of the system M + μI. generator: the source of Ω; undefined
  // means ATen's default generator for M's device. A generator on another device than M (e.g. a
  // CPU generator for a CUDA operator) draws there and Ω is copied, so a seed gives the same Ω
  // on every device. Throws std::invalid_argument for a non-float32/float64 dtype, μ < 0 or an
  // operator returning the wrong shape.
  NystromPreconditioner(const SpdOperator& M, int64_t rank, double mu, at::Generator generator = {});

  // P⁻¹ r for r of shape p×k or p.
  at::Tensor apply(const at::Tensor& r) const override;

  // p×ℓ' with orthonormal columns, ℓ' ≤ ℓ the number of kept eigenpairs.
  const at::Tensor& U() const { return U_; }
  // Λ̂, length ℓ', descending, ≥ 0: the eigenvalue estimates of M.
  const at::Tensor& eigenvalues() const { return lambda_; }
  // The dense p×p approximation U diag(Λ̂) Uᵀ (diagnostics and tests only).
  at::Tensor approximation() const;

  int64_t size() const { return size_; }
  int64_t requestedRank() const { return requestedRank_; }
  int64_t rank() const { return U_.defined() ? U_.size(1) : 0; }  // ℓ'
  double mu() const { return mu_; }
  double shift() const { return shift_; }                       // the ν finally used
  int64_t choleskyRetries() const { return choleskyRetries_; }  // times ν was increased
  bool degenerate() const { return degenerate_; }               // fell back to the identity

 private:
  int64_t size_ = 0;
  int64_t requestedRank_ = 0;
  double mu_ = 0.0;
  double shift_ = 0.0;
  int64_t choleskyRetries_ = 0;
  bool degenerate_ = false;
  at::TensorOptions options_;
  at::Tensor U_;       // p×ℓ'
  at::Tensor lambda_;  // ℓ'
  at::Tensor scale_;   // ℓ'×1: (λ_ℓ + μ)/(Λ̂ + μ) − 1
};

}  // namespace nivp
