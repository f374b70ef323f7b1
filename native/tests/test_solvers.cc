// Tests of the linear solvers (native/solvers): PCG, the randomized Nyström preconditioner and
// the dense baseline, each against an independent truth (ATen's dense solvers, a known spectrum,
// closed-form iteration counts).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "solvers/dense.h"
#include "solvers/nystrom.h"
#include "solvers/operator.h"
#include "solvers/pcg.h"
#include "solvers/subsampled.h"
#include "test_support.h"

namespace nivp {
namespace {

using testing::Clock;
using testing::relativeError;
using testing::seconds;
using testing::seeded;

SpdOperator matrixOperator(const at::Tensor& M) {
  SpdOperator op;
  op.size = M.size(0);
  op.options = M.options();
  op.apply = [M](const at::Tensor& V) { return at::mm(M, V); };
  return op;
}

// Q diag(lambda) Qᵀ with a Haar-like random orthogonal Q.
at::Tensor knownSpectrum(const at::Tensor& lambda, uint64_t seed) {
  const int64_t p = lambda.size(0);
  at::Tensor Q = std::get<0>(at::linalg_qr(at::randn({p, p}, seeded(seed), lambda.options())));
  return at::mm(Q * lambda.unsqueeze(0), Q.t());
}

// The ill-conditioned Neural IVP-like system shared by several tests: J (n×p) with a decaying
// singular spectrum, M = JᵀJ/n, F = Jᵀf/n, μ small.
class SolverSystem : public ::testing::Test {
 protected:
  static constexpr int64_t n = 3000;
  static constexpr int64_t p = 2000;
  static constexpr double mu = 1e-5;
  static constexpr int64_t rank = 200;

  static void SetUpTestSuite() {
    const auto start = Clock::now();
    const auto opts = at::TensorOptions().dtype(at::kDouble);
    // J = G diag(s): Gaussian G, s_j = 1/j, so M's eigenvalues decay roughly like j⁻². (No random
    // rotation: CG is rotation invariant and the Gaussian sketch is so in distribution.)
    const at::Tensor s = at::arange(1, p + 1, opts).reciprocal();
    J_ = new at::Tensor(at::randn({n, p}, seeded(12), opts).mul_(s.unsqueeze(0)));
    f_ = new at::Tensor(at::randn({n}, seeded(13), opts));
    M_ = new at::Tensor(at::mm(J_->t(), *J_).div_(static_cast<double>(n)));
    F_ = new at::Tensor(at::mv(J_->t(), *f_).div_(static_cast<double>(n)));
    reference_ = new at::Tensor(at::linalg_solve(*M_ + mu * at::eye(p, opts), *F_));
    const auto denseStart = Clock::now();
    dense_ = new DenseSolveResult(denseSolveMatrix(*M_, *F_, mu));
    std::printf("[system] n=%lld p=%lld mu=%g: built in %.2f s (denseSolveMatrix %.2f s)\n",
                static_cast<long long>(n), static_cast<long long>(p), mu, seconds(start),
                seconds(denseStart));
  }
  static void TearDownTestSuite() {
    delete J_;
    delete f_;
    delete M_;
    delete F_;
    delete reference_;
    delete dense_;
  }

