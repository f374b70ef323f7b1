// J·V, Jᵀ·W and M·V against autograd, finite differences in θ, the adjoint identity, and
// their own block, chunked and explicit forms.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/linearization.h"
#include "reference_network.h"
#include "test_support.h"

namespace nivp {
namespace {

constexpr auto relErr = testing::relativeError;

NetworkConfig config(int64_t chunkRows = 2048) {
  NetworkConfig cfg;
  cfg.dim = 3;
  cfg.fields = 2;
  cfg.width = 10;
  cfg.depth = 3;
  cfg.frequencies = 2;
  cfg.lower = {-1, -1, 0};
  cfg.upper = {1, 2, 1};
  cfg.chunkRows = chunkRows;
  return cfg;
}

at::Tensor points(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  at::Tensor x = torch::rand({n, 3}, torch::kDouble);
  x.select(1, 0).mul_(2).sub_(1);
  x.select(1, 1).mul_(3).sub_(1);
  return x;
}

TEST(Linearization, ValuesAndJacobianMatchAutograd) {
  struct Variant {
    Activation activation;
    Output output;
    std::vector<double> outputScale;
  };
  for (const auto& [activation, output, outputScale] :
       {Variant{Activation::Swish, Output::Linear, {}}, Variant{Activation::Tanh, Output::Linear, {}},
        Variant{Activation::Swish, Output::Exp, {}}, Variant{Activation::Swish, Output::Linear, {2e-8, 40.0}},
        Variant{Activation::Tanh, Output::Exp, {3e4, 0.1}}}) {
    NetworkConfig cfg = config();
    cfg.activation = activation;
    cfg.output = output;
    cfg.outputScale = outputScale;
    Network net(cfg);
    const at::Tensor theta = net.initialParameters(11);
    const at::Tensor x = points(23, 1);
    Linearization lin(net, theta, x);
    torch::Tensor th = theta.clone().requires_grad_(true);
    const torch::Tensor y = testing::referenceForward(cfg, th, x);
    EXPECT_LT(relErr(lin.values(), y.detach()), 1e-13);
    for (int64_t a = 0; a < cfg.fields; ++a) {
      // Rows of the full Jacobian by autograd, restricted to field a's block.
      std::vector<torch::Tensor> rows;
      for (int64_t i = 0; i < x.size(0); ++i)
        rows.push_back(torch::autograd::grad({y[i][a]}, {th}, {}, true)[0]);
      const torch::Tensor J = torch::stack(rows, 0);
      const int64_t off = net.fieldOffset(a), pa = net.fieldParameterCount();
      EXPECT_LT(relErr(lin.fieldJacobian(a), J.narrow(1, off, pa)), 1e-13);
      // Other fields' parameters do not touch field a: J is block diagonal.
      torch::Tensor outside = J.clone();
      outside.narrow(1, off, pa).zero_();
      EXPECT_EQ(outside.abs().max().item<double>(), 0.0);
    }
  }
}

TEST(Linearization, JvpColumnsMatchFiniteDifferencesInTheta) {
  const NetworkConfig cfg = config();
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(3);
  const at::Tensor x = points(40, 2);
  Linearization lin(net, theta, x);
  torch::manual_seed(5);
  const at::Tensor V = torch::randn({net.parameterCount(), 3}, torch::kDouble);
  const at::Tensor JV = lin.jvp(V);  // n×k×3
  const double eps = 1e-6;
  for (int64_t q = 0; q < 3; ++q) {
    const at::Tensor v = V.select(1, q);
    const at::Tensor fd =
        (net.forward(theta + eps * v, x, {}).values - net.forward(theta - eps * v, x, {}).values) / (2 * eps);
    EXPECT_LT(relErr(JV.select(2, q), fd), 1e-8) << "column " << q;
  }
}

TEST(Linearization, AdjointIdentity) {
  Network net(config());
  const at::Tensor theta = net.initialParameters(8);
  const at::Tensor x = points(64, 3);
  Linearization lin(net, theta, x);
  torch::manual_seed(1);
  const at::Tensor v = torch::randn({net.parameterCount(), 1}, torch::kDouble);
  const at::Tensor w = torch::randn({64, 2, 1}, torch::kDouble);
  const double lhs = (lin.jvp(v) * w).sum().item<double>();
  const double rhs = (v * lin.vjp(w)).sum().item<double>();
  EXPECT_LT(std::abs(lhs - rhs) / std::abs(rhs), 1e-12) << lhs << " vs " << rhs;
}

// r = 3 takes the per-layer factored path, r = 10 the explicit-chunk path.
TEST(Linearization, BlockProductEqualsSingleProducts) {
  Network net(config());
  const at::Tensor theta = net.initialParameters(9);
  const at::Tensor x = points(50, 4);
  Linearization lin(net, theta, x);
  torch::manual_seed(2);
  for (const int64_t r : {3, 10}) {
    const at::Tensor V = torch::randn({net.parameterCount(), r}, torch::kDouble);
    const at::Tensor W = torch::randn({50, 2, r}, torch::kDouble);
    const at::Tensor JV = lin.jvp(V), JtW = lin.vjp(W), MV = lin.mvm(V, 1e-3);
    for (int64_t q = 0; q < r; ++q) {
      EXPECT_LT(relErr(JV.select(2, q), lin.jvp(V.narrow(1, q, 1)).squeeze(2)), 1e-14);
      EXPECT_LT(relErr(JtW.select(1, q), lin.vjp(W.narrow(2, q, 1)).squeeze(1)), 1e-14);
      EXPECT_LT(relErr(MV.select(1, q), lin.mvm(V.narrow(1, q, 1), 1e-3).squeeze(1)), 1e-13) << "r=" << r;
    }
  }
}

TEST(Linearization, ChunkedEqualsUnchunked) {
  Network whole(config()), chunked(config(/*chunkRows=*/6));
  const at::Tensor theta = whole.initialParameters(10);
  const at::Tensor x = points(45, 5);
  Linearization a(whole, theta, x), b(chunked, theta, x);
  torch::manual_seed(3);
  const at::Tensor V = torch::randn({whole.parameterCount(), 2}, torch::kDouble);
  const at::Tensor W = torch::randn({45, 2, 2}, torch::kDouble);
  EXPECT_LT(relErr(b.jvp(V), a.jvp(V)), 1e-14);
  EXPECT_LT(relErr(b.vjp(W), a.vjp(W)), 1e-14);
  EXPECT_LT(relErr(b.mvm(V, 0.1), a.mvm(V, 0.1)), 1e-14);
}

TEST(Linearization, MvmEqualsExplicitNormalMatrix) {
  Network net(config());
  const at::Tensor theta = net.initialParameters(12);
  const int64_t n = 30;
  Linearization lin(net, theta, points(n, 6));
  torch::manual_seed(4);
  const int64_t pa = net.fieldParameterCount();
  const double mu = 1e-2;
  for (int64_t a = 0; a < 2; ++a) {
    const at::Tensor J = lin.fieldJacobian(a);
    const at::Tensor V = torch::randn({pa, 3}, torch::kDouble);
    const at::Tensor expected = J.t().mm(J.mm(V)) / n + mu * V;
    EXPECT_LT(relErr(lin.fieldMvm(a, V, mu), expected), 1e-13);
  }
}

// castTo(kFloat): the same products from float32 caches, for mixed-precision CG.
TEST(Linearization, Float32CopyMatchesToSinglePrecision) {
  Network net(config());
  const at::Tensor theta = net.initialParameters(12);
  const int64_t n = 300;
  const Linearization lin(net, theta, points(n, 6));
  const Linearization lin32 = lin.castTo(at::kFloat);
  EXPECT_EQ(lin32.dtype(), at::kFloat);
  EXPECT_EQ(lin.dtype(), at::kDouble);
  torch::manual_seed(5);
  const int64_t pa = net.fieldParameterCount();
  for (int64_t r : {int64_t{1}, int64_t{3}, int64_t{16}}) {
    const at::Tensor V = torch::randn({pa, r}, torch::kDouble);
    for (int64_t a = 0; a < 2; ++a) {
      const at::Tensor M32 = lin32.fieldMvm(a, V.to(at::kFloat), 0.0);
      EXPECT_EQ(M32.scalar_type(), at::kFloat);
      const double err = relErr(M32.to(at::kDouble), lin.fieldMvm(a, V, 0.0));
      EXPECT_LT(err, 1e-5) << "r = " << r << ", field " << a;
      EXPECT_GT(err, 0.0);  // the copy really computes in float32
    }
  }
  EXPECT_LT(relErr(lin32.values().to(at::kDouble), lin.values()), 1e-6);
}

// J_a J_aᵀ from the per-layer factors against the explicit Jacobian.
TEST(Linearization, GramMatchesTheExplicitJacobian) {
  Network net(config());
  const Linearization lin(net, net.initialParameters(13), points(37, 7));
  for (int64_t a = 0; a < 2; ++a) {
    const at::Tensor J = lin.fieldJacobian(a);
    EXPECT_LT(relErr(lin.fieldGram(a), J.mm(J.t())), 1e-13);
  }
}

// selectRows: the rows asked for (repeats allowed), scaled, as an independent copy; from float32
// caches into float64 (to float32 rounding of the explicit float32 Jacobian's products).
TEST(Linearization, SelectedRowsAreScaledRowsOfJ) {
  const int64_t n = 20;
  const at::Tensor index = at::tensor({3, 0, 19, 3, 7}, at::TensorOptions().dtype(at::kLong));
  const at::Tensor scale = at::tensor({0.5, 2.0, 1.0, -1.0, 3.0}, at::TensorOptions().dtype(at::kDouble));
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    NetworkConfig cfg = config();
    cfg.dtype = dtype;
    Network net(cfg);
    const double tol = dtype == at::kDouble ? 1e-14 : 1e-6;
    const Linearization lin(net, net.initialParameters(14), points(n, 8));
    const Linearization rows = lin.selectRows(index, scale, at::kDouble);
    EXPECT_EQ(rows.samples(), 5);
    EXPECT_EQ(rows.dtype(), at::kDouble);
    torch::manual_seed(6);
    for (int64_t a = 0; a < 2; ++a) {
      const at::Tensor J = lin.fieldJacobian(a).to(at::kDouble);
      const at::Tensor expected = J.index_select(0, index) * scale.unsqueeze(1);
      EXPECT_LT(relErr(rows.fieldJacobian(a), expected), tol);
      const at::Tensor v = torch::randn({net.fieldParameterCount(), 1}, torch::kDouble);
      EXPECT_LT(relErr(rows.fieldJvp(a, v), expected.mm(v)), tol);
      EXPECT_LT(relErr(rows.fieldGram(a), expected.mm(expected.t())), tol);
    }
    EXPECT_LT(relErr(rows.values(), lin.values().to(at::kDouble).index_select(0, index)), 1e-15);
  }
}

// One sweep for jets and caches gives network.forward's jets and the plain constructor's caches.
TEST(Linearization, SharedSweepMatchesSeparateCalls) {
  for (const Output output : {Output::Linear, Output::Exp}) {
    NetworkConfig cfg = config(/*chunkRows=*/16);
    cfg.output = output;
    Network net(cfg);
    const at::Tensor theta = net.initialParameters(15);
    const at::Tensor x = points(41, 9);
    JetRequest request;
    request.gradient = true;
    request.laplacian = true;
    request.pairs = {{0, 1}, {2, 2}};
    Jets jets;
    const Linearization shared(net, theta, x, request, jets);
    const Jets expected = net.forward(theta, x, request);
    EXPECT_LT(relErr(jets.values, expected.values), 1e-15);
    EXPECT_LT(relErr(jets.gradients, expected.gradients), 1e-15);
    EXPECT_LT(relErr(jets.second, expected.second), 1e-15);
    EXPECT_LT(relErr(jets.laplacian, expected.laplacian), 1e-15);
    const Linearization plain(net, theta, x);
    EXPECT_LT(relErr(shared.values(), plain.values()), 1e-15);
    for (int64_t a = 0; a < 2; ++a) EXPECT_LT(relErr(shared.fieldJacobian(a), plain.fieldJacobian(a)), 1e-13);
  }
}

TEST(Linearization, RejectsWrongShapes) {
  Network net(config());
  Linearization lin(net, net.initialParameters(1), points(10, 1));
  EXPECT_THROW(lin.jvp(torch::zeros({net.parameterCount() + 1, 1}, torch::kDouble)), std::invalid_argument);
  EXPECT_THROW(lin.vjp(torch::zeros({9, 2, 1}, torch::kDouble)), std::invalid_argument);
  EXPECT_THROW(Linearization(net, torch::zeros({3}, torch::kDouble), points(10, 1)), std::invalid_argument);
}

}  // namespace
}  // namespace nivp
