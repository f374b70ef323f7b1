#include "solvers/dense.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>
#include <utility>

namespace nivp {

namespace {

std::string dtypeName(at::ScalarType dtype) {
  switch (dtype) {
    case at::kDouble:
      return "float64";
    case at::kFloat:
      return "float32";
    case at::kHalf:
      return "float16";
    case at::kBFloat16:
      return "bfloat16";
    default:
      return c10::toString(dtype);
  }
}

// Solves A x = F for a symmetric A that this function may overwrite (the caller's copy).
DenseSolveResult solveSymmetric(at::Tensor A, const at::Tensor& F) {
  DenseSolveResult result;
  {
    at::Tensor L, info;
    std::tie(L, info) = at::linalg_cholesky_ex(A);
    if (info.item<int64_t>() == 0) {
      result.x = at::cholesky_solve(F, L);
      return result;
    }
  }  // the failed factor is released before the eigendecomposition's own p×p buffers
  at::Tensor w, V;
  std::tie(w, V) = at::linalg_eigh(A);
  A = at::Tensor();
  const double eps = w.scalar_type() == at::kFloat ? std::numeric_limits<float>::epsilon()
                                                   : std::numeric_limits<double>::epsilon();
  const at::Tensor cutoff = w.abs().max() * (static_cast<double>(w.size(0)) * eps);
  const at::Tensor inverse = at::where(w > cutoff, w.reciprocal(), at::zeros({}, w.options()));
  result.x = at::mm(V, at::mm(V.t(), F).mul_(inverse.unsqueeze(1)));
  result.pseudoInverse = true;
  return result;
}

void checkMu(double mu, const char* who) {
  if (!std::isfinite(mu) || mu < 0.0) {
    throw std::invalid_argument(std::string(who) + ": mu must be finite and >= 0, got " + std::to_string(mu));
  }
}

}  // namespace

DenseSolveResult denseSolve(const at::Tensor& J, const at::Tensor& f, double mu) {
  checkMu(mu, "denseSolve");
  if (!J.defined() || J.dim() != 2) throw std::invalid_argument("denseSolve: J must be an n×p matrix");
  const int64_t n = J.size(0);
  if (n == 0) throw std::invalid_argument("denseSolve: J has no rows (n = 0)");
  if (!f.defined() || (f.dim() != 1 && f.dim() != 2) || f.size(0) != n) {
    throw std::invalid_argument("denseSolve: f must have shape [n] or [n, k] with n = " + std::to_string(n));
  }
  const at::Tensor f2 = (f.dim() == 1 ? f.unsqueeze(1) : f).to(J.options());
  at::Tensor A = at::mm(J.t(), J).div_(static_cast<double>(n));
  A.diagonal().add_(mu);
  const at::Tensor F = at::mm(J.t(), f2).div_(static_cast<double>(n));
  DenseSolveResult result = solveSymmetric(std::move(A), F);
  if (f.dim() == 1) result.x = result.x.squeeze(1);
  return result;
}

DenseSolveResult denseSolveMatrix(const at::Tensor& M, const at::Tensor& F, double mu) {
  checkMu(mu, "denseSolveMatrix");
  if (!M.defined() || M.dim() != 2 || M.size(0) != M.size(1)) {
    throw std::invalid_argument("denseSolveMatrix: M must be a square p×p matrix");
  }
  const int64_t p = M.size(0);
  if (!F.defined() || (F.dim() != 1 && F.dim() != 2) || F.size(0) != p) {
    throw std::invalid_argument("denseSolveMatrix: F must have shape [p] or [p, k] with p = " +
                                std::to_string(p));
  }
  const at::Tensor F2 = (F.dim() == 1 ? F.unsqueeze(1) : F).to(M.options());
  at::Tensor A = M.clone(at::MemoryFormat::Contiguous);
  A.diagonal().add_(mu);
  DenseSolveResult result = solveSymmetric(std::move(A), F2);
  if (F.dim() == 1) result.x = result.x.squeeze(1);
  return result;
}

int64_t denseSolveBytes(int64_t n, int64_t p, at::ScalarType dtype) {
  if (n < 0 || p < 0) throw std::invalid_argument("denseSolveBytes: n and p must be >= 0");
  const double s = static_cast<double>(c10::elementSize(dtype));
  const double nd = static_cast<double>(n), pd = static_cast<double>(p);
  const double bytes = s * (nd * pd + 4.0 * pd * pd + 4.0 * (nd + pd)) + 1048576.0;
  if (bytes >= 9.2e18) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(bytes);
}

std::string formatBytes(int64_t bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (std::fabs(value) >= 1000.0 && unit < 6) {
    value /= 1000.0;
    ++unit;
  }
  char buffer[64];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
  }
  return buffer;
}

void checkDenseBudget(int64_t n, int64_t p, at::ScalarType dtype, int64_t budgetBytes) {
  const int64_t needed = denseSolveBytes(n, p, dtype);
  if (budgetBytes < 0 || needed <= budgetBytes) return;
  const std::string message = "dense solve needs " + formatBytes(needed) + " (" + std::to_string(needed) +
                              " bytes; n=" + std::to_string(n) + ", p=" + std::to_string(p) + ", " +
                              dtypeName(dtype) + ") but the memory budget is " + formatBytes(budgetBytes) +
                              " (" + std::to_string(budgetBytes) +
                              " bytes); use linear.method 'pcg' or raise memoryBudget";
  throw MemoryBudgetError(message, needed, budgetBytes);
}

}  // namespace nivp