  static at::Tensor* J_;
  static at::Tensor* f_;
  static at::Tensor* M_;
  static at::Tensor* F_;
  static at::Tensor* reference_;    // at::linalg_solve(M + μI, F)
  static DenseSolveResult* dense_;  // denseSolveMatrix(M, F, μ): the dense Cholesky baseline
};
at::Tensor* SolverSystem::J_ = nullptr;
at::Tensor* SolverSystem::f_ = nullptr;
at::Tensor* SolverSystem::M_ = nullptr;
at::Tensor* SolverSystem::F_ = nullptr;
at::Tensor* SolverSystem::reference_ = nullptr;
DenseSolveResult* SolverSystem::dense_ = nullptr;

TEST_F(SolverSystem, DenseCholeskyMatchesLinalgSolve) {
  const DenseSolveResult& dense = *dense_;
  EXPECT_FALSE(dense.pseudoInverse);
  ASSERT_EQ(dense.x.dim(), 1);
  EXPECT_LT(relativeError(dense.x, *reference_), 1e-8);
  const DenseSolveResult column = denseSolveMatrix(*M_, F_->unsqueeze(1), mu);
  ASSERT_EQ(column.x.dim(), 2);
  EXPECT_LT(relativeError(column.x, *reference_), 1e-8);
}

TEST_F(SolverSystem, NystromPcgMatchesDenseSolution) {
  const auto start = Clock::now();
  const SpdOperator M = matrixOperator(*M_);
  const NystromPreconditioner P(M, rank, mu, seeded(21));
  EXPECT_EQ(P.rank(), rank);
  EXPECT_FALSE(P.degenerate());
  PcgOptions options;
  options.tol = 1e-12;
  options.shift = mu;  // solve (M + μI) x = F with M's operator
  const PcgResult result = pcg(M, *F_, at::Tensor(), &P, options);
  std::printf("[pcg] Nystrom rank %lld, tol 1e-12: %lld iterations, relres %.3g, %.2f s\n",
              static_cast<long long>(rank), static_cast<long long>(result.iterations),
              result.relativeResidual, seconds(start));
  ASSERT_TRUE(result.converged) << toString(result.status);
  EXPECT_LE(result.relativeResidual, 1e-12);
  EXPECT_LT(relativeError(result.x, dense_->x), 1e-8);
  EXPECT_LT(relativeError(result.x, *reference_), 1e-8);
  // The reported residual is the true one (up to rounding at this 1e-13 level).
  const at::Tensor trueResidual = *F_ - (at::mv(*M_, result.x) + mu * result.x);
  EXPECT_NEAR(trueResidual.norm().item<double>() / F_->norm().item<double>(), result.relativeResidual,
              0.25 * result.relativeResidual);

  // The same solve with μ folded into the operator (shift 0) gives the same answer.
  const at::Tensor A = *M_ + mu * at::eye(p, M_->options());
  PcgOptions folded;
  folded.tol = 1e-12;
  const PcgResult again = pcg(matrixOperator(A), F_->unsqueeze(1), at::Tensor(), &P, folded);
  ASSERT_TRUE(again.converged);
  ASSERT_EQ(again.x.dim(), 2);
  EXPECT_LT(relativeError(again.x, *reference_), 1e-8);
}

TEST_F(SolverSystem, PreconditionerCutsIterations) {
  const SpdOperator M = matrixOperator(*M_);
  PcgOptions options;
  options.tol = 1e-8;
  options.maxIters = 4000;
  options.shift = mu;
  const PcgResult plain = pcg(M, *F_, at::Tensor(), nullptr, options);
  const NystromPreconditioner P(M, rank, mu, seeded(22));
  const PcgResult preconditioned = pcg(M, *F_, at::Tensor(), &P, options);
  std::printf("[iterations] tol 1e-8: plain CG %lld (%s), Nystrom(rank %lld) PCG %lld (%s)\n",
              static_cast<long long>(plain.iterations), toString(plain.status), static_cast<long long>(rank),
              static_cast<long long>(preconditioned.iterations), toString(preconditioned.status));
  ASSERT_TRUE(plain.converged);
  ASSERT_TRUE(preconditioned.converged);
  EXPECT_GE(plain.iterations, 3 * preconditioned.iterations);
  EXPECT_LE(preconditioned.iterations, 60);
  EXPECT_LT(relativeError(plain.x, *reference_), 1e-3);
  EXPECT_LT(relativeError(preconditioned.x, *reference_), 1e-3);
}

TEST_F(SolverSystem, IterationCapReportsNotConverged) {
  const SpdOperator M = matrixOperator(*M_);
  PcgOptions options;
  options.tol = 1e-10;
  options.maxIters = 5;
  options.shift = mu;
  const PcgResult result = pcg(M, *F_, at::Tensor(), nullptr, options);
  EXPECT_FALSE(result.converged);
  EXPECT_EQ(result.status, PcgStatus::MaxIterations);
  EXPECT_EQ(result.iterations, 5);
  EXPECT_GT(result.relativeResidual, options.tol);
  EXPECT_TRUE(std::isfinite(result.relativeResidual));
  // The reported residual is the true residual of the returned x.
  const at::Tensor r = *F_ - (at::mv(*M_, result.x) + mu * result.x);
  EXPECT_NEAR(r.norm().item<double>() / F_->norm().item<double>(), result.relativeResidual, 1e-12);
}

TEST_F(SolverSystem, WarmStartFromSolutionTakesNoIterations) {
  const SpdOperator M = matrixOperator(*M_);
  PcgOptions options;
  options.tol = 1e-8;
  options.shift = mu;
  const PcgResult result = pcg(M, *F_, dense_->x, nullptr, options);
  EXPECT_TRUE(result.converged);
  EXPECT_LE(result.iterations, 1);
  EXPECT_LT(relativeError(result.x, dense_->x), 1e-12);
}

TEST_F(SolverSystem, ProgressCallbackCancels) {
  const SpdOperator M = matrixOperator(*M_);
  PcgOptions options;
  options.tol = 1e-12;
  options.shift = mu;
  std::vector<double> seen;
  options.progress = [&](int64_t iteration, double relres) {
    EXPECT_EQ(iteration, static_cast<int64_t>(seen.size()) + 1);
    seen.push_back(relres);
    return iteration < 3;
  };
  const PcgResult result = pcg(M, *F_, at::Tensor(), nullptr, options);
  EXPECT_FALSE(result.converged);
  EXPECT_EQ(result.status, PcgStatus::Cancelled);
  EXPECT_EQ(result.iterations, 3);
  EXPECT_EQ(seen.size(), 3u);
}

// Frangella, Tropp & Udell (2021), "Randomized Nyström preconditioning", arXiv:2110.02820, expected
// error of the randomized Nyström approximation with a Gaussian test matrix of ℓ columns (their
// Lemma on E‖A − Â_nys‖, from Halko–Martinsson–Tropp 2011 §10 applied to A^{1/2}): for 2 ≤ k < ℓ − 1
//   E‖A − Â‖₂ ≤ (1 + 2k/(ℓ−k−1)) λ_{k+1} + (2e²ℓ/(ℓ²−k²)) Σ_{j>k} λ_j.
// We take the minimum over k. A single draw (fixed seed) exceeds t·E with probability ≤ 1/t (Markov),
// so the test allows a safety factor of 4.
double ftuExpectedErrorBound(const std::vector<double>& lambda, int64_t l) {
  double best = std::numeric_limits<double>::infinity();
  const double e2 = std::exp(2.0);
  for (int64_t k = 2; k < l - 1; ++k) {
    double tail = 0.0;
    for (size_t j = static_cast<size_t>(k); j < lambda.size(); ++j) tail += lambda[j];
    const double bound = (1.0 + 2.0 * k / static_cast<double>(l - k - 1)) * lambda[k] +
                         2.0 * e2 * l / static_cast<double>(l * l - k * k) * tail;
    best = std::min(best, bound);
  }
  return best;
}

void checkNystromOnKnownSpectrum(const char* name, const at::Tensor& lambda, int64_t l, uint64_t seed) {
  const int64_t p = lambda.size(0);
  const at::Tensor A = knownSpectrum(lambda, seed);
  const NystromPreconditioner P(matrixOperator(A), l, 0.0, seeded(seed + 1));
  ASSERT_EQ(P.U().size(0), p);
  const at::Tensor Ahat = P.approximation();
  const at::Tensor errorEigenvalues = at::linalg_eigvalsh(A - Ahat);
  const double error = errorEigenvalues.abs().max().item<double>();
  const std::vector<double> lam(lambda.data_ptr<double>(), lambda.data_ptr<double>() + p);
  const double bound = ftuExpectedErrorBound(lam, l);
  std::printf(
      "[nystrom %s] p=%lld l=%lld kept=%lld: ||A - Ahat|| = %.3g, lambda_{l+1} = %.3g, FTU bound %.3g\n",
      name, static_cast<long long>(p), static_cast<long long>(l), static_cast<long long>(P.rank()), error,
      lam[l], bound);
  // Eckart–Young: no rank-ℓ matrix does better than λ_{ℓ+1}.
  EXPECT_GE(error, lam[l] * (1 - 1e-9));
  EXPECT_LE(error, 4.0 * bound);
  // Nyström approximations under-estimate: A − Â ⪰ −ν(I − UUᵀ) with the stabilising shift ν.
  EXPECT_GE(errorEigenvalues.min().item<double>(), -2.0 * P.shift() - 1e-14);
  // Eigenvalue estimates: 0 ≤ λ̂_i ≤ λ_i + ν (Weyl, from Â ⪯ A + νI); the top one is accurate.
  const at::Tensor est = P.eigenvalues();
  ASSERT_EQ(est.dim(), 1);
  EXPECT_GE(est.min().item<double>(), 0.0);
  EXPECT_LE((est - lambda.narrow(0, 0, est.size(0)) - P.shift()).max().item<double>(), 1e-14);
  // Weyl again: λ̂_1 ≥ λ_1 − ‖A − Â‖.
  EXPECT_GE(est[0].item<double>(), lam[0] - error * (1 + 1e-9));
  // Orthonormal U.
  EXPECT_LT((at::mm(P.U().t(), P.U()) - at::eye(P.rank(), A.options())).abs().max().item<double>(), 1e-10);
}

TEST(Nystrom, ApproximationErrorWithinFtuBound) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t p = 400;
  checkNystromOnKnownSpectrum("i^-2", at::arange(1, p + 1, opts).pow(-2.0), 40, 31);
  checkNystromOnKnownSpectrum("0.8^i", at::pow(0.8, at::arange(0, p, opts)), 40, 41);
}

TEST(Nystrom, ApplyMatchesPreconditionerFormula) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t p = 150, l = 20;
  const double mu = 1e-3;
  const at::Tensor A = knownSpectrum(at::pow(0.7, at::arange(0, p, opts)), 51);
  const NystromPreconditioner P(matrixOperator(A), l, mu, seeded(52));
  ASSERT_EQ(P.rank(), l);
  const at::Tensor U = P.U(), lam = P.eigenvalues();
  const double lamL = lam[l - 1].item<double>();
  const at::Tensor r = at::randn({p, 3}, seeded(53), opts);
  const at::Tensor expected =
      (lamL + mu) * at::mm(U, at::diag((lam + mu).reciprocal())).mm(U.t()).mm(r) + (r - U.mm(U.t()).mm(r));
  EXPECT_LT((P.apply(r) - expected).abs().max().item<double>(), 1e-12);
  // 1-D input gives 1-D output.
  const at::Tensor r1 = r.select(1, 0).contiguous();
  const at::Tensor z1 = P.apply(r1);
  ASSERT_EQ(z1.dim(), 1);
  EXPECT_LT((z1 - expected.select(1, 0)).abs().max().item<double>(), 1e-12);
}

