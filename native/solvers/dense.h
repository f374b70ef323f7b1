// The dense baseline for the Neural IVP linear system: with an explicit Jacobian J (n×p) and
// residual target f (n), solve (JᵀJ/n + μI) x = Jᵀf/n by Cholesky. Memory grows as n·p + p², so
// the caller checks the budget with checkDenseBudget BEFORE building J.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace nivp {

struct DenseSolveResult {
  at::Tensor x;                // p (or p×k, following f / F), J's or M's dtype and device
  bool pseudoInverse = false;  // Cholesky failed (M + μI not numerically PD, e.g. μ = 0 and a
                               // rank-deficient J): x is the eigendecomposition pseudo-inverse
                               // (minimum-norm) solution, eigenvalues ≤ p·eps·λ_max treated as 0
};

// (JᵀJ/n + μI) x = Jᵀf/n. J: n×p; f: n or n×k. Throws std::invalid_argument on bad shapes.
DenseSolveResult denseSolve(const at::Tensor& J, const at::Tensor& f, double mu);

// (M + μI) x = F for a given symmetric M (p×p, e.g. JᵀJ/n) and F (p or p×k). M is not modified.
DenseSolveResult denseSolveMatrix(const at::Tensor& M, const at::Tensor& F, double mu);

// Peak bytes of denseSolve for an n×p Jacobian: J itself (n·p), plus four p×p matrices (M + μI,
// its Cholesky factor, LAPACK's column-major working copy of the factor in the triangular solves;
// the pseudo-inverse fallback instead holds M, its eigenvectors and a ~2p² eigensolver workspace),
// plus O(n + p) vectors (f, Jᵀf, x and copies) and 1 MiB of slack. Saturates at INT64_MAX.
int64_t denseSolveBytes(int64_t n, int64_t p, at::ScalarType dtype);

// "328.0 GB" style, decimal units (B, kB, MB, GB, TB, PB).
std::string formatBytes(int64_t bytes);

class MemoryBudgetError : public std::runtime_error {
 public:
  MemoryBudgetError(const std::string& message, int64_t neededBytes, int64_t budgetBytes)
      : std::runtime_error(message), needed_(neededBytes), budget_(budgetBytes) {}
  int64_t neededBytes() const { return needed_; }
  int64_t budgetBytes() const { return budget_; }

 private:
  int64_t needed_;
  int64_t budget_;
};

// Throws MemoryBudgetError when denseSolveBytes(n, p, dtype) > budgetBytes, with a message like
//   dense solve needs 328.0 GB (328000321024 bytes; n=10000, p=100000, float64) but the memory
//   budget is 4.0 GB (4000000000 bytes); use linear.method 'pcg' or raise memoryBudget
// A negative budget means unlimited. Throws std::invalid_argument for negative n or p.
void checkDenseBudget(int64_t n, int64_t p, at::ScalarType dtype, int64_t budgetBytes);

}  // namespace nivp
