// Tests of the gradient rows (engine/gradient_rows.h): the projection that also matches ∂_k f.
// The truth is independent of the engine: the Jacobians of u and of ∂_k u with respect to θ, and
// ∂_k f, all by autograd on the plain reference network, then the normal equations
//   (Σ_i w_i (J_iᵀJ_i + β Σ_k J_ikᵀJ_ik)/n + μI) θ̇ = Σ_i w_i (J_iᵀf_i + β Σ_k J_ikᵀ ∂_k f_i)/n
// solved by LU, on the system φ_t = ψ, ψ_t = Δφ in 2D.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <vector>

#include "engine/dynamics.h"
#include "engine/gradient_rows.h"
#include "reference_network.h"
#include "test_support.h"

namespace nivp {
namespace {

using testing::seeded;
constexpr auto relErr = testing::relativeError;

constexpr int64_t kPoints = 240;
constexpr double kMu = 1e-4;

PlanNode fieldNode(int64_t f, JetTerm term) {
  PlanNode n;
  n.op = PlanOp::Field;
  n.field = f;
  n.term = term;
  return n;
}

struct Wave {
  NetworkConfig cfg;
  Program program;
  JetRequest jets;
  std::shared_ptr<const Network> net;
  at::Tensor theta, points;
};

Wave wave() {
  Wave w;
  w.cfg.dim = 2;
  w.cfg.fields = 2;
  w.cfg.width = 16;
  w.cfg.depth = 2;
  w.cfg.embedding = true;
  w.cfg.frequencies = 2;
  w.cfg.dirichlet = {true};
  w.cfg.lower = {-1.0, -1.0};
  w.cfg.upper = {1.0, 1.0};
  w.cfg.dtype = at::kDouble;
  w.program.nodes = {fieldNode(1, JetTerm::Value), fieldNode(0, JetTerm::Lap)};  // ψ, Δφ
  w.program.isStatic = {false, false};
  w.program.outputs = {0, 1};
  w.jets.laplacian = true;
  w.net = std::make_shared<const Network>(w.cfg);
  w.theta = w.net->initialParameters(3).to(at::kDouble);
  w.points = at::rand({kPoints, 2}, seeded(9), at::TensorOptions().dtype(at::kDouble)).mul_(2).sub_(1);
  return w;
}

// One field's value rows J (n×p_a), gradient rows J_k (D×n×p_a), f (n) and ∂_k f (D×n), by
// autograd: one backward pass per row.
struct FieldTruth {
  at::Tensor J, Jk, f, fk;
};

std::vector<FieldTruth> autogradTruth(const Wave& w) {
  const int64_t n = kPoints, D = 2, pa = w.net->fieldParameterCount();
  torch::Tensor theta = w.theta.clone().requires_grad_(true);
  torch::Tensor x = w.points.clone().requires_grad_(true);
  const torch::Tensor y = testing::referenceForward(w.cfg, theta, x);
  const auto dx = [&x](const torch::Tensor& s) {
    return torch::autograd::grad({s.sum()}, {x}, {}, true, true)[0];
  };
  std::vector<torch::Tensor> gradients = {dx(y.select(1, 0)), dx(y.select(1, 1))};  // n×D each
  torch::Tensor lap = torch::zeros({n}, x.options());
  for (int64_t k = 0; k < D; ++k) lap = lap + dx(gradients[0].select(1, k)).select(1, k);
  const std::vector<torch::Tensor> f = {y.select(1, 1), lap};
  std::vector<FieldTruth> out(2);
  for (int64_t a = 0; a < 2; ++a) {
    const auto row = [&](const torch::Tensor& s) {
      return torch::autograd::grad({s}, {theta}, {}, true)[0].narrow(0, w.net->fieldOffset(a), pa);
    };
    FieldTruth& t = out[a];
    t.J = at::empty({n, pa}, w.theta.options());
    t.Jk = at::empty({D, n, pa}, w.theta.options());
    for (int64_t i = 0; i < n; ++i) {
      t.J[i].copy_(row(y[i][a]));
      for (int64_t k = 0; k < D; ++k) t.Jk[k][i].copy_(row(gradients[a][i][k]));
    }
    t.f = f[a].detach().clone();
    t.fk = dx(f[a]).detach().t().contiguous();
  }
  return out;
}

// With `directions` (n×D) the gradient rows are the one directional derivative ξ_i·∇ per point.
at::Tensor truthThetaDot(const Wave& w, const std::vector<FieldTruth>& truth, const std::vector<double>& beta,
                         const at::Tensor& weights, const at::Tensor& directions = at::Tensor()) {
  const double invN = 1.0 / kPoints;
  const int64_t pa = w.net->fieldParameterCount();
  std::vector<at::Tensor> blocks;
  for (int64_t a = 0; a < 2; ++a) {
    const FieldTruth& t = truth[a];
    const at::Tensor s = weights.sqrt().unsqueeze(1);
    const at::Tensor J = t.J * s, f = t.f * weights.sqrt();
    at::Tensor M = at::mm(J.t(), J), F = at::mv(J.t(), f);
    if (directions.defined()) {
      const at::Tensor xi = directions.t().unsqueeze(2);  // D×n×1
      const at::Tensor Jk = (t.Jk * xi).sum(0) * s, fk = (t.fk * xi.squeeze(2)).sum(0) * weights.sqrt();
      M.add_(at::mm(Jk.t(), Jk), beta[a]);
      F.add_(at::mv(Jk.t(), fk), beta[a]);
    } else {
      for (int64_t k = 0; k < 2; ++k) {
        const at::Tensor Jk = t.Jk[k] * s, fk = t.fk[k] * weights.sqrt();
        M.add_(at::mm(Jk.t(), Jk), beta[a]);
        F.add_(at::mv(Jk.t(), fk), beta[a]);
      }
    }
    M.mul_(invN).add_(at::eye(pa, M.options()), kMu);
    blocks.push_back(at::linalg_solve(M, F.mul_(invN)));
  }
  return at::cat(blocks);
}

const Wave& sharedWave() {
  static const Wave w = wave();
  return w;
}

const std::vector<FieldTruth>& sharedTruth() {
  static const std::vector<FieldTruth> t = autogradTruth(sharedWave());
  return t;
}

LinearSolverConfig config(LinearSolverConfig::Method method, std::vector<double> beta) {
  LinearSolverConfig c;
  c.method = method;
  c.mu = kMu;  // as given, and a preconditioner per solve: the forms the truths are written for
  c.muRelative = false;
  c.reusePreconditioner = false;
  c.tol = 1e-12;
  c.rank = 100;
  c.gradientWeights = std::move(beta);
  c.stencilStep = 1e-4;
  return c;
}

DynamicsResult solve(const LinearSolverConfig& c, const at::Tensor& weights = at::Tensor()) {
  const Wave& w = sharedWave();
  const Dynamics dyn(w.net, ProgramEvaluator(w.program, w.jets.pairs), w.jets, c);
  at::Generator gen = seeded(1);
  return dyn.evaluate(w.theta, 0.0, dyn.samples(w.points, weights), at::Tensor(), gen);
}

TEST(GradientRows, StencilDifferencesAreCentralDifferences) {
  const at::Tensor X = at::rand({5, 3}, seeded(2), at::TensorOptions().dtype(at::kDouble));
  const double h = 0.01;
  const at::Tensor S = stencilPoints(X, h, StencilDirections::Axes);
  ASSERT_EQ(S.size(0), 30);
  // A quadratic's central differences are exact: ∂_k of Σ_j (j + 1)·x_j² is 2(k + 1)x_k.
  const at::Tensor coef = at::arange(1, 4, X.options());
  const at::Tensor q = (S.square() * coef).sum(1, true);
  const at::Tensor G = stencilDifference(q, 3, h).reshape({3, 5});
  EXPECT_LT(relErr(G, (X * coef * 2).t()), 1e-12);
  // stencilDifferenceT is the transpose: ⟨D u, g⟩ = ⟨u, Dᵀ g⟩.
  const at::Tensor g = at::randn({15, 1}, seeded(4), X.options());
  const double lhs = (stencilDifference(q, 3, h) * g).sum().item<double>();
  const double rhs = (q * stencilDifferenceT(g, 3, h)).sum().item<double>();
  EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(lhs));
}

// One direction per point: of length √D, the same for the same n (every stage of a step), and
// E[ξξᵀ] = I, so that β(ξ·∇r)² estimates β‖∇r‖²; its difference is the directional derivative.
TEST(GradientRows, SampledDirectionsEstimateTheGradientNorm) {
  const int64_t D = 3;
  const at::Tensor xi = sampledDirections(20000, D);
  EXPECT_LT((xi.norm(2, {1}) - std::sqrt(3.0)).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE(at::equal(xi, sampledDirections(20000, D)));
  const at::Tensor second = at::mm(xi.t(), xi).div_(20000);
  EXPECT_LT((second - at::eye(D, at::kDouble)).abs().max().item<double>(), 0.05);
  const at::Tensor X = at::rand({5, D}, seeded(2), at::TensorOptions().dtype(at::kDouble));
  const double h = 0.01;
  const at::Tensor S = stencilPoints(X, h, StencilDirections::Sampled);
  ASSERT_EQ(S.size(0), 10);
  const at::Tensor coef = at::arange(1, 4, X.options());
  const at::Tensor q = (S.square() * coef).sum(1, true);
  const at::Tensor directional = (X * coef * 2 * sampledDirections(5, D)).sum(1, true);
  EXPECT_LT(relErr(stencilDifference(q, 1, h), directional), 1e-12);
}

// β on φ only: the wave's energy norm (H¹ for φ, L² for ψ).
TEST(GradientRows, DenseSolvesTheGradientLeastSquares) {
  const std::vector<double> beta = {0.3, 0.0};
  const DynamicsResult r = solve(config(LinearSolverConfig::Method::Dense, beta));
  const at::Tensor truth = truthThetaDot(sharedWave(), sharedTruth(), beta, at::ones({kPoints}, at::kDouble));
  // The stencil's truncation error, (ωh)², is what separates them.
  EXPECT_LT(relErr(r.thetaDot, truth), 1e-5);
  // β changes the answer: the L² solution is far from it.
  const at::Tensor l2 =
      truthThetaDot(sharedWave(), sharedTruth(), {0.0, 0.0}, at::ones({kPoints}, at::kDouble));
  EXPECT_GT(relErr(l2, truth), 1e-2);
}

// With one sampled direction per point, dense and PCG solve the least squares whose gradient rows
// are the autograd rows' combination ξ_i·∇ at each point.
TEST(GradientRows, SampledDirectionSolvesItsLeastSquares) {
  const std::vector<double> beta = {0.3, 0.0};
  const at::Tensor truth = truthThetaDot(sharedWave(), sharedTruth(), beta, at::ones({kPoints}, at::kDouble),
                                         sampledDirections(kPoints, 2));
  for (const auto method : {LinearSolverConfig::Method::Dense, LinearSolverConfig::Method::Pcg}) {
    LinearSolverConfig c = config(method, beta);
    c.stencilDirections = StencilDirections::Sampled;
    EXPECT_LT(relErr(solve(c).thetaDot, truth), 1e-5);
  }
  // It is not the every-axis answer.
  const at::Tensor axes = truthThetaDot(sharedWave(), sharedTruth(), beta, at::ones({kPoints}, at::kDouble));
  EXPECT_GT(relErr(axes, truth), 1e-3);
}

TEST(GradientRows, PcgSolvesTheWeightedGradientLeastSquares) {
  const std::vector<double> beta = {0.3, 0.05};
  const at::Tensor weights =
      at::rand({kPoints}, seeded(6), at::TensorOptions().dtype(at::kDouble)).mul_(1.5).add_(0.5);
  const DynamicsResult r = solve(config(LinearSolverConfig::Method::Pcg, beta), weights);
  EXPECT_TRUE(r.converged);
  const at::Tensor truth = truthThetaDot(sharedWave(), sharedTruth(), beta, weights);
  EXPECT_LT(relErr(r.thetaDot, truth), 1e-5);
  // The reported residual stays the L² one of the value rows.
  const int64_t pa = sharedWave().net->fieldParameterCount();
  double num = 0, den = 0;
  for (int64_t a = 0; a < 2; ++a) {
    const FieldTruth& t = sharedTruth()[a];
    const at::Tensor misfit = (at::mv(t.J, r.thetaDot.narrow(0, a * pa, pa)) - t.f) * weights.sqrt();
    num += misfit.square().sum().item<double>();
    den += (t.f.square() * weights).sum().item<double>();
  }
  EXPECT_NEAR(r.residual, std::sqrt(num / den), 1e-6 * std::sqrt(num / den));
}

// The stencil evaluates the graded fields' right-hand side alone, with the jets it reads.
TEST(GradientRows, StencilRhsKeepsTheGradedOutputsAndTheirJets) {
  const Wave& w = sharedWave();
  const at::Tensor X = stencilPoints(w.points.narrow(0, 0, 7), 1e-3, StencilDirections::Axes);
  Jets full = w.net->forward(w.theta, X, w.jets);
  const at::Tensor f = ProgramEvaluator(w.program, w.jets.pairs).evaluate(X, 0.0, &full, nullptr);
  // φ graded: φ_t = ψ reads values only.
  StencilRhs phi = stencilRhs(w.program, w.jets, {0.3, 0.0});
  EXPECT_FALSE(phi.jets.needsTangents());
  EXPECT_FALSE(phi.jets.laplacian);
  Jets values = w.net->forward(w.theta, X, phi.jets);
  const at::Tensor fPhi = ProgramEvaluator(phi.program, phi.jets.pairs).evaluate(X, 0.0, &values, nullptr);
  EXPECT_LT(relErr(fPhi.select(1, 0), f.select(1, 0)), 1e-15);
  EXPECT_EQ(fPhi.select(1, 1).abs().max().item<double>(), 0.0);
  // ψ graded: ψ_t = Δφ needs the Laplacian.
  StencilRhs psi = stencilRhs(w.program, w.jets, {0.0, 0.3});
  EXPECT_TRUE(psi.jets.laplacian);
  const at::Tensor fPsi = ProgramEvaluator(psi.program, psi.jets.pairs).evaluate(X, 0.0, &full, nullptr);
  EXPECT_LT(relErr(fPsi.select(1, 1), f.select(1, 1)), 1e-15);
  EXPECT_EQ(fPsi.select(1, 0).abs().max().item<double>(), 0.0);
}

constexpr double kFactorBeta = 0.3;

// The points of the row samples below.
at::Tensor factorIndex() { return at::tensor({5, 17, 3, 200, 41}, at::kLong); }

// φ's row sample at factorIndex(), with the stencil's directions.
RowFactor phiRowSample(StencilDirections directions) {
  const Wave& w = sharedWave();
  const Linearization lin(*w.net, w.theta, w.points);
  const GradientRows rows =
      GradientRows::linearize(*w.net, w.theta, w.points, 1e-4, directions,
                              ProgramEvaluator(w.program, w.jets.pairs), w.jets, 0.0, at::Tensor());
  return rows.sampledFactor(lin, 0, kFactorBeta, factorIndex());
}

// The preconditioner's row sample of a graded block: AᵀA/rows is the sampled points' (JᵀJ +
// β Σ_k J_kᵀJ_k)/m, built here from the autograd Jacobians, and its Gram matrix is A Aᵀ.
TEST(GradientRows, SampledFactorEstimatesTheGradedBlock) {
  const Wave& w = sharedWave();
  const FieldTruth& t = sharedTruth()[0];
  const double beta = kFactorBeta;
  const at::Tensor index = factorIndex();
  const RowFactor A = phiRowSample(StencilDirections::Axes);
  const int64_t m = index.size(0), pa = w.net->fieldParameterCount();
  ASSERT_EQ(A.rows, 3 * m);
  const at::Tensor dense = A.applyT(at::eye(A.rows, at::kDouble));  // Aᵀ, p_a×rows
  at::Tensor truth = at::zeros({pa, pa}, at::kDouble);
  const at::Tensor J = t.J.index_select(0, index);
  truth.add_(at::mm(J.t(), J));
  for (int64_t k = 0; k < 2; ++k) {
    const at::Tensor Jk = t.Jk[k].index_select(0, index);
    truth.add_(at::mm(Jk.t(), Jk), beta);
  }
  truth.div_(m);
  EXPECT_LT(relErr(at::mm(dense, dense.t()).div_(A.rows), truth), 1e-5);
  // apply is the transpose of applyT, and gram is A Aᵀ.
  EXPECT_LT(relErr(A.apply(at::eye(pa, at::kDouble)), dense.t()), 1e-12);
  // (The differences magnify the Gram's rounding by 1/h².)
  EXPECT_LT(relErr(A.gram, at::mm(dense.t(), dense)), 1e-8);
}

// With one sampled direction per point the row sample holds each point's value row and its one
// directional row: AᵀA/rows is (JᵀJ + β J_ξᵀJ_ξ)/m.
TEST(GradientRows, SampledFactorTakesOneDirectionalRowPerPoint) {
  const FieldTruth& t = sharedTruth()[0];
  const double beta = kFactorBeta;
  const at::Tensor index = factorIndex();
  const RowFactor A = phiRowSample(StencilDirections::Sampled);
  const int64_t m = index.size(0);
  ASSERT_EQ(A.rows, 2 * m);
  const at::Tensor dense = A.applyT(at::eye(A.rows, at::kDouble));
  const at::Tensor xi = sampledDirections(kPoints, 2).index_select(0, index).t().unsqueeze(2);  // D×m×1
  const at::Tensor J = t.J.index_select(0, index), Jxi = (t.Jk.index_select(1, index) * xi).sum(0);
  const at::Tensor truth = (at::mm(J.t(), J) + beta * at::mm(Jxi.t(), Jxi)).div_(m);
  EXPECT_LT(relErr(at::mm(dense, dense.t()).div_(A.rows), truth), 1e-5);
}

// The graded block's sampled-rows preconditioner and the full Nyström sketch give one answer,
// and the sample makes CG converge in less than half the iterations of none.
TEST(GradientRows, SampledRowsPreconditionTheGradedBlock) {
  const std::vector<double> beta = {0.3, 0.0};
  LinearSolverConfig sampled = config(LinearSolverConfig::Method::Pcg, beta);
  LinearSolverConfig sketch = sampled, plain = sampled;
  sketch.sketchRows = 0;
  plain.rank = 0;
  const DynamicsResult a = solve(sampled), b = solve(sketch), c = solve(plain);
  ASSERT_TRUE(a.converged && b.converged);
  EXPECT_LT(relErr(a.thetaDot, b.thetaDot), 1e-7);
  EXPECT_LT(2 * a.cgIterations, c.cgIterations);
}

TEST(GradientRows, ZeroWeightsAreTheL2Projection) {
  const DynamicsResult r = solve(config(LinearSolverConfig::Method::Dense, {0.0, 0.0}));
  const at::Tensor truth =
      truthThetaDot(sharedWave(), sharedTruth(), {0.0, 0.0}, at::ones({kPoints}, at::kDouble));
  EXPECT_LT(relErr(r.thetaDot, truth), 1e-8);
}

}  // namespace
}  // namespace nivp