TEST(Nystrom, FullRankIsClampedAndExact) {
  // ℓ ≥ p is clamped to p; then Â = M, so P⁻¹(M + μI) = (λ_p + μ) I and PCG needs ~1 iteration.
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t p = 60;
  const double mu = 1e-4;
  const at::Tensor A = knownSpectrum(at::pow(0.8, at::arange(0, p, opts)), 61);
  const SpdOperator M = matrixOperator(A);
  const NystromPreconditioner P(M, 500, mu, seeded(62));
  EXPECT_EQ(P.rank(), p);
  EXPECT_EQ(P.requestedRank(), 500);
  PcgOptions options;
  options.tol = 1e-10;
  options.shift = mu;
  const at::Tensor b = at::randn({p}, seeded(63), opts);
  const PcgResult result = pcg(M, b, at::Tensor(), &P, options);
  EXPECT_TRUE(result.converged);
  EXPECT_LE(result.iterations, 3);
}

TEST(Nystrom, FailedCholeskyRetriesWithLargerShift) {
  // An indefinite "M": the sketch core Ωᵀ M Ω is indefinite, so the first Cholesky must fail.
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t p = 200, l = 20;
  const double mu = 0.1;
  at::Tensor lambda = at::full({p}, 1e-3, opts);
  lambda[0] = 1.0;
  lambda[1] = 1.0;
  lambda[2] = -1.0;
  const at::Tensor indefinite = knownSpectrum(lambda, 71);
  const NystromPreconditioner P(matrixOperator(indefinite), l, mu, seeded(72));
  std::printf("[nystrom indefinite] retries %lld, final shift %.3g, degenerate %d\n",
              static_cast<long long>(P.choleskyRetries()), P.shift(), P.degenerate() ? 1 : 0);
  EXPECT_GE(P.choleskyRetries(), 1);
  EXPECT_FALSE(P.degenerate());
  EXPECT_EQ(P.rank(), l);
  EXPECT_TRUE(at::isfinite(P.U()).all().item<bool>());
  EXPECT_TRUE(at::isfinite(P.eigenvalues()).all().item<bool>());
  EXPECT_GE(P.eigenvalues().min().item<double>(), 0.0);
  // It is still SPD (μ > 0), so PCG converges on a well-posed system with it.
  const at::Tensor spd = knownSpectrum(lambda.abs(), 71);
  PcgOptions options;
  options.tol = 1e-10;
  options.maxIters = 500;
  options.shift = mu;
  const at::Tensor b = at::randn({p, 1}, seeded(73), opts);
  const PcgResult result = pcg(matrixOperator(spd), b, at::Tensor(), &P, options);
  EXPECT_TRUE(result.converged) << toString(result.status);
  const at::Tensor truth = at::linalg_solve(spd + mu * at::eye(p, opts), b);
  EXPECT_LT(relativeError(result.x, truth), 1e-8);
}

TEST(Nystrom, ExactlySingularFloat32SketchStaysUsable) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const int64_t p = 300, l = 30;
  // μ large enough that tol 1e-4 is attainable in float32 (‖M‖·‖x‖·eps ≪ 1e-4 ‖b‖); a μ of 1e-3
  // would put ‖x‖ ~ 1000‖b‖ along M's null space and rounding in M·x above the tolerance.
  const double mu = 1.0;
  const at::Tensor Z = at::randn({p, 3}, seeded(81), opts);
  const at::Tensor M = at::mm(Z, Z.t());  // rank 3 ≪ ℓ: Ωᵀ M Ω is exactly singular
  const NystromPreconditioner P(matrixOperator(M), l, mu, seeded(82));
  std::printf(
      "[nystrom float32 rank-3] retries %lld, shift %.3g, kept %lld, top eigenvalues %.4g %.4g %.4g\n",
      static_cast<long long>(P.choleskyRetries()), P.shift(), static_cast<long long>(P.rank()),
      P.eigenvalues()[0].item<double>(), P.eigenvalues()[1].item<double>(),
      P.eigenvalues()[2].item<double>());
  EXPECT_FALSE(P.degenerate());
  EXPECT_TRUE(at::isfinite(P.U()).all().item<bool>());
  EXPECT_TRUE(at::isfinite(P.eigenvalues()).all().item<bool>());
  const at::Tensor b = at::randn({p}, seeded(83), opts);
  EXPECT_TRUE(at::isfinite(P.apply(b)).all().item<bool>());
  PcgOptions options;
  options.tol = 1e-4;
  options.shift = mu;
  const PcgResult result = pcg(matrixOperator(M), b, at::Tensor(), &P, options);
  EXPECT_TRUE(result.converged) << toString(result.status) << " relres " << result.relativeResidual;
  EXPECT_LE(result.iterations, 10);
  const at::Tensor truth =
      at::linalg_solve(M.to(at::kDouble) + mu * at::eye(p, at::kDouble), b.to(at::kDouble));
  EXPECT_LT(relativeError(result.x, truth), 1e-3);

  // μ = 0 keeps only the numerically non-zero eigenpairs (3 here).
  const NystromPreconditioner P0(matrixOperator(M), l, 0.0, seeded(82));
  EXPECT_EQ(P0.rank(), 3);
  EXPECT_TRUE(at::isfinite(P0.apply(b)).all().item<bool>());
}

TEST(Nystrom, NonFiniteSketchDegeneratesToIdentity) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  SpdOperator broken;
  broken.size = 50;
  broken.options = opts;
  broken.apply = [](const at::Tensor& V) {
    return at::full_like(V, std::numeric_limits<double>::quiet_NaN());
  };
  const NystromPreconditioner P(broken, 10, 1e-3, seeded(91));
  EXPECT_TRUE(P.degenerate());
  EXPECT_EQ(P.rank(), 0);
  const at::Tensor r = at::randn({50, 2}, seeded(92), opts);
  EXPECT_TRUE(at::equal(P.apply(r), r));
}

// The factor of M̂ = AᵀA/m for an explicit A (m×p).
RowFactor matrixFactor(const at::Tensor& A) {
  RowFactor f;
  f.rows = A.size(0);
  f.size = A.size(1);
  f.options = A.options();
  f.apply = [A](const at::Tensor& V) { return at::mm(A, V); };
  f.applyT = [A](const at::Tensor& U) { return at::mm(A.t(), U); };
  f.gram = at::mm(A, A.t());
  return f;
}

// The preconditioner formula with M̂'s top-ℓ eigenpairs from a dense eigendecomposition of AᵀA/m.
TEST(Subsampled, ApplyMatchesEigenpairsOfTheSampledRows) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t m = 60, p = 150, l = 20;
  const double mu = 1e-3;
  const at::Tensor A =
      at::randn({m, p}, seeded(71), opts).mul_(at::pow(0.9, at::arange(0, p, opts)).unsqueeze(0));
  const SubsampledPreconditioner P(matrixFactor(A), l, mu);
  ASSERT_EQ(P.rank(), l);
  EXPECT_EQ(P.rows(), m);
  at::Tensor w, V;
  std::tie(w, V) = at::linalg_eigh(at::mm(A.t(), A) / static_cast<double>(m));
  const at::Tensor lam = w.flip(0).narrow(0, 0, l), U = V.flip(1).narrow(1, 0, l);
  EXPECT_LT(relativeError(P.eigenvalues(), lam), 1e-12);
  const double lamL = lam[l - 1].item<double>();
  const at::Tensor r = at::randn({p, 3}, seeded(72), opts);
  const at::Tensor expected =
      (lamL + mu) * at::mm(U, at::diag((lam + mu).reciprocal())).mm(U.t()).mm(r) + (r - U.mm(U.t()).mm(r));
  EXPECT_LT(relativeError(P.apply(r), expected), 1e-11);
  const at::Tensor z1 = P.apply(r.select(1, 0).contiguous());
  ASSERT_EQ(z1.dim(), 1);
  EXPECT_LT(relativeError(z1, expected.select(1, 0)), 1e-11);
  // float32 input: the result comes back in float32.
  EXPECT_EQ(P.apply(r.to(at::kFloat)).scalar_type(), at::kFloat);
}

// More rank than rows, a numerically rank-deficient sample, μ = 0: P⁻¹ stays SPD with eigenvalues
// in (0, 1], and only the numerically nonzero pairs are kept.
TEST(Subsampled, RankDeficientSampleStaysPositiveDefinite) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t m = 40, p = 80;
  // Rank 25: 40 rows in a 25-dimensional row space.
  const at::Tensor A = at::mm(at::randn({m, 25}, seeded(81), opts), at::randn({25, p}, seeded(82), opts));
  for (double mu : {0.0, 1e-6}) {
    const SubsampledPreconditioner P(matrixFactor(A), 500, mu);
    EXPECT_EQ(P.requestedRank(), 500);
    EXPECT_EQ(P.rank(), 25) << "mu " << mu;
    const at::Tensor Pinv = P.apply(at::eye(p, opts));
    EXPECT_LT((Pinv - Pinv.t()).abs().max().item<double>(), 1e-12);
    const at::Tensor e = at::linalg_eigvalsh(Pinv);
    EXPECT_GT(e.min().item<double>(), 0.0);
    EXPECT_LE(e.max().item<double>(), 1.0 + 1e-12);
  }
  // Rank 0 and an all-zero sample give the identity.
  const at::Tensor r = at::randn({p}, seeded(83), opts);
  EXPECT_TRUE(at::equal(SubsampledPreconditioner(matrixFactor(A), 0, 0.0).apply(r), r));
  EXPECT_TRUE(
      at::equal(SubsampledPreconditioner(matrixFactor(at::zeros({m, p}, opts)), 10, 0.0).apply(r), r));
}

// On the shared system, M estimated on 400 of its 3000 rows: PCG converges to the dense solution
// in far fewer iterations than plain CG.
TEST_F(SolverSystem, PcgWithSampledRowsConverges) {
  const SpdOperator M = matrixOperator(*M_);
  const SubsampledPreconditioner P(matrixFactor(J_->narrow(0, 0, 400)), rank, mu);
  PcgOptions options;
  options.tol = 1e-10;
  options.shift = mu;
  const PcgResult pre = pcg(M, *F_, at::Tensor(), &P, options);
  const PcgResult plain = pcg(M, *F_, at::Tensor(), nullptr, options);
  std::printf("[system] sampled rows (400 of %lld, rank %lld): %lld iterations; plain CG %lld\n",
              static_cast<long long>(n), static_cast<long long>(P.rank()),
              static_cast<long long>(pre.iterations), static_cast<long long>(plain.iterations));
  EXPECT_TRUE(pre.converged);
  EXPECT_LT(relativeError(pre.x, *reference_), 1e-6);
  EXPECT_GE(plain.iterations, 3 * pre.iterations);
}

TEST(Subsampled, RejectsMalformedFactors) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor A = at::randn({5, 8}, seeded(91), opts);
  RowFactor wrongGram = matrixFactor(A);
  wrongGram.gram = at::eye(4, opts);
  EXPECT_THROW(SubsampledPreconditioner(wrongGram, 3, 0.0), std::invalid_argument);
  EXPECT_THROW(SubsampledPreconditioner(matrixFactor(A), 3, -1.0), std::invalid_argument);
  RowFactor noProduct = matrixFactor(A);
  noProduct.applyT = nullptr;
  EXPECT_THROW(SubsampledPreconditioner(noProduct, 3, 0.0), std::invalid_argument);
  const SubsampledPreconditioner P(matrixFactor(A), 3, 0.1);
  EXPECT_THROW(P.apply(at::zeros({7}, opts)), std::invalid_argument);
}

TEST(Pcg, ZeroRightHandSide) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor A = knownSpectrum(at::linspace(1.0, 2.0, 20, opts), 101);
  const PcgResult result =
      pcg(matrixOperator(A), at::zeros({20, 1}, opts), at::randn({20}, seeded(102), opts), nullptr);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(result.iterations, 0);
  EXPECT_EQ(result.relativeResidual, 0.0);
  ASSERT_EQ(result.x.dim(), 2);
  EXPECT_EQ(result.x.abs().max().item<double>(), 0.0);
}

TEST(Pcg, PlainCgExactInDistinctEigenvalueCount) {
  // CG terminates (in exact arithmetic) after as many steps as A has distinct eigenvalues.
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  at::Tensor lambda = at::ones({100}, opts);
  lambda.narrow(0, 0, 50).fill_(3.0);
  lambda.narrow(0, 50, 25).fill_(7.0);
  const at::Tensor A = knownSpectrum(lambda, 111);
  PcgOptions options;
  options.tol = 1e-10;
  const at::Tensor b = at::randn({100}, seeded(112), opts);
  const PcgResult result = pcg(matrixOperator(A), b, at::Tensor(), nullptr, options);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(result.iterations, 3);
  EXPECT_LT(relativeError(result.x, at::linalg_solve(A, b)), 1e-10);
}

TEST(Pcg, RejectsMalformedArguments) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const SpdOperator A = matrixOperator(at::eye(10, opts));
  EXPECT_THROW(pcg(A, at::ones({9}, opts), at::Tensor(), nullptr), std::invalid_argument);
  EXPECT_THROW(pcg(A, at::ones({10, 2}, opts), at::Tensor(), nullptr), std::invalid_argument);
  EXPECT_THROW(pcg(A, at::ones({10}, opts), at::ones({11}, opts), nullptr), std::invalid_argument);
  SpdOperator wrong = A;
  wrong.apply = [](const at::Tensor& V) { return V.narrow(0, 0, 5); };
  EXPECT_THROW(pcg(wrong, at::ones({10}, opts), at::Tensor(), nullptr), std::invalid_argument);
}

TEST(Dense, JacobianFormMatchesLinalgSolve) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const int64_t n = 600, p = 400;
  const double mu = 1e-6;
  const at::Tensor J =
      at::randn({n, p}, seeded(151), opts) * at::arange(1, p + 1, opts).reciprocal().unsqueeze(0);
  const at::Tensor f = at::randn({n, 1}, seeded(152), opts);
  const at::Tensor truth =
      at::linalg_solve(at::mm(J.t(), J) / n + mu * at::eye(p, opts), at::mm(J.t(), f) / n);
  const DenseSolveResult result = denseSolve(J, f, mu);
  EXPECT_FALSE(result.pseudoInverse);
  ASSERT_EQ(result.x.dim(), 2);
  EXPECT_LT(relativeError(result.x, truth), 1e-8);
  const DenseSolveResult flat = denseSolve(J, f.squeeze(1), mu);
  ASSERT_EQ(flat.x.dim(), 1);
  EXPECT_LT(relativeError(flat.x, truth), 1e-8);
}

TEST(Dense, BudgetCheck) {
  const int64_t n = 10000, p = 100000;
  const int64_t budget = 4000000000;  // 4 GB
  const int64_t needed = denseSolveBytes(n, p, at::kDouble);
  // At least J and two p×p matrices (the system and its factor).
  EXPECT_GE(needed, 8 * (n * p + 2 * p * p));
  try {
    checkDenseBudget(n, p, at::kDouble, budget);
    FAIL() << "expected MemoryBudgetError";
  } catch (const MemoryBudgetError& error) {
    const std::string message = error.what();
    std::printf("[budget] %s\n", message.c_str());
    EXPECT_NE(message.find(std::to_string(needed)), std::string::npos);
    EXPECT_NE(message.find(formatBytes(needed)), std::string::npos);
    EXPECT_NE(message.find("4.0 GB"), std::string::npos);
    EXPECT_NE(message.find("n=10000, p=100000, float64"), std::string::npos);
    EXPECT_NE(message.find("'pcg'"), std::string::npos);
    EXPECT_EQ(error.neededBytes(), needed);
    EXPECT_EQ(error.budgetBytes(), budget);
  }
  EXPECT_THROW(checkDenseBudget(n, p, at::kDouble, budget), std::runtime_error);
  EXPECT_NO_THROW(checkDenseBudget(1000, 500, at::kDouble, budget));
  EXPECT_NO_THROW(checkDenseBudget(n, p, at::kDouble, -1));  // unlimited
  // float32 halves the element bytes.
  EXPECT_LT(denseSolveBytes(n, p, at::kFloat), needed);
  EXPECT_EQ(denseSolveBytes(std::numeric_limits<int64_t>::max() / 2, 4, at::kDouble),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(formatBytes(999), "999 B");
  EXPECT_EQ(formatBytes(1500000), "1.5 MB");
}

TEST(Dense, RankDeficientWithoutTikhonovUsesPseudoInverse) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor J =
      at::randn({40, 5}, seeded(121), opts).mm(at::randn({5, 30}, seeded(122), opts));  // rank 5
  const at::Tensor f = at::randn({40}, seeded(123), opts);
  const DenseSolveResult result = denseSolve(J, f, 0.0);
  EXPECT_TRUE(result.pseudoInverse);
  const at::Tensor truth = at::mv(at::linalg_pinv(J), f);  // the minimum-norm least-squares solution
  EXPECT_LT(relativeError(result.x, truth), 1e-6);
}

TEST(Float32, NystromPcgAndDense) {
  const auto opts64 = at::TensorOptions().dtype(at::kDouble);
  const int64_t n = 500, p = 300, l = 30;
  const double mu = 1e-3;
  const at::Tensor s = at::arange(1, p + 1, opts64).pow(-0.75);
  const at::Tensor J64 = at::randn({n, p}, seeded(131), opts64) * s.unsqueeze(0);
  const at::Tensor f64 = at::randn({n}, seeded(132), opts64);
  const at::Tensor truth =
      at::linalg_solve(at::mm(J64.t(), J64) / n + mu * at::eye(p, opts64), at::mv(J64.t(), f64) / n);

  const at::Tensor J = J64.to(at::kFloat), f = f64.to(at::kFloat);
  const DenseSolveResult dense = denseSolve(J, f, mu);
  EXPECT_EQ(dense.x.scalar_type(), at::kFloat);
  EXPECT_LT(relativeError(dense.x, truth), 1e-3);

  const at::Tensor M = at::mm(J.t(), J) / static_cast<double>(n);
  const SpdOperator op = matrixOperator(M);
  const NystromPreconditioner P(op, l, mu, seeded(133));
  EXPECT_EQ(P.U().scalar_type(), at::kFloat);
  PcgOptions options;
  options.tol = 1e-5;
  options.shift = mu;
  const at::Tensor F = at::mv(J.t(), f) / static_cast<double>(n);
  const PcgResult result = pcg(op, F, at::Tensor(), &P, options);
  const PcgResult plain = pcg(op, F, at::Tensor(), nullptr, options);
  std::printf("[float32] p=%lld: Nystrom PCG %lld iterations (relres %.2g), plain CG %lld (%s)\n",
              static_cast<long long>(p), static_cast<long long>(result.iterations), result.relativeResidual,
              static_cast<long long>(plain.iterations), toString(plain.status));
  ASSERT_TRUE(result.converged) << toString(result.status) << " relres " << result.relativeResidual;
  EXPECT_EQ(result.x.scalar_type(), at::kFloat);
  EXPECT_LT(relativeError(result.x, truth), 1e-3);
  EXPECT_LT(result.iterations, plain.iterations);
}

TEST(Cuda, MatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const auto cpu = at::TensorOptions().dtype(dtype);
    const int64_t p = 256, l = 32;
    const double mu = 1e-3;
    const at::Tensor A = knownSpectrum(at::arange(1, p + 1, at::kDouble).pow(-2.0), 141).to(dtype);
    const at::Tensor b = at::randn({p}, seeded(142), cpu);
    PcgOptions options;
    options.tol = dtype == at::kDouble ? 1e-10 : 1e-4;
    options.shift = mu;
    const NystromPreconditioner Pc(matrixOperator(A), l, mu, seeded(143));
    const PcgResult onCpu = pcg(matrixOperator(A), b, at::Tensor(), &Pc, options);
    const NystromPreconditioner Pg(matrixOperator(A.to(at::kCUDA)), l, mu, seeded(143));  // CPU generator
    EXPECT_TRUE(Pg.U().is_cuda());
    const PcgResult onGpu = pcg(matrixOperator(A.to(at::kCUDA)), b.to(at::kCUDA), at::Tensor(), &Pg, options);
    EXPECT_TRUE(onCpu.converged);
    EXPECT_TRUE(onGpu.converged);
    EXPECT_TRUE(onGpu.x.is_cuda());
    EXPECT_LT(relativeError(onGpu.x.cpu(), onCpu.x), dtype == at::kDouble ? 1e-8 : 1e-3);
    EXPECT_LE(std::abs(onGpu.iterations - onCpu.iterations), 2);
    const DenseSolveResult dense = denseSolveMatrix(A.to(at::kCUDA), b.to(at::kCUDA), mu);
    EXPECT_LT(relativeError(dense.x.cpu(), onCpu.x), dtype == at::kDouble ? 1e-8 : 1e-3);
  }
}

}  // namespace
}  // namespace nivp
